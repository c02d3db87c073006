from pipeline.parse.totals import CellReading, Found

def search(
    texts: tuple[str, ...],
    digit: tuple[bool, ...],
    pair: tuple[bool, ...],
    whole: tuple[CellReading | None, ...],
    n: int,
    size: int,
    split_cost: float,
    blank_cost: float,
    weight: tuple[float, ...],
    limit: int,
    counted: int,
    cut: bool,
    keep: int,
    budget: int,
) -> Found: ...
