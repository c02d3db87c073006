from pipeline.parse.totals import Args, Found

def search(*args: *Args) -> Found: ...  # totals.search, in C (plain inputs only)
def shaped(
    shape: tuple[tuple[str, str], ...],
    size: int,
    blocks: int,
    glued: bool,
    cut: bool,
    weight: tuple[float, ...] | None,
    keep: int,
    budget: int,
    max_blanks: int | None,
    num_kind: str,
    na_kind: str,
) -> Found: ...  # readings._totalled's search of a shape of plain counts, in C (NotImplemented: the Python's)
