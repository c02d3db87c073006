from pipeline.model import Check, Fact, Part

def columns(
    facts: list[Fact], keys: dict[tuple[str, str, str], int], tables: tuple[str, ...], checks: list[Check]
) -> tuple[
    tuple[tuple[bytes, ...], ...], tuple[bytes, ...], int
]: ...  # model._columns, in C (NotImplemented: left to the Python)
def parts(
    parts: list[Part], keys: dict[tuple[str, str, str], int], tables: tuple[str, ...], checks: list[Check]
) -> tuple[
    tuple[tuple[bytes, ...], ...], tuple[bytes, ...], int
]: ...  # model._columns of the parts' facts, in C (NotImplemented: left to the Python)
