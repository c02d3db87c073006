from pipeline.model import Check, Fact

def columns(
    facts: list[Fact], keys: dict[tuple[str, str, str], int], checks: list[Check]
) -> tuple[tuple[bytes, ...], tuple[bytes, ...], int]: ...  # model._columns, in C (NotImplemented: left to the Python)
