"""Who published the report and for which year: read from its title, as printed."""

from __future__ import annotations

import re

from pipeline.hanzi import T2S
from pipeline.template import PERIOD_PATTERN, TITLE_PATTERN

_TITLE = re.compile(TITLE_PATTERN)
_PERIOD = re.compile(PERIOD_PATTERN)
_ANY_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_NOT_AGENCY = re.compile(r"[《》“”\"()]|关于|根据|编制|印发|通知")
_PLACE = re.compile(
    r"^(?P<province>[\u4e00-\u9fff]{2,6}?(?:省|自治区))?"
    r"(?P<city>[^局委厅部办院所署会]{2,7}?(?:市|自治州|盟|地区))?"
    r"(?P<county>[^局委厅部办院所署会市]{2,8}?(?:区|县|旗))?"
)
_TITLE_SEARCH_LINES = 60


def _clean_agency(s: str) -> str:
    s = s.strip(" :：-—·|")
    for affix in ("关于",):
        s = s.removeprefix(affix).removesuffix(affix)
    return s


def find_title(lines: list[str]) -> tuple[str | None, str | None, int | None]:
    """(title, agency, year) from the first title-shaped text near the top of the report.
    Matched on simplified characters (a mirror site prints 報告), returned as printed."""
    for i, line in enumerate(lines[:_TITLE_SEARCH_LINES]):
        for m in _TITLE.finditer(line.translate(T2S)):
            agency = _clean_agency(line[m.start("agency") : m.end("agency")])
            if _NOT_AGENCY.search(agency):
                continue
            title = line[m.start() : m.end()].strip()
            if not agency:
                # the agency on a line of its own above "2023 年政府信息公开工作年度报告"
                prev = next((p.strip() for p in reversed(lines[max(0, i - 2) : i]) if p.strip()), "")
                if prev and len(prev) <= 40 and not re.search(r"[。，,;；:：]", prev):
                    agency = prev
                    title = f"{prev}{title}"
            return title, agency or None, int(m.group("year"))
    return None, None, None


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
