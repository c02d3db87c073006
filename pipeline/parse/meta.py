"""Who published the report and for which year: read from its title, as printed."""

from __future__ import annotations

import re

from pipeline.hanzi import T2S
from pipeline.template import AGENCY_ENDINGS, PERIOD_PATTERN, TITLE_PATTERN

_TITLE = re.compile(TITLE_PATTERN)
_PERIOD = re.compile(PERIOD_PATTERN)
_ANY_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_NOT_AGENCY = re.compile(r"[《》“”\"()]|关于|根据|编制|印发|通知")
_PLACE = re.compile(
    r"^(?P<province>[\u4e00-\u9fff]{2,6}?(?:省|自治区))?"
    r"(?P<city>[^局委厅部办院所署会]{2,7}?(?:市|自治州|盟|地区))?"
    r"(?P<county>[^局委厅部办院所署会市]{2,8}?(?:区|县|旗))?"
)
_TRADITIONAL = re.compile("[" + re.escape("".join(map(chr, T2S))) + "]")
_TITLE_SEARCH_LINES = 60
_SHORTEST_NAME = 3  # characters: a shorter agency is the end of a name wrapped onto the title's line
_MENU_ITEM = 10  # characters: a line this short beside a title is a menu item, not the title's
_NAME = re.compile(r"[^。，,;；:：]{1,40}")  # short, and no sentence


def _clean_agency(s: str) -> str:
    s = s.strip(" :：-—·|")
    for affix in ("关于",):
        s = s.removeprefix(affix).removesuffix(affix)
    return s


def find_title(lines: list[str]) -> tuple[str | None, str | None, int | None]:
    """(title, agency, year) from the first title-shaped text near the top of the report.
    Matched on simplified characters (a mirror site prints 報告), returned as printed.  A title
    a printed page wraps ("…2023 年政府信息公" / "开工作年度报告") is read across the wrap."""
    for i, line in enumerate(lines[:_TITLE_SEARCH_LINES]):
        # a title lies inside one cell: a menu item beside it ("信息公开目录\t2022年度…") is no agency
        cells = line.split("\t")
        found = next(filter(None, (_title(cell, lines, i) for cell in cells)), None)
        last = cells[-1].rstrip()
        for following in _continuations(lines, i) if found is None else ():
            found = _title(last + following.split("\t")[0], lines, i, wrap=len(last))
            if found is not None:
                break
        if found is not None:
            return found
    return None, None, None


def _continuations(lines: list[str], i: int) -> list[str]:
    """Where the rest of a title wrapped after line i can be: the next line, or the one after
    when the next is a short line of its own (a menu item printed beside the title)."""
    after = [line.strip() for line in lines[i + 1 : i + 3]]
    out = after[:1]
    if len(after) == 2 and after[0] and len(after[0]) <= _MENU_ITEM and "\t" not in after[0]:
        out.append(after[1])
    return [c.split("\t")[0] for c in out if c and not _has_title(c)]


def _may_have_title(text: str) -> bool:
    """False where `text` cannot hold a title: it has no year (19xx or 20xx), which translating
    its characters to simplified ones would not give it (most lines above a title: no translation
    and no search for them)."""
    return "20" in text or "19" in text


def _has_title(text: str) -> bool:
    return _may_have_title(text) and _TITLE.search(_simplified(text)) is not None


def _simplified(text: str) -> str:
    """`text` in simplified characters: translated only where it holds a traditional one (a
    search for one costs a tenth of the translation)."""
    return text.translate(T2S) if _TRADITIONAL.search(text) else text


def _title(text: str, lines: list[str], i: int, wrap: int | None = None) -> tuple[str, str | None, int] | None:
    """The title in `text` (line i, or line i joined with the next at `wrap`: then only a title
    that crosses the wrap)."""
    if not _may_have_title(text):
        return None
    for m in _TITLE.finditer(_simplified(text)):
        if wrap is not None and not m.start() < wrap < m.end():
            continue
        agency = _clean_agency(text[m.start("agency") : m.end("agency")])
        if _NOT_AGENCY.search(agency):
            continue
        title = text[m.start() : m.end()].strip()
        head = _last_cell(lines[i - 1]) if i and agency and not text[: m.start("agency")].strip() else ""
        if _NAME.fullmatch(head) and not head.endswith(tuple(")）」》")) and _wrapped_name(head, agency, lines):
            # the name wrapped before its last characters ("…自然资源和规划" / "局 2019 年度…")
            agency, title = head + agency, head + title
        if not agency:
            # the agency on a line of its own above "2023 年政府信息公开工作年度报告"
            prev = _agency_above(lines[max(0, i - 2) : i])
            if prev:
                agency = prev
                title = f"{prev}{title}"
        return title, agency or None, int(m.group("year"))
    return None


def _wrapped_name(head: str, agency: str, lines: list[str]) -> bool:
    """Is the agency on the title's line the end of a name that wrapped after `head`, the line
    above?  Yes if what is left is too short to be a name, or if the report names the whole
    (head and agency) again below the title ("本报告由…人力资源和社会保障局根据…"), across line
    breaks: a site's name or a menu item above a title is not part of its agency."""
    if len(agency) < _SHORTEST_NAME:
        return True
    text = re.sub(r"\s+", "", "".join(lines[:_TITLE_SEARCH_LINES]))
    return text.count(re.sub(r"\s+", "", head + agency)) >= 2


def _agency_above(above: list[str]) -> str:
    """The agency's name among the lines above a title that names none: the nearest line (or,
    on a page whose menu was printed beside the title, the nearest cell) that is a short name
    ending like an agency's; failing that, the last cell of the nearest line, if it is short and
    no sentence."""
    lines = [line.strip() for line in reversed(above) if line.strip()]
    names = [c.strip() for line in lines for c in reversed(line.split("\t")) if _NAME.fullmatch(c.strip())]
    named = next((n for n in names if n.endswith(AGENCY_ENDINGS)), None)
    if named:
        return named
    nearest = _last_cell(lines[0]) if lines else ""
    return nearest if _NAME.fullmatch(nearest) else ""


def _last_cell(line: str) -> str:
    return line.split("\t")[-1].strip()


def find_year(lines: list[str]) -> int | None:
    text = "\n".join(lines)
    m = _PERIOD.search(text) or _ANY_YEAR.search(text)
    return int(m.group(1) if m.re is _ANY_YEAR else m.group("year")) if m else None


def places(agency: str | None) -> tuple[str | None, str | None, str | None]:
    """Province, city and county where the agency's own name states them."""
    if not agency:
        return None, None, None
    m = _PLACE.match(agency)
    return (m.group("province"), m.group("city"), m.group("county")) if m else (None, None, None)
