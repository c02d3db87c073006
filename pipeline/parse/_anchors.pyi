from pipeline.parse.anchors import Anchor, Specs

def match_chars(
    text: str, rows: Specs
) -> tuple[tuple[int, int, int, int], ...]: ...  # anchors._match_chars, in C (NotImplemented: left to the Python)
def anchor_rows(
    text: str,
    owner: list[int],
    placed: tuple[tuple[int, int, int, int], ...],
    before: tuple[tuple[str, ...], ...] | None,
    rows: int,
    anchor: type[Anchor],
) -> list[Anchor | None]: ...  # anchors._anchor_rows, in C (NotImplemented: left to the Python)
