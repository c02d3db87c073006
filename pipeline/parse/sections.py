"""Readers for the three statistical sections: 二 (proactive), 三 (requests), 四 (appeals).

Each takes the token stream and its bounds, places the template's labels (``anchors``), gathers
the value tokens that belong to each row, and hands ambiguous rows to ``readings``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pipeline.identities import BALANCE, appeal_checks, failures, outcome_coefficient, request_checks
from pipeline.model import Cell, Check
from pipeline.parse.anchors import Anchor, LabelStream, match_rows, score
from pipeline.parse.readings import Reading, choose, readings, solve, totalled_readings
from pipeline.parse.tokens import BLANK, NUM, TEXT, Token
from pipeline.template import (
    APPEAL_OUTCOMES,
    APPEAL_PROCEEDINGS,
    APPLICANT_CODES,
    TEMPLATES,
    Row,
    Template,
)

WIDTH = len(APPLICANT_CODES)
APPEALS_WIDTH = len(APPEAL_PROCEEDINGS) * len(APPEAL_OUTCOMES)


@dataclass
class SectionResult:
    cells: list[Cell] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    glued: bool = False


def _is_value(tok: Token) -> bool:
    return tok.kind != TEXT


def value_tokens(tokens: list[Token], lo: int, hi: int, width: int) -> list[int]:
    """Indices of the value tokens in tokens[lo:hi].

    On a tab/pipe line the values are the cells after its last label cell; empty cells there are
    blanks, but empty cells standing for merged label cells (leading) or padding (trailing) are
    trimmed while the line holds more than `width` cells.  A line of empty cells only is layout."""
    out: list[int] = []
    i = lo
    while i < hi:
        tok = tokens[i]
        if not tok.celled:
            if _is_value(tok):
                out.append(i)
            i += 1
            continue
        j = i
        while j < hi and tokens[j].line == tok.line:
            j += 1
        line_idx = list(range(i, j))
        last_text = max((k for k in line_idx if tokens[k].kind == TEXT), default=None)
        vals = [k for k in line_idx if _is_value(tokens[k]) and (last_text is None or k > last_text)]
        while len(vals) > width and tokens[vals[-1]].kind == BLANK:
            vals.pop()
        while len(vals) > width and tokens[vals[0]].kind == BLANK:
            vals.pop(0)
        if any(tokens[k].kind != BLANK for k in vals) or len(vals) >= width:
            out.extend(vals)
        i = j
    return out


def _glued_after(tokens: list[Token], anchor: Anchor) -> bool:
    """True if a number follows the label with no space at all (crawler text)."""
    a = tokens[anchor.end_tok]
    k = anchor.end_tok + 1
    if k >= len(tokens):
        return False
    b = tokens[k]
    return b.kind == NUM and b.line == a.line and b.col == a.col + len(a.text)


def _row_specs(rows: tuple[Row, ...]) -> list[tuple[tuple[str, ...], bool]]:
    return [(r.keys, r.carries_values) for r in rows]


def read_requests(tokens: list[Token], lo: int, hi: int, template: Template) -> tuple[SectionResult, str]:
    """Section 三.  Returns the result and the name of the row set that matched ('2019'/'2021'):
    reports may print the other template's （六） block, so both row sets are tried."""
    stream = LabelStream(tokens, lo, hi)
    best = None
    for name, tpl in TEMPLATES.items():
        specs = _row_specs(tpl.requests)
        anchors = match_rows(stream, specs)
        s = score(anchors, specs) + (0.5 if name == template.name else 0)
        if best is None or s > best[0]:
            best = (s, name, tpl, anchors)
    _, variant, tpl, anchors = best
    value_rows = [(r, a) for r, a in zip(tpl.requests, anchors, strict=False) if r.carries_values]
    found = [(r, a) for r, a in value_rows if a is not None]
    result = SectionResult()
    if not found:
        result.checks.append(Check("section", "requests", None, None, False, "section 三 not found"))
        return result, variant
    first_tok = found[0][1].start_tok
    vals = value_tokens(tokens, lo, hi, WIDTH)
    # values printed right before the first label (nothing between) belong to it
    lead = first_tok
    while lead > lo and _is_value(tokens[lead - 1]):
        lead -= 1
    vals = [k for k in vals if k >= lead]
    glued_votes = [_glued_after(tokens, a) for _, a in found]
    result.glued = sum(glued_votes) * 2 > len(glued_votes)

    per_row: dict[str, list[int]] = {}
    if not result.glued and len(vals) == WIDTH * len(value_rows):
        # every row printed all its cells: the numbers come in template order, whatever the
        # order of labels and numbers on the page (PDF text puts some values before labels)
        for n, (row, _) in enumerate(value_rows):
            per_row[row.code] = vals[n * WIDTH:(n + 1) * WIDTH]
    else:
        bounds = [a.start_tok for _, a in found[1:]] + [hi]
        for (row, a), end in zip(found, bounds, strict=False):
            per_row[row.code] = [k for k in vals if a.end_tok < k < end]

    options: dict[str, list[Reading]] = {}
    for row, a in value_rows:
        idx = per_row.get(row.code)
        if idx is None:
            continue
        line = tokens[a.end_tok].line if a else tokens[idx[0]].line if idx else 0
        opts = readings([tokens[k] for k in idx], WIDTH, integer=True, glued=result.glued, line=line)
        if opts:
            options[row.code] = opts
        else:
            result.checks.append(Check("reading", f"requests.{row.code}", WIDTH, len(idx), False,
                                       "row has no reading with 7 cells"))

    def row_ok(r: Reading) -> bool:
        v = r.values
        return sum(x or 0 for x in v[:6]) == (v[6] or 0)

    def fails(picks: dict[str, Reading]) -> int:
        rows = {c: p.values for c, p in picks.items()}
        return failures([c for c in request_checks(rows) if c.rule != "row_total"])

    pools = {code: [r for r in opts if row_ok(r)] or opts for code, opts in options.items()}
    choice = solve(pools, lambda code: (BALANCE.get(code, 0), outcome_coefficient(code)))
    if choice is None:
        choice = choose(options, row_ok, fails)
    for code, n in choice.doubtful.items():
        result.checks.append(Check("reading", f"requests.{code}", 1, n, False,
                                   f"{n} readings of this row fit the identities equally"))
    printed = {c: p for c, p in choice.picks.items()}
    for row, _ in value_rows:
        if row.code not in printed and row.code not in {c.scope.split(".", 1)[1] for c in result.checks}:
            result.checks.append(Check("reading", f"requests.{row.code}", 1, 0, False, "row not found"))
    categories = list(template.categories)
    categories += [c for c in tpl.categories if c not in categories]
    for code in categories:
        pick = printed.get(code)
        for col, applicant in enumerate(APPLICANT_CODES):
            if pick is None:
                result.cells.append(Cell("requests", code, applicant, "", None, None))
            else:
                raw, value, line = pick.cells[col]
                result.cells.append(Cell("requests", code, applicant, raw, value, line))
    result.checks.extend(request_checks({c: p.values for c, p in printed.items()}))
    return result, variant


