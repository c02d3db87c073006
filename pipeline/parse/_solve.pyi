from pipeline.model import Check
from pipeline.parse.readings import Choice, Combined, Reading, Step, Vector

def layers(
    first: Vector, steps: list[list[Step]], low: list[Vector], high: list[Vector], max_states: int
) -> tuple[list[int], list[set[int]]] | None: ...  # readings._layers, in C (NotImplemented: left to the Python)
def combine(
    base: tuple | None, vectors: list[list[tuple]], costs: list[list[float]], limit: int
) -> Combined: ...  # readings._combine, in C (NotImplemented: left to the Python)
def request_checks(
    rows: dict[str, tuple[int | float | None, ...]], applicants: tuple[str, ...], check: type[Check]
) -> list[Check]: ...  # identities.request_checks, in C (NotImplemented: left to the Python)
def failures(
    picks: dict[str, Reading], use_balance: bool, use_outcome: bool, balance: dict[str, int]
) -> int: ...  # sections._failures, in C (NotImplemented: left to the Python)
def solve_requests(
    rows: dict[str, list[Reading]], balance: dict[str, int], max_states: int, choice: type[Choice]
) -> Choice | None: ...  # readings.solve with section 三's coefficients, in C (NotImplemented: left to the Python)
