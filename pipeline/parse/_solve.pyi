from pipeline.parse.readings import Step, Vector

def layers(
    first: Vector, steps: list[list[Step]], low: list[Vector], high: list[Vector], max_states: int
) -> tuple[list[int], list[set[int]]] | None: ...  # readings._layers, in C (NotImplemented for lanes past 2**50)
