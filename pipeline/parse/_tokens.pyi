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
def label_text(
    tokens: list[PyToken], lo: int, hi: int, text_kind: str, canon: Callable[[str], str]
) -> tuple[str, list[int]]: ...  # anchors.label_text, in C (C tokens only)
def value_tokens(
    tokens: list[PyToken], lo: int, hi: int, width: int, text_kind: str, blank_kind: str
) -> list[int]: ...  # sections._value_tokens, in C (C tokens only)
