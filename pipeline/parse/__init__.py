"""Parse one report: decoded text in, cells with line numbers out.  A pure function.

The stages: normalise lines, tokenise, find the three table sections by their headings and first
rows, read each section against the template, decide the template from the content (the metric
headers of section 二 first, the shape of section 三 second, the year last), read agency and year
from the title.
"""

from __future__ import annotations

from collections import Counter

from pipeline.model import Check, Part, Report, part_facts
from pipeline.normalize import _text, normalize_text
from pipeline.parse.anchors import LabelStream
from pipeline.parse.meta import find_title, find_year, places
from pipeline.parse.sections import read_appeals, read_proactive, read_requests, unread_appeals
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
    lines = normalize_text(text)
    squeezed = _squeezed(lines)
    tokens, label, owner = labelled(lines, *_table_lines(lines, squeezed))
    stream = LabelStream(label, owner, 0, len(tokens))
    report = Report()
    report.title, report.agency, report.year = find_title(lines)
    if report.year is None:
        report.year = find_year(lines)
    report.province, report.city, report.county = places(report.agency)

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
        return report, []
    heading = stream.last_before(SECTION_REQUESTS, first[0])
    req_lo_char = heading[0] if heading else first[0]
    appeals_head = stream.first(SECTION_APPEALS, first[1])
    req_hi_char = appeals_head[0] if appeals_head else len(stream.text)
    after = stream.first(SECTION_AFTER_APPEALS, appeals_head[1]) if appeals_head else None
    pro_head = stream.last_before(SECTION_PROACTIVE, req_lo_char)
    pro_lo_char = pro_head[0] if pro_head else 0

    app_lo = stream.token_at(req_hi_char)
    app_hi = stream.token_at(after[0]) if after else len(tokens)

    template = _template_from_headers(stream, pro_lo_char, req_lo_char)
    # the row set of section 三 tells the template when section 二 did not
    requests, variant = read_requests(
        tokens, stream.span(req_lo_char, req_hi_char), TEMPLATES[template] if template else None
    )
    template = template or variant
    report.template = template
    proactive = read_proactive(tokens, stream.span(pro_lo_char, req_lo_char), TEMPLATES[template], requests.glued)
    appeals = (
        read_appeals(tokens, app_lo, app_hi, requests.glued) if appeals_head else unread_appeals("section 四 not found")
    )
    report.sections = {"proactive": pro_head is not None, "requests": True, "appeals": appeals_head is not None}
    for section in (proactive, requests, appeals):
        report.checks.extend(section.checks)
    report.layout = _layout(tokens, lines, stream.token_at(pro_lo_char), app_hi, requests.glued, squeezed)
    return report, [(section.keys, section.printed) for section in (proactive, requests, appeals)]
