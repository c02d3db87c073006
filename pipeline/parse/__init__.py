"""Parse one report: decoded text in, cells with line numbers out.  A pure function.

The stages: normalise lines, tokenise, find the three table sections by their headings and first
rows, read each section against the template, decide the template from the content (the metric
headers of section 二 first, the shape of section 三 second, the year last), read agency and year
from the title.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from pipeline.model import Check, Part, Report, part_facts
from pipeline.normalize import _text, normalize_text
from pipeline.parse.anchors import LabelStream
from pipeline.parse.meta import find_title, find_year, places
from pipeline.parse.sections import (
    RowSet,
    SectionResult,
    read_appeals,
    read_proactive,
    read_request_rows,
    request_rows,
    unread_appeals,
)
from pipeline.parse.tokens import NUM, Token, _tokens, labelled
from pipeline.template import (
    FIRST_ROW_HINT,
    FIRST_ROW_KEYS,
    SECTION_AFTER_APPEALS,
    SECTION_APPEALS,
    SECTION_PROACTIVE,
    SECTION_REQUESTS,
    TABLES_END_HINTS,
    TABLES_START_HINTS,
    TEMPLATES,
)


def _template_from_headers(stream: LabelStream, lo_char: int, hi_char: int) -> str | None:
    text = stream.text[lo_char:hi_char]
    hits = {name: sum(h in text for h in t.metric_headers) for name, t in TEMPLATES.items()}
    ranked = sorted(hits.items(), key=lambda kv: kv[1], reverse=True)
    if ranked[0][1] > ranked[1][1]:
        return ranked[0][0]
    return None


def _layout(tokens: list[Token], lines: list[str], lo: int, hi: int, glued: bool, squeezed: str) -> str:
    """The layout the tables were printed in.  `squeezed` is the text without its spaces (see
    ``_squeezed``): where it holds no tab and no "---", no line does, and no line is looked at."""
    lo, hi, _ = slice(lo, hi).indices(len(tokens))
    if lo >= hi:
        return "text/unknown"
    if glued:
        return "text/glued"
    if _tokens is not None:
        celled_lines, n_lines, nums, alone = _tokens.line_counts(tokens, lo, hi, NUM)
    else:
        celled_lines, n_lines, nums, alone = _line_counts(tokens, lo, hi)
    if len(celled_lines) * 2 > n_lines:
        if "\t" in squeezed and any("\t" in lines[n - 1] for n in celled_lines):
            return "text/tsv"
        if "---" in squeezed and any("---" in line and set(line.strip()) <= set("|-: ") for line in lines):
            return "text/markdown"
        return "text/pipe"
    if nums and alone * 2 > nums:
        return "text/cells"
    return "text/pdf"


def _line_counts(tokens: list[Token], lo: int, hi: int) -> tuple[set[int], int, int, int]:
    """Of tokens[lo:hi]: the lines that hold cells, how many lines hold a token, how many tokens
    are numbers, and how many of those stand alone on their line (in C where the tokens are C's)."""
    table = tokens[lo:hi]
    per_line = Counter(t.line for t in table)
    nums = [t for t in table if t.kind == NUM]
    return {t.line for t in table if t.celled}, len(per_line), len(nums), sum(per_line[t.line] == 1 for t in nums)


def _squeezed(lines: list[str]) -> str:
    """The lines as one string with their spaces squeezed out, for cheap scans for hints: no hint
    holds a line break, so none is found across two lines, and a match's line is the count of
    breaks before it.  In one pass where _text was built (``_text.squeezed``: the same string)."""
    return _text.squeezed(lines) if _text is not None else _joined_squeezed(lines)


def _joined_squeezed(lines: list[str]) -> str:
    """``_squeezed`` in Python: the definition."""
    return "\n".join(lines).replace(" ", "")


def _table_lines(lines: list[str], squeezed: str | None = None) -> tuple[int, int]:
    """The lines that can hold the tables: from the heading of section 二 to the heading of
    section 五.  Only a cheap scan for hints (in `squeezed`, the lines' ``_squeezed``); when one
    is missing, everything is kept."""
    if squeezed is None:
        squeezed = _squeezed(lines)
    hint = squeezed.find(FIRST_ROW_HINT)
    if hint < 0:
        return 0, len(lines)
    eol = squeezed.find("\n", hint)
    if eol < 0:
        eol = len(squeezed)
    heading = max(squeezed.rfind(h, 0, eol) for h in TABLES_START_HINTS)  # the last before the row
    start = squeezed.count("\n", 0, heading) if heading >= 0 else 0
    after = min((p for p in (squeezed.find(h, eol) for h in TABLES_END_HINTS) if p >= 0), default=-1)
    end = squeezed.count("\n", 0, after) if after >= 0 else len(lines)
    return start, end


def parse_text(text: str) -> Report:
    """The report in `text`, its facts made (``parse_parts`` reads it)."""
    report, parts = parse_parts(text)
    for keys, printed in parts:
        report.facts.extend(part_facts(keys, printed))
    return report


def parse_parts(text: str) -> tuple[Report, list[Part]]:
    """The report in `text`, with no facts made yet: its sections' parts (each its rows' keys
    and the readings of those printed) in the order of the facts.  A build packs them as they
    are (``FileResult.pack``), without a tuple made for each of a report's ~200 cells and freed
    again."""
    parsed = parse_batch([text])[0]
    assert parsed is not None  # the plain step drops no text: it raises
    return parsed


Parsed = tuple[Report, list[Part]]
# A stage run on one text of a batch: (its place in the batch, the stage, its parse) -> whether
# it is done (True: no stage after is needed), or None to drop the text from the batch
Step = Callable[[int, "Callable[[_Parse], bool]", "_Parse"], "bool | None"]


def _plain_step(k: int, stage: Callable[[_Parse], bool], parse: _Parse) -> bool:
    return stage(parse)


def parse_batch(texts: Sequence[str], step: Step = _plain_step) -> list[Parsed | None]:
    """The reports in `texts`, each as ``parse_parts`` gives it, parsed stage by stage: every
    text through one stage (``_STAGES``) before any goes on to the next.  A parse runs some
    hundred functions, Python's and C's, once each per report: text by text, each met the
    processor's caches of code and branches cold, where a batch finds them warm: 64 texts at a
    time took 0.8 of the time of the same texts one by one (12,000 bench reports, one process).
    `step` runs each stage on each text (a worker's guards each file's time and failures there);
    a text it drops is None."""
    parses: dict[int, _Parse] = {k: _Parse(text) for k, text in enumerate(texts)}
    out: list[Parsed | None] = [None] * len(texts)
    for stage in _STAGES:
        for k, parse in list(parses.items()):
            done = step(k, stage, parse)
            if done is None:
                del parses[k]
            elif done:
                out[k] = parse.parsed()
                del parses[k]
    return out


class _Parse:
    """One report's parse between two stages: what each stage leaves for the next."""

    __slots__ = (
        "text",
        "lines",
        "squeezed",
        "tokens",
        "stream",
        "report",
        "spans",
        "template",
        "appeals_found",
        "requests_stream",
        "row_set",
        "requests",
        "proactive",
        "appeals",
    )
    text: str
    lines: list[str]
    squeezed: str  # the lines' ``_squeezed``
    tokens: list[Token]
    stream: LabelStream  # the label text of the tokens
    report: Report
    spans: tuple[int, int, int, int, int]  # section 三's first and end char, 二's first; 四's first and end token
    template: str | None  # from section 二's headers, then from section 三's rows
    appeals_found: bool
    requests_stream: LabelStream  # section 三's label text
    row_set: RowSet
    requests: SectionResult | None
    proactive: SectionResult | None
    appeals: SectionResult | None

    def __init__(self, text: str) -> None:
        self.text = text
        self.report = Report()
        self.requests = self.proactive = self.appeals = None

    def parsed(self) -> Parsed:
        """The report, and the parts of the sections read, in the order of the facts (二, 三,
        四; none where section 三 was not found)."""
        sections = (self.proactive, self.requests, self.appeals)
        return self.report, [(s.keys, s.printed) for s in sections if s is not None]


def _lines(p: _Parse) -> bool:
    p.lines = normalize_text(p.text)
    p.squeezed = _squeezed(p.lines)
    p.text = ""  # the lines hold it now
    return False


def _tokenised(p: _Parse) -> bool:
    p.tokens, label, owner = labelled(p.lines, *_table_lines(p.lines, p.squeezed))
    p.stream = LabelStream(label, owner, 0, len(p.tokens))
    return False


def _titled(p: _Parse) -> bool:
    report, lines = p.report, p.lines
    report.title, report.agency, report.year = find_title(lines)
    if report.year is None:
        report.year = find_year(lines)
    report.province, report.city, report.county = places(report.agency)
    return False


def _sections_found(p: _Parse) -> bool:
    """Where the three sections are, and the template section 二's headers tell (done where
    section 三 is not found)."""
    stream, report = p.stream, p.report
    first = None
    for keys in FIRST_ROW_KEYS:
        first = stream.first(keys)
        if first:
            break
    if first is None:
        report.checks.append(Check("section", "requests", None, None, False, "section 三 not found"))
        report.template = "2021" if (report.year or 0) >= 2021 else "2019"
        report.layout = "text/unknown"
        report.sections = {"proactive": False, "requests": False, "appeals": False}
        return True
    heading = stream.last_before(SECTION_REQUESTS, first[0])
    req_lo_char = heading[0] if heading else first[0]
    appeals_head = stream.first(SECTION_APPEALS, first[1])
    req_hi_char = appeals_head[0] if appeals_head else len(stream.text)
    after = stream.first(SECTION_AFTER_APPEALS, appeals_head[1]) if appeals_head else None
    pro_head = stream.last_before(SECTION_PROACTIVE, req_lo_char)
    pro_lo_char = pro_head[0] if pro_head else 0
    app_lo = stream.token_at(req_hi_char)
    app_hi = stream.token_at(after[0]) if after else len(p.tokens)
    p.spans = (req_lo_char, req_hi_char, pro_lo_char, app_lo, app_hi)
    p.appeals_found = appeals_head is not None
    p.template = _template_from_headers(stream, pro_lo_char, req_lo_char)
    report.sections = {"proactive": pro_head is not None, "requests": True, "appeals": appeals_head is not None}
    return False


def _request_rows_found(p: _Parse) -> bool:
    """Section 三's row set and its rows' labels (``request_rows``)."""
    req_lo_char, req_hi_char = p.spans[:2]
    p.requests_stream = p.stream.span(req_lo_char, req_hi_char)
    p.row_set = request_rows(p.requests_stream, TEMPLATES[p.template] if p.template else None)
    return False


def _requests_read(p: _Parse) -> bool:
    """Section 三's values (``read_request_rows``); the row set it printed tells the template
    where section 二 did not."""
    template = p.template
    p.requests, variant = read_request_rows(
        p.tokens, p.requests_stream, TEMPLATES[template] if template else None, p.row_set
    )
    p.template = p.report.template = template or variant
    return False


def _proactive_read(p: _Parse) -> bool:
    req_lo_char, _, pro_lo_char = p.spans[:3]
    assert p.requests is not None and p.template is not None
    p.proactive = read_proactive(
        p.tokens, p.stream.span(pro_lo_char, req_lo_char), TEMPLATES[p.template], p.requests.glued
    )
    return False


def _appeals_read(p: _Parse) -> bool:
    app_lo, app_hi = p.spans[3:]
    assert p.requests is not None
    if p.appeals_found:
        p.appeals = read_appeals(p.tokens, app_lo, app_hi, p.requests.glued)
    else:
        p.appeals = unread_appeals("section 四 not found")
    return False


def _checked(p: _Parse) -> bool:
    """The sections' checks, in the order of the facts, and the layout."""
    report = p.report
    assert p.requests is not None
    for section in (p.proactive, p.requests, p.appeals):
        assert section is not None
        report.checks.extend(section.checks)
    pro_lo_char, app_hi = p.spans[2], p.spans[4]
    report.layout = _layout(p.tokens, p.lines, p.stream.token_at(pro_lo_char), app_hi, p.requests.glued, p.squeezed)
    return True


# A parse's stages, in order: each returns whether the parse is done (the last always is).
_STAGES: tuple[Callable[[_Parse], bool], ...] = (
    _lines,
    _tokenised,
    _titled,
    _sections_found,
    _request_rows_found,
    _requests_read,
    _proactive_read,
    _appeals_read,
    _checked,
)
