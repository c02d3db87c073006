from collections.abc import Callable

from pipeline.parse.tokens import PyToken

Token = PyToken  # tokens.PyToken in C: the same fields, so the type checker is told the dataclass

def tokenize(
    lines: list[str],
    start: int,
    end: int,
    bordered: bool,
    line_tokens: Callable[[str, bool], tuple[tuple[str, str, int, bool], ...]],
) -> list[PyToken]: ...  # tokens.tokenize's loop, in C