def read_appeals(tokens: list[Token], lo: int, hi: int, glued: bool) -> SectionResult:
    """Section 四: the 15 numbers, in printed order, from the first runs of values."""
    result = SectionResult(glued=glued)
    vals = value_tokens(tokens, lo, hi, APPEALS_WIDTH)
    picked: list[int] = []
    for k in vals:
        if (picked and any(tokens[m].kind == TEXT for m in range(picked[-1] + 1, k))
                and _capacity_sum(tokens, picked) >= APPEALS_WIDTH):
            break
        if not picked and tokens[k].kind == BLANK:
            continue
        picked.append(k)
    line = tokens[lo].line if lo < len(tokens) else 0
    toks = [tokens[k] for k in picked]
    opts = totalled_readings(toks, len(APPEAL_OUTCOMES), len(APPEAL_PROCEEDINGS)) if glued else []
    opts = opts or readings(toks, APPEALS_WIDTH, integer=True, glued=glued, line=line)
    if not picked or not opts:
        result.checks.append(Check("section", "appeals", None, None, False, "section 四 not read"))
        for proc, _ in APPEAL_PROCEEDINGS:
            for out, _ in APPEAL_OUTCOMES:
                result.cells.append(Cell("appeals", proc, out, "", None, None))
        return result
    choice = choose({"appeals": opts}, lambda r: True, lambda p: failures(appeal_checks(p["appeals"].values)))
    pick = choice.picks["appeals"]
    if choice.doubtful:
        result.checks.append(Check("reading", "appeals", 1, choice.doubtful["appeals"], False,
                                   "several readings of section 四 fit the identities equally"))
    k = 0
    for proc, _ in APPEAL_PROCEEDINGS:
        for out, _ in APPEAL_OUTCOMES:
            raw, value, line = pick.cells[k]
            result.cells.append(Cell("appeals", proc, out, raw, value, line))
            k += 1
    result.checks.extend(appeal_checks(pick.values))
    return result


