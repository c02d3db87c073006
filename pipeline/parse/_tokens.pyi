from collections.abc import Callable, Sequence

from pipeline.parse.anchors import Anchor
from pipeline.parse.readings import Reading, Search
from pipeline.parse.tokens import PyToken
from pipeline.parse.totals import Found

Token = PyToken  # tokens.PyToken in C: the same fields, so the type checker is told the dataclass

def tokenize(
    lines: list[str],
    start: int,
    end: int,
    bordered: bool,
    line_tokens: Callable[[str, bool], tuple[tuple[str, str, int, bool], ...]],
    cache: dict[str, tuple[str | int | bool | None, ...]],
    cache_max: int,
    text_kind: str,
    canon: Callable[[str], str],
) -> tuple[list[PyToken], str, list[int]]: ...  # tokens.labelled, in C (a line's pieces and labels kept in `cache`)
def value_tokens(
    tokens: list[PyToken], lo: int, hi: int, width: int, text_kind: str, blank_kind: str
) -> list[int]: ...  # sections._value_tokens, in C (C tokens only)
def groups_of(
    tokens: list[PyToken], vals: list[int], text_kind: str
) -> list[list[int]]: ...  # sections._groups_of, in C
def plain_readings(
    tokens: Sequence[PyToken], integer: bool, num_kind: str, max_count: int, reading: type[Reading]
) -> list[Reading] | None: ...  # readings._plain_readings, in C
def totalled_readings(
    tokens: Sequence[PyToken],
    search: Search,
    line: int | None,
    totalled: Callable[..., Found],
    reading: type[Reading],
    num_kind: str,
) -> list[Reading]: ...  # readings._totalled_readings, in C (NotImplemented: left to the Python)
def row_pools(
    tokens: list[PyToken],
    ends: list[int],
    codes: list[str],
    per_row: Sequence[Sequence[int] | None],
    glued: bool,
    seen: dict[tuple[tuple[int, ...], int | None], tuple[list[Reading], list[Reading]]],
    known_of: Callable[[list[PyToken], Sequence[int], bool, int | None], tuple[list[Reading], list[Reading]]],
    reading: type[Reading],
    num_kind: str,
    max_count: int,
    width: int,
    searches: tuple[Search, Search],
    totalled: Callable[..., Found],
) -> tuple[dict[str, list[Reading]], dict[str, list[Reading]], list[tuple[str, int]]]: ...  # sections._row_pools, in C
def cut_readings(
    tokens: Sequence[PyToken],
    n: int,
    integer: bool,
    glued: bool,
    line: int | None,
    weight: Sequence[float] | None,
    reading: type[Reading],
    num_kind: str,
    max_count: int,
    limits: tuple[int, int, int, int],
    cell_value: Callable[[str, bool], int | float | None] = ...,
) -> list[Reading]: ...  # readings._cut_readings, in C (NotImplemented: left to the Python)
def configure(
    text: str,
    num: str,
    na: str,
    blank: str,
    na_cells: frozenset[str],
    mark_pairs: frozenset[str],
    word_marks: frozenset[str],
    marks: str,
    noise: Callable[[str], object],
    md_rule: Callable[[str], object],
    ordinal: Callable[[str], object],
    digit_hints: tuple[str, ...],
    digit_sub: Callable[[str], str],
    text_or_marks: Callable[[str, int, bool, list[tuple[str, str, int, bool]]], None],
    noise_starts: str,
    noise_max: int,
) -> None: ...  # line_tokens' data and patterns
def bordered(lines: list[str], first: int, stop: int) -> bool: ...  # tokens._bordered, in C
def line_tokens(line: str, bordered: bool) -> tuple[tuple[str, str, int, bool], ...]: ...  # tokens._line_tokens, in C
def glued_numbers(
    tokens: list[PyToken], lo: int, hi: int, text_kind: str, num_kind: str
) -> list[bool]: ...  # sections._glued_numbers, in C (NotImplemented: left to the Python)
def glued_after(
    tokens: list[PyToken], ends: list[int], num_kind: str
) -> list[bool]: ...  # sections._glued_after of each label's end, in C (NotImplemented: left to the Python)
def line_counts(
    tokens: list[PyToken], lo: int, hi: int, num_kind: str
) -> tuple[set[int], int, int, int]: ...  # parse._line_counts, in C
def proactive_values(
    tokens: list[PyToken], anchors: list[Anchor | None], hi: int, text_kind: str, num_kind: str
) -> tuple[list[list[PyToken] | None], int]: ...  # sections._proactive_values, in C
def appeal_tokens(
    tokens: list[PyToken], vals: list[int], width: int, text_kind: str, num_kind: str
) -> list[PyToken]: ...  # sections._appeal_tokens, in C

class Placer:  # sections.RunPlacer's two searches, in C
    def best(self) -> tuple[list[tuple[int, int]], bool]: ...  # RunPlacer._best
    def alternatives(
        self, spans: list[tuple[int, int]], close: float
    ) -> list[tuple[tuple[int, int], ...]]: ...  # RunPlacer._alternatives

def placer(
    tokens: list[PyToken],
    groups: list[list[int]],
    starts: list[int | None],
    ends: list[int | None],
    lo: int,
    hi: int,
    width: int,
    blank_kind: str,
    costs: tuple[float, float, float, float, float, float, float, int],
) -> Placer: ...  # the Placer of a RunPlacer
