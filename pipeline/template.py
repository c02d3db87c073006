"""The two official report templates, described as data.

Everything the parser knows about the statistical tables lives here: row codes and printed
labels, the label variants met in the wild, which rows carry numbers, the column sets, the
section headings and the metric headers that tell the templates apart.  The parser is the same
code for both templates; a new template year or a new label variant is an edit to this file.

Labels are matched on their *canonical key* (see ``pipeline.normalize.canon``): NFKC, simplified
characters, no whitespace and no punctuation.  ``keys`` lists the fragments that identify a row,
most specific first; the parser searches them in template order, so a short fragment only has to
be unique between its neighbours.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

APPLICANT_TYPES: tuple[tuple[str, str], ...] = (
    ("natural_person", "自然人"),
    ("commercial_enterprise", "商业企业"),
    ("research_institution", "科研机构"),
    ("social_welfare_org", "社会公益组织"),
    ("legal_service_org", "法律服务机构"),
    ("other_org", "其他"),
    ("total", "总计"),
)
APPLICANT_CODES = tuple(code for code, _ in APPLICANT_TYPES)

APPEAL_PROCEEDINGS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("litigation_direct", "未经复议直接起诉"),
    ("litigation_after_review", "复议后起诉"),
)
APPEAL_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)


@dataclass(frozen=True)
class Row:
    """One printed row of section 三.  ``code`` is None for group headers (no numbers)."""

    code: str | None
    label: str
    keys: tuple[str, ...]

    @property
    def carries_values(self) -> bool:
        return self.code is not None


def _row(code: str | None, label: str, *keys: str) -> Row:
    return Row(code, label, keys)


_HEAD = (
    _row("received.new", "一、本年新收政府信息公开申请数量", "本年新收政府信息公开申请数量", "本年新收"),
    _row("received.carried_over", "二、上年结转政府信息公开申请数量", "上年结转政府信息公开申请数量", "上年结转"),
    _row(None, "三、本年度办理结果", "本年度办理结果"),
    _row("outcome.granted", "（一）予以公开", "予以公开"),
    _row("outcome.partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "部分公开"),
    _row(None, "（三）不予公开", "不予公开"),
    _row("outcome.withheld.state_secret", "1.属于国家秘密", "属于国家秘密", "国家秘密"),
    _row(
        "outcome.withheld.prohibited_by_law",
        "2.其他法律行政法规禁止公开",
        "其他法律行政法规禁止公开",
        "其他法律法规禁止公开",
        "法规禁止公开",
        "其他法律",
        "禁止公开",
    ),
    _row("outcome.withheld.security_stability", "3.危及“三安全一稳定”", "危及三安全一稳定", "三安全一稳定", "危及"),
    _row(
        "outcome.withheld.third_party_rights", "4.保护第三方合法权益", "保护第三方合法权益", "第三方合法权益", "第三方"
    ),
    _row("outcome.withheld.internal_affairs", "5.属于三类内部事务信息", "属于三类内部事务信息", "内部事务"),
    _row("outcome.withheld.process_info", "6.属于四类过程性信息", "属于四类过程性信息", "过程性信息", "过程性"),
    _row("outcome.withheld.enforcement_file", "7.属于行政执法案卷", "属于行政执法案卷", "执法案卷"),
    _row("outcome.withheld.admin_query", "8.属于行政查询事项", "属于行政查询事项", "行政查询", "查询事项"),
    _row(None, "（四）无法提供", "无法提供"),
    _row("outcome.unavailable.not_held", "1.本机关不掌握相关政府信息", "本机关不掌握相关政府信息", "不掌握"),
    _row(
        "outcome.unavailable.needs_creation",
        "2.没有现成信息需要另行制作",
        "没有现成信息需要另行制作",
        "另行制作",
        "没有现成",
    ),
    _row("outcome.unavailable.unclear", "3.补正后申请内容仍不明确", "补正后申请内容仍不明确", "仍不明确", "补正后"),
    _row(None, "（五）不予处理", "不予处理"),
    _row("outcome.not_processed.complaint", "1.信访举报投诉类申请", "信访举报投诉类申请", "信访举报", "投诉类"),
    _row("outcome.not_processed.duplicate", "2.重复申请", "重复申请"),
    _row("outcome.not_processed.publication", "3.要求提供公开出版物", "要求提供公开出版物", "公开出版物", "出版物"),
    _row(
        "outcome.not_processed.excessive", "4.无正当理由大量反复申请", "无正当理由大量反复申请", "大量反复", "反复申请"
    ),
    _row(
        "outcome.not_processed.confirmation",
        "5.要求行政机关确认或重新出具已获取信息",
        "要求行政机关确认或重新出具已获取信息",
        "重新出具",
        "已获取信息",
        "确认或重",
    ),
)
_TAIL = (
    _row("outcome.total", "（七）总计", "七总计", "总计"),
    _row("carried_forward", "四、结转下年度继续办理", "结转下年度继续办理", "结转下年"),
)
_OTHER_2019 = (_row("outcome.other", "（六）其他处理", "六其他处理", "其他处理"),)
_OTHER_2021 = (
    _row(None, "（六）其他处理", "六其他处理", "其他处理"),
    _row(
        "outcome.other.no_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "申请人无正当理由逾期不补正",
        "逾期不补正",
        "无正当理由逾期",
    ),
    _row(
        "outcome.other.fee_unpaid",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "申请人逾期未按收费通知要求缴纳费用",
        "缴纳费用",
        "收费通知",
    ),
    _row("outcome.other.other", "3.其他", "3其他"),
)


@dataclass(frozen=True)
class Item:
    """One row of section 二 and the metrics (columns) it carries, in printed order."""

    code: str
    label: str
    keys: tuple[str, ...]
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    name: str
    requests: tuple[Row, ...]
    proactive: tuple[Item, ...]
    # metric headers printed above section 二's tables: evidence for this template
    metric_headers: tuple[str, ...]
    metric_labels: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def value_rows(self) -> tuple[Row, ...]:
        return tuple(r for r in self.requests if r.carries_values)

    @functools.cached_property
    def categories(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.value_rows)  # type: ignore[misc]


_REG = ("规章",)
_NORM = ("行政规范性文件", "规范性文件")

TEMPLATE_2021 = Template(
    name="2021",
    requests=_HEAD + _OTHER_2021 + _TAIL,
    proactive=(
        Item("regulations", "规章", _REG, ("issued", "repealed", "in_force")),
        Item("normative_documents", "行政规范性文件", _NORM, ("issued", "repealed", "in_force")),
        Item("licensing", "行政许可", ("行政许可",), ("decisions",)),
        Item("penalty", "行政处罚", ("行政处罚",), ("decisions",)),
        Item("coercion", "行政强制", ("行政强制",), ("decisions",)),
        Item("fees", "行政事业性收费", ("行政事业性收费", "事业性收费"), ("amount_10k_yuan",)),
    ),
    metric_headers=("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额"),
    metric_labels={
        "issued": "本年制发件数",
        "repealed": "本年废止件数",
        "in_force": "现行有效件数",
        "decisions": "本年处理决定数量",
        "amount_10k_yuan": "本年收费金额（单位：万元）",
    },
)

TEMPLATE_2019 = Template(
    name="2019",
    requests=_HEAD + _OTHER_2019 + _TAIL,
    proactive=(
        Item("regulations", "规章", _REG, ("made", "published", "total_published")),
        Item("normative_documents", "规范性文件", _NORM, ("made", "published", "total_published")),
        Item("licensing", "行政许可", ("行政许可",), ("items_last_year", "items_change", "decisions")),
        Item(
            "other_services",
            "其他对外管理服务事项",
            ("其他对外管理服务事项", "对外管理服务"),
            ("items_last_year", "items_change", "decisions"),
        ),
        Item("penalty", "行政处罚", ("行政处罚",), ("items_last_year", "items_change", "decisions")),
        Item("coercion", "行政强制", ("行政强制",), ("items_last_year", "items_change", "decisions")),
        Item("fees", "行政事业性收费", ("行政事业性收费", "事业性收费"), ("items_last_year", "items_change")),
        Item("procurement", "政府集中采购", ("政府集中采购", "集中采购"), ("items", "amount_10k_yuan")),
    ),
    metric_headers=(
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "上一年项目数量",
        "本年增减",
        "采购项目数量",
        "采购总金额",
        "其他对外管理服务事项",
    ),
    metric_labels={
        "made": "本年新制作数量",
        "published": "本年新公开数量",
        "total_published": "对外公开总数量",
        "items_last_year": "上一年项目数量",
        "items_change": "本年增/减",
        "decisions": "处理决定数量",
        "items": "采购项目数量",
        "amount_10k_yuan": "采购总金额",
    },
)

TEMPLATES: dict[str, Template] = {"2021": TEMPLATE_2021, "2019": TEMPLATE_2019}


def _cell_labels() -> dict[tuple[str, str, str], str]:
    labels: dict[tuple[str, str, str], str] = {}
    for tpl in TEMPLATES.values():
        for row in tpl.value_rows:
            for code, zh in APPLICANT_TYPES:
                labels.setdefault(("requests", row.code or "", code), f"{row.label}｜{zh}")
        for item in tpl.proactive:
            for metric in item.metrics:
                labels.setdefault(("proactive", item.code, metric), f"{item.label}｜{tpl.metric_labels[metric]}")
    for proceeding, proceeding_zh in APPEAL_PROCEEDINGS:
        for outcome, outcome_zh in APPEAL_OUTCOMES:
            labels[("appeals", proceeding, outcome)] = f"{proceeding_zh}｜{outcome_zh}"
    return labels


# Every cell either template has, (table, key1, key2) -> its printed label (the first template's
# where both print it), in a fixed order: the warehouse's label_zh, and the cell's number while
# a parsed report travels from a worker (``FileResult.pack``).
CELL_LABELS: dict[tuple[str, str, str], str] = _cell_labels()

# A row with numbers rarely leaves natural_person or total blank: blanks lost by an extractor are
# put back in the organisation columns first (a weight per applicant column).
REQUEST_BLANK_WEIGHT = (2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0)

# The first row of section 三 finds the tables (prose rarely names a row in full), most specific
# key first; cheap substring hints on raw lines bound the lines worth tokenising: from the last
# section-二 heading before that row to the section-五 heading after it.
FIRST_ROW_KEYS = (("本年新收政府信息公开申请数量",), ("新收政府信息公开申请数量",), ("本年新收",))
FIRST_ROW_HINT = "本年新收"
TABLES_START_HINTS = ("主动公开", "主動公開")
TABLES_END_HINTS = ("存在的主要问题", "存在的主要問題")

# Section headings, by canonical key fragments.  A section starts at the *last* heading match
# before its first table row (prose in section 一 often names every section).
SECTION_PROACTIVE = ("主动公开政府信息情况",)
SECTION_REQUESTS = ("收到和处理政府信息公开申请情况", "收到和处理政府信息公开申请")
SECTION_APPEALS = ("行政复议行政诉讼情况", "被申请行政复议", "行政复议行政诉讼", "行政复议")
SECTION_AFTER_APPEALS = ("存在的主要问题", "主要问题及改进", "其他需要报告的事项", "五")

# Lines that printers and crawlers put inside tables and that carry digits a parser must not read
# as values: page counters, print headers, URLs.  Matched against a whole (NFKC-normalised) line.
NOISE_LINE_PATTERNS: tuple[str, ...] = (
    r"[-—–－~]+\s*\d{1,3}\s*[-—–－~]+",  # "- 4 -", "— 12 —"
    # 第 3 页 / 共 5 页, either part alone: not a lone "/", which is a not-applicable cell
    r"第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页",
    r"\d{1,3}\s*/\s*\d{1,3}",  # 2/3
    r"(https?://|www\.)\S*(\s+\d{1,3}\s*/\s*\d{1,3})?",  # URL, optionally with "2/3"
    r"\d{4}/\d{1,2}/\d{1,2}(\s+\d{1,2}:\d{2}(:\d{2})?)?(\s+.*)?",  # browser print header
    r"\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}(:\d{2})?(\s+.*)?",
)
# What a line of page chrome starts with (after spaces), but for a digit: a line that starts
# otherwise is not matched against the patterns (tests/test_tokens.py holds them to it).
NOISE_LINE_STARTS = "-—–－~第共hw"

# Header phrases that contain digits which are not values (replaced before tokenising).
DIGIT_HEADER_PHRASES: tuple[str, ...] = (r"保留\s*\d+\s*位小[数數]",)
DIGIT_HEADER_HINTS: tuple[str, ...] = ("位小数", "位小數")  # a line holds one of the phrases only if it holds a hint

# Titles: "<agency><year>年(度)政府信息公开(工作)年度报告"
TITLE_PATTERN = (
    r"(?P<agency>[^\s:：，。;；]{0,60}?)\s*(?P<year>(19|20)\d{2})\s*年度?\s*"
    r"(?:政府)?信息公开(?:工作)?(?:年度)?报告"
)
# The last characters of agency names (人民政府, 教育局, 管理委员会, 办事处, 保障中心, 海关, or a place
# named for its government: 平潭综合实验区), simplified and traditional: where a title names no
# agency, the agency is looked for on the lines above it, among a page's menu items.
AGENCY_ENDINGS = tuple("府局委办院厅部会处所室站队司署心组馆台社庭镇乡关校场区县市省旗州盟辦廳會處隊組館臺鎮鄉關場區縣")
PERIOD_PATTERN = r"统计期限.{0,6}?(?P<year>(19|20)\d{2})\s*年\s*1\s*月\s*1\s*日"

# Amount units found inside a cell: divisor to reach 万元.
AMOUNT_UNITS = {"万元": 1, "元": 10000}
# Cells that print "not applicable" rather than a number.
NA_CELLS = ("/", "-", "—", "——", "–", "－", "\\", "无", "×")
# Label text that holds a not-applicable mark, as every pair of characters the mark forms with a
# neighbour ("无法", "无正", "增/", "/减"): a mark glued to, or a stray space away from, label text
# is label text when it forms such a pair ("（四）无 法提供", "本年增/" wrapped before "减"), and a
# cell otherwise ("总计/", "行政许可 无").
_MARKS = frozenset(c for c in NA_CELLS if len(c) == 1)
MARK_PAIRS = frozenset(
    text[i : i + 2]
    for tpl in TEMPLATES.values()
    for text in (
        *(t for row in tpl.requests for t in (row.label, *row.keys)),
        *(t for item in tpl.proactive for t in (item.label, *item.keys)),
        *tpl.metric_labels.values(),
        *tpl.metric_headers,
    )
    for i in range(len(text) - 1)
    if _MARKS & {text[i], text[i + 1]}
)