def _capacity_sum(tokens: list[Token], idx: list[int]) -> int:
    return sum(sum(ch.isdigit() for ch in tokens[k].text) if tokens[k].kind == NUM else 1 for k in idx)


# Plausibility of a proactive reading when glued digits admit several: lower is likelier.
# Year-on-year changes and repeals are usually small; what is in force is at least what was issued
# this year; what was made is usually what was published; a procurement averages ~10^5.5 yuan.
def _proactive_cost(metrics: tuple[str, ...], values: tuple) -> float:
    v = dict(zip(metrics, (x or 0 for x in values), strict=False))
    cost = 0.0
    for m in ("items_change", "repealed"):
        if m in v:
            cost += abs(v[m])
    if "in_force" in v and v["in_force"] < v.get("issued", 0):
        cost += 1e6
    if "total_published" in v:
        cost += abs(v["made"] - v["published"])
        if v["total_published"] < v["published"]:
            cost += 1e6
    if "items" in v and v["items"]:
        cost += abs(math.log10(max(v["amount_10k_yuan"] * 1e4 / v["items"], 1e-9)) - 5.5) * 10
    return cost


def read_proactive(tokens: list[Token], lo: int, hi: int, template: Template, glued: bool) -> SectionResult:
    """Section 二: for each item, the values right after its label."""
    result = SectionResult(glued=glued)
    stream = LabelStream(tokens, lo, hi)
    anchors = match_rows(stream, [(item.keys, True) for item in template.proactive])
    if not any(anchors):
        result.checks.append(Check("section", "proactive", None, None, False, "section 二 not found"))
    for item, a in zip(template.proactive, anchors, strict=False):
        n = len(item.metrics)
        pick = None
        if a is not None:
            idx = []
            k = a.end_tok + 1
            while k < hi and tokens[k].kind != TEXT and not a.tail:
                idx.append(k)
                k += 1
            opts = readings([tokens[k] for k in idx], n, integer=False, glued=glued,
                            line=tokens[a.end_tok].line)
            if opts:
                opts.sort(key=lambda r: (r.cost, _proactive_cost(item.metrics, r.values)))
                rivals = sum(r.cost == opts[0].cost for r in opts)
                if rivals > 1:
                    result.checks.append(Check("reading", f"proactive.{item.code}", 1, rivals, False,
                                               f"{rivals} readings of glued digits; kept the likeliest"))
                pick = opts[0]
            else:
                result.checks.append(Check("reading", f"proactive.{item.code}", n, len(idx), False,
                                           "no reading with the template's columns"))
        for m, metric in enumerate(item.metrics):
            if pick is None:
                result.cells.append(Cell("proactive", item.code, metric, "", None, None))
            else:
                raw, value, line = pick.cells[m]
                result.cells.append(Cell("proactive", item.code, metric, raw, value, line))
    return result
