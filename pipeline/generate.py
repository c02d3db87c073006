"""Random annual reports with known answers, for round-trip testing the parser.

Real reports are few and hand-labelled; the layouts they come in are many.  This module makes as
many as needed: random numbers that satisfy every published identity (SPEC.md), laid out as a
TABLE MODEL (rows of cells with rowspan/colspan, like the HTML tables agencies publish), then
printed by one renderer per text layout met in the wild, with the noise each layout carries
(corpus/NOTES.md).  ``expected`` is what the parser must return, keyed like ``Report.values()``.

HTML or DOCX renderers can be added from the same ``Doc`` model: a renderer is a function
``(Doc, Random) -> str`` registered in ``RENDERERS``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from pipeline.hanzi import T2S
from pipeline.template import APPEAL_OUTCOMES, APPEAL_PROCEEDINGS, APPLICANT_CODES, TEMPLATES, Template

Key = tuple[str, str, str]
Expected = dict[Key, "int | float | None"]

# ------------------------------------------------------------------ the table model


@dataclass
class TCell:
    """One cell as an HTML table holds it.  ``value`` marks a statistics cell (not a label)."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    value: bool = False


@dataclass
class Table:
    kind: str  # 'proactive' | 'requests' | 'appeals'
    width: int
    rows: list[list[TCell]]
    header_rows: int = 0  # leading rows that are column headers


@dataclass
class Doc:
    title: str  # one line; renderers may break it after the agency
    agency: str
    blocks: list[str | Table]  # headings, prose paragraphs and tables, in order


@dataclass
class Generated:
    text: str
    data: bytes
    encoding: str
    expected: Expected
    agency: str
    year: int
    template: str
    layout: str


def grid(table: Table) -> list[list[tuple[TCell, bool] | None]]:
    """Each row as its `width` grid slots: (cell, starts_here) or None for a hole.  A slot covered
    by a rowspan from above or a colspan to the left holds that cell with starts_here False."""
    covered: dict[tuple[int, int], TCell] = {}
    out = []
    for r, row in enumerate(table.rows):
        slots: list[tuple[TCell, bool] | None] = []
        cells = iter(row)
        c = 0
        while c < table.width:
            if (r, c) in covered:
                slots.append((covered[(r, c)], False))
                c += 1
                continue
            cell = next(cells, None)
            if cell is None:
                slots.append(None)
                c += 1
                continue
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    if dr or dc:
                        covered[(r + dr, c + dc)] = cell
            slots.append((cell, True))
            c += 1
        out.append(slots)
    return out


# ------------------------------------------------------------------ numbers


def _count(rng: random.Random, scale: float) -> int:
    return int(rng.expovariate(1 / scale)) if scale > 0 else 0


def _requests_values(rng: random.Random, categories: list[str]) -> dict[str, list[int]]:
    """Seven columns per category; every identity holds.  Natural persons dominate."""
    leaves = [c for c in categories if c.startswith("outcome.") and c != "outcome.total"]
    scale = rng.choices([0, 2, 8, 60, 900], weights=[15, 35, 25, 15, 10])[0]
    weights = {leaf: (rng.random() ** 2 if rng.random() < 0.5 else 0.0) for leaf in leaves}
    weights["outcome.granted"] = 1.0 + rng.random()
    rows = {c: [0] * 7 for c in categories}
    for col in range(6):
        active = col == 0 or rng.random() < (0.25 if col in (1, 5) else 0.08)
        col_scale = scale * (1 if col == 0 else rng.choice((0.02, 0.1, 0.3)))
        new = _count(rng, col_scale) if active else 0
        carried = _count(rng, col_scale / 20) if active and rng.random() < 0.3 else 0
        forward = rng.randint(0, (new + carried) // 5) if rng.random() < 0.3 else 0
        handled = new + carried - forward
        active_leaves = [leaf for leaf in leaves if weights[leaf] > 0 and rng.random() < 0.8] or ["outcome.granted"]
        share = [weights[leaf] * rng.random() for leaf in active_leaves]
        total_w = sum(share) or 1.0
        parts = [int(handled * w / total_w) for w in share]
        parts[0] += handled - sum(parts)
        for leaf, n in zip(active_leaves, parts, strict=True):
            rows[leaf][col] += n
        rows["received.new"][col] = new
        rows["received.carried_over"][col] = carried
        rows["carried_forward"][col] = forward
        rows["outcome.total"][col] = handled
    for vals in rows.values():
        vals[6] = sum(vals[:6])
    return rows


def _appeals_values(rng: random.Random) -> list[int]:
    out = []
    for _ in APPEAL_PROCEEDINGS:
        block = [0, 0, 0, 0]
        if rng.random() < 0.35:
            scale = rng.choice((1, 3, 20, 100))
            block = [_count(rng, scale) for _ in block]
        out += block + [sum(block)]
    return out


def _decimal(rng: random.Random, places: int, scale: float) -> str:
    value = rng.expovariate(1 / scale)
    text = f"{value:.{places}f}".rstrip("0").rstrip(".") if places else str(int(value))
    return text or "0"


def _proactive_values(rng: random.Random, tpl: Template) -> dict[tuple[str, str], str]:
    """The printed text of every section-二 cell (numbers only; zero styles are applied later)."""
    big = rng.random() < 0.3
    out: dict[tuple[str, str], str] = {}

    def n(scale: float, p_zero: float = 0.4) -> int:
        return 0 if rng.random() < p_zero else _count(rng, scale)

    for item in tpl.proactive:
        code = item.code
        if code in ("regulations", "normative_documents"):
            issued = n(1 if code == "regulations" else (20 if big else 3), 0.6 if code == "regulations" else 0.3)
            other = n(3, 0.6)
            in_force = issued + n(30 if big else 5, 0.3)
            if tpl.name == "2021":
                vals = [issued, other, in_force]
            else:
                made = issued + other
                vals = [made, made if rng.random() < 0.8 else issued, in_force + made]
            out.update({(code, m): str(v) for m, v in zip(item.metrics, vals, strict=True)})
        elif code == "fees" and tpl.name == "2021":
            out[(code, "amount_10k_yuan")] = (
                "0" if rng.random() < 0.4 else _decimal(rng, rng.choice((1, 2, 4, 6)), rng.choice((40, 8000)))
            )
        elif code == "procurement":
            items = n(100)
            amount = "0"
            if items:
                amount = _decimal(rng, 2, 3e5 * items)
                amount = f"{amount}元" if rng.random() < 0.5 else str(Decimal(amount) / 10000)
            out[(code, "items")], out[(code, "amount_10k_yuan")] = str(items), amount
        else:
            for m in item.metrics:
                if m == "decisions":
                    v = str(n(rng.choice((10, 500, 50000)) if big else 20))
                elif m == "items_change":
                    change = n(5, 0.6) * rng.choice((1, -1))
                    v = f"+{change}" if change > 0 and rng.random() < 0.5 else str(change)
                else:
                    v = str(n(50 if big else 8))
                out[(code, m)] = v
    return out


def _grouped(raw: str) -> str:
    """A number of four digits or more printed with thousands separators ("12,345.6元")."""
    m = re.fullmatch(r"([+-]?)(\d{4,})(.*)", raw)
    return f"{m[1]}{int(m[2]):,}{m[3]}" if m else raw


def _number(raw: str, integer: bool) -> int | float | None:
    """What the parser must read from a printed cell."""
    text = raw.strip().replace(",", "")
    if not text or text in NA_MARKS:
        return None
    if text.endswith("元"):
        return float(Decimal(text[:-1]) / 10000)
    return int(text) if integer else float(Decimal(text))


NA_MARKS = ("/", "-", "—")

# ------------------------------------------------------------------ labels and noise


@dataclass
class Style:
    """The per-report choices that make label drift and zero printing vary between reports."""

    half_brackets: bool
    ordinal: str  # '.', '、' or '．'
    label_space: float  # chance of a stray space inside a label
    norm_label: str
    prohibited: str
    zero: str  # how a zero prints: '0', '' (blank) or an NA mark
    zero_rows: float  # chance a row uses that zero style (else '0')
    traditional: bool
    fee_header: str
    appeals_heading: str
    note: bool
    split_group: bool


def _style(rng: random.Random, layout: str) -> Style:
    zero = rng.choices(["0", "", "na"], weights=[80, 12, 8])[0]
    return Style(
        half_brackets=rng.random() < 0.3,
        ordinal=rng.choices([".", "、", "．"], weights=[80, 15, 5])[0],
        label_space=rng.choice((0.0, 0.0, 0.05, 0.15)),
        norm_label=rng.choice(("行政规范性文件", "规范性文件")),
        prohibited=rng.choice(("其他法律行政法规禁止公开", "其他法律行政法规禁止公开", "其他法律法规禁止公开")),
        zero=rng.choice(NA_MARKS) if zero == "na" else zero,
        zero_rows=rng.choice((1.0, 0.7)),
        traditional=rng.random() < 0.08,
        fee_header=rng.choice(("本年收费金额（单位：万元）", "本年收费金额（单位：万元，保留4位小数）")),
        appeals_heading=rng.choice(
            ("四、政府信息公开行政复议、行政诉讼情况", "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况")
        ),
        note=rng.random() < 0.7,
        split_group=layout in ("glued", "tsv") and rng.random() < 0.2,
    )


_S2T = {simp: trad for trad, simp in ((chr(t), chr(s)) for t, s in T2S.items())}


def _traditional(text: str) -> str:
    return "".join(_S2T.get(ch, ch) for ch in text)


def _label(rng: random.Random, style: Style, label: str) -> str:
    """A template label as this report prints it."""
    if style.half_brackets:
        label = label.replace("（", "(").replace("）", ") " if rng.random() < 0.5 else ")").strip()
    if style.ordinal != ".":
        for d in "12345678":
            label = label.replace(f"{d}.", f"{d}{style.ordinal}")
    if len(label) > 4 and rng.random() < style.label_space:
        at = rng.randrange(2, len(label) - 1)
        label = label[:at] + " " + label[at:]
    return label.strip()


_PLACES = (
    "新乡市卫滨区",
    "淮安市洪泽区",
    "洛阳市瀍河回族区",
    "平潭综合实验区",
    "郑州市金水区",
    "江苏省",
    "福建省福州市",
    "淮安市",
    "南京市鼓楼区",
    "成都市武侯区",
    "湖北省武汉市江岸区",
    "广州市天河区",
)
_UNITS = (
    "人民政府",
    "人民政府办公室",
    "铁西街道办事处",
    "瀍西街道办事处",
    "发展和改革委员会",
    "市场监督管理局",
    "自然资源和规划局",
    "交通运输局",
    "卫生健康委员会",
    "教育局",
    "司法局",
    "人力资源和社会保障局",
)


def _agency(rng: random.Random) -> str:
    place = rng.choice(_PLACES)
    return place if place.endswith("实验区") and rng.random() < 0.5 else place + rng.choice(_UNITS)


# ------------------------------------------------------------------ the document


def _zero_as(raw: str, zero: str) -> str:
    return zero if raw in ("0", "+0", "-0") else raw


def _proactive_table(rng: random.Random, tpl: Template, style: Style, printed: dict[tuple[str, str], str]) -> Table:
    groups: list[tuple[str, list]] = []
    by_article = {
        "regulations": "一",
        "normative_documents": "一",
        "licensing": "五",
        "other_services": "五",
        "penalty": "六",
        "coercion": "六",
        "fees": "八",
        "procurement": "九",
    }
    for item in tpl.proactive:
        art = by_article[item.code]
        if not groups or groups[-1][0] != art:
            groups.append((art, []))
        groups[-1][1].append(item)
    rows: list[list[TCell]] = []
    for art, items in groups:
        rows.append([TCell(_label(rng, style, f"第二十条第（{art}）项"), colspan=4)])
        metrics = items[0].metrics
        head = [tpl.metric_labels[m] for m in metrics]
        if items[0].code == "fees" and tpl.name == "2021":
            head = [style.fee_header]
        header = [TCell("信息内容")] + [TCell(h) for h in head]
        header[-1].colspan = 4 - len(metrics)
        rows.append(header)
        for item in items:
            label = style.norm_label if item.code == "normative_documents" else item.label
            row = [TCell(label)] + [TCell(printed[(item.code, m)], value=True) for m in item.metrics]
            row[-1].colspan = 4 - len(item.metrics)
            rows.append(row)
    return Table("proactive", 4, rows)


_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def _requests_table(
    rng: random.Random, tpl: Template, style: Style, printed: dict[str, list[str]], hybrid: bool
) -> Table:
    rows: list[list[TCell]] = [
        [TCell(_NOTE if style.note else "", rowspan=3, colspan=3), TCell("申请人情况", colspan=7)],
        [TCell("自然人", rowspan=2), TCell("法人或其他组织", colspan=5), TCell("总计", rowspan=2)],
        [
            TCell(label)
            for _, label in (
                ("c", "商业企业"),
                ("r", "科研机构"),
                ("s", "社会公益组织"),
                ("l", "法律服务机构"),
                ("o", "其他"),
            )
        ],
    ]
    template_rows = list(tpl.requests)
    if hybrid:
        template_rows = [
            r for r in template_rows if not (r.code or "").startswith("outcome.other") and r.label != "（六）其他处理"
        ]
        at = next(i for i, r in enumerate(template_rows) if r.code == "outcome.total")
        template_rows.insert(at, next(r for r in TEMPLATES["2019"].requests if r.code == "outcome.other"))
    # which label column each template row sits in: 0 = spans all three, 1 = under 三, 2 = leaf
    body: list[tuple[int, str, str | None]] = []  # (depth, label, code)
    for r in template_rows:
        label = r.label
        if r.code == "outcome.withheld.prohibited_by_law":
            label = f"2.{style.prohibited}"
        if r.label.startswith(("一、", "二、", "四、")):
            depth = 0
        elif r.label.startswith("三、") or r.label.startswith("（"):
            depth = 1
        else:
            depth = 2
        if r.code is None and r.label.startswith("三、"):
            depth = 0
        body.append((depth, _label(rng, style, label), r.code))
    group_start = next(i for i, (_, _, c) in enumerate(body) if c == "outcome.granted")
    group_end = next(i for i, (_, _, c) in enumerate(body) if c == "outcome.total")
    value_rows: list[list[TCell]] = []
    pending_group: list[TCell] = []
    span_of: dict[int, int] = {}
    for i, (depth, _, code) in enumerate(body):
        if code is None and depth == 1:
            n = 0
            for j in range(i + 1, len(body)):
                if body[j][0] != 2:
                    break
                n += 1
            span_of[i] = n
    head_index = group_start - 1  # the 三、本年度办理结果 row
    split_at = next(i for i, (_, _, c) in enumerate(body) if c == "outcome.unavailable.not_held") - 1
    for i, (depth, label, code) in enumerate(body):
        if i == head_index:
            continue
        if code is None:
            pending_group.append(TCell(label, rowspan=span_of[i]))
            continue
        cells: list[TCell] = []
        if i == group_start or (style.split_group and i == split_at + 1):
            first, last = (
                (group_start, group_end)
                if not style.split_group
                else ((group_start, split_at) if i == group_start else (split_at, group_end))
            )
            span = sum(1 for j in range(first, last + 1) if body[j][2] is not None)
            cells.append(TCell(body[head_index][1], rowspan=span))
        cells += pending_group
        pending_group = []
        colspan = 3 if depth == 0 else (2 if depth == 1 else 1)
        cells.append(TCell(label, colspan=colspan))
        cells += [TCell(v, value=True) for v in printed[code]]
        value_rows.append(cells)
    return Table("requests", 10, rows + value_rows, header_rows=3)


def _appeals_table(printed: list[str]) -> Table:
    outcomes = [label for _, label in APPEAL_OUTCOMES]
    rows = [
        [TCell("行政复议", rowspan=2, colspan=5), TCell("行政诉讼", colspan=10)],
        [TCell("未经复议直接起诉", colspan=5), TCell("复议后起诉", colspan=5)],
        [TCell(o) for o in outcomes * 3],
        [TCell(v, value=True) for v in printed],
    ]
    return Table("appeals", 15, rows, header_rows=3)


def _prose(rng: random.Random, agency: str, year: int, new_total: int) -> dict[str, list[str]]:
    n = rng.randint(100, 6000)
    return {
        "intro": [
            rng.choice(
                (
                    f"本报告由{agency}根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求编制。本报告所列数据的统计期限"
                    f"自{year}年1月1日起至{year}年12月31日止。如对本报告有疑问，请与{agency}联系（电话：0517-87222589）。",
                    f"本年度报告根据《条例》编制。报告全文由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
                    f"因政府信息公开工作被申请行政复议以及提起行政诉讼情况、政府信息公开工作存在的主要问题及改进情况、"
                    f"其他需要报告的事项六部分组成。本年报所列数据的统计期限为{year}年1月1日至{year}年12月31日。",
                )
            )
        ],
        "一": [
            f"{year}年，{agency}坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实《条例》相关规范要求。",
            f"（一）主动公开情况。{year}年，通过政府网站主动公开政府信息{n}条，发布政策解读{n % 97}篇。",
            f"（二）依申请公开情况。{year}年共受理政府信息公开申请{new_total}件，均在法定期限内答复。",
            "（三）政府信息管理情况。严格执行“先审后发”程序，落实“三审三校”制度。",
            f"（四）政府信息公开平台建设情况。全年更新栏目{n % 53 + 3}个，于{year}年6月30日完成网站改版。",
        ],
        "五": [
            f"{year}年，政府信息公开工作仍存在一些不足。一是政策解读形式单一；二是队伍建设有待加强。"
            f"下一步，将于{year + 1}年3月底前完成整改。"
        ],
        "六": [rng.choice(("无", f"{year}年，未收取信息处理费。", "全年收取政府信息公开信息处理费 0 元。"))],
    }


def _document(
    rng: random.Random,
    tpl: Template,
    style: Style,
    agency: str,
    year: int,
    proactive: Table,
    requests: Table,
    appeals: Table,
    new_total: int,
) -> Doc:
    prose = _prose(rng, agency, year, new_total)
    blocks: list[str | Table] = [
        *prose["intro"],
        "一、总体情况",
        *prose["一"],
        "二、主动公开政府信息情况",
        proactive,
        "三、收到和处理政府信息公开申请情况",
        requests,
        style.appeals_heading,
        appeals,
        "五、存在的主要问题及改进情况",
        *prose["五"],
        "六、其他需要报告的事项",
        *prose["六"],
    ]
    title = f"{agency}{year}年{rng.choice(('', '度'))}政府信息公开工作年度报告"
    return Doc(title, agency, blocks)


# ------------------------------------------------------------------ renderers

Renderer = Callable[[Doc, random.Random], str]


def _slot_texts(
    table: Table, rng: random.Random, span_fill: float, hole_fill: float, lead_pad: bool = False
) -> Iterator[tuple[int, list[str], int]]:
    """Per row: (row index, cell texts as a web copy gives them, index of the first value cell)."""
    for r, slots in enumerate(grid(table)):
        texts: list[str] = []
        first_value = None
        for slot in slots:
            if slot is None:
                continue
            cell, starts = slot
            if starts:
                if cell.value and first_value is None:
                    if lead_pad and r >= table.header_rows and table.kind == "requests":
                        texts += [""] * rng.choice((0, 0, 1, 3))
                    first_value = len(texts)
                texts.append(cell.text)
            elif rng.random() < (span_fill if cell.colspan > 1 and not cell.value else hole_fill):
                texts.append("")
        yield r, texts, len(texts) if first_value is None else first_value


def render_tsv(doc: Doc, rng: random.Random) -> str:
    """Web page copied with tabs between cells: merged cells as empty tabs, shifting value
    columns, trailing empty tabs, blank lines between some rows."""
    lines = ["", doc.title, ""]
    span_fill, hole_fill = rng.random(), rng.random()
    for block in doc.blocks:
        if isinstance(block, str):
            lines += [block, ""]
            continue
        for _, texts, _ in _slot_texts(block, rng, span_fill, hole_fill, lead_pad=True):
            pad = [""] * rng.choice((0, 0, 1, 2)) if block.kind == "requests" else []
            lines.append("\t".join(texts + pad))
            if rng.random() < 0.03:
                lines.append("")
        lines.append("")
    return "\n".join(lines)


def render_pipe(doc: Doc, rng: random.Random) -> str:
    """HTML flattened to pipe rows: `a | b |`, empty cells `| |`, leading empty cells for rows
    under a rowspan; the group label shares the row of its first child."""
    lines = [doc.title, ""]
    edge = rng.random() < 0.5
    for block in doc.blocks:
        if isinstance(block, str):
            lines += [block, ""]
            continue
        for _, texts, _ in _slot_texts(block, rng, 1.0, 1.0):
            body = " | ".join(texts)
            lines.append(f"| {body} |" if edge else f"{body} |")
        lines.append("")
    return "\n".join(lines)


def render_markdown(doc: Doc, rng: random.Random) -> str:
    lines = [f"# {doc.title}", ""]
    for block in doc.blocks:
        if isinstance(block, str):
            heading = block[:2] in ("一、", "二、", "三、", "四、", "五、", "六、")
            lines += [f"## {block}" if heading and rng.random() < 0.7 else block, ""]
            continue
        for r, texts, _ in _slot_texts(block, rng, 1.0, 1.0):
            lines.append("| " + " | ".join(t.replace("|", "/") for t in texts) + " |")
            if r == 0:
                lines.append("|" + "|".join(["---"] * len(texts)) + "|")
        lines.append("")
    return "\n".join(lines)


def render_cells(doc: Doc, rng: random.Random) -> str:
    """One cell per line, as text pulled out of table cells: with or without blank lines between,
    with or without a trailing `|`.  Without the `|` an empty cell leaves no trace."""
    bar = rng.random() < 0.5
    gap = rng.random() < 0.5
    lines = [doc.title, ""]
    for block in doc.blocks:
        if isinstance(block, str):
            lines += [block, ""]
            continue
        for _, texts, _ in _slot_texts(block, rng, 0.0, 0.0):
            for text in texts:
                if bar:
                    lines.append(f"{text} |" if text else "|")
                elif text:
                    lines.append(text)
                else:
                    continue
                if gap:
                    lines.append("")
        lines.append("")
    return "\n".join(lines)


def _wrap(rng: random.Random, text: str, width: int) -> list[str]:
    out = []
    while len(text) > width:
        cut = width + rng.randint(-2, 1)
        out.append(text[:cut])
        text = text[cut:]
    return out + [text] if text else out


class _Pages:
    """Lines of a printed document, with page chrome inserted every so often."""

    def __init__(self, rng: random.Random, doc: Doc, year: int):
        self.rng = rng
        self.lines: list[str] = []
        self.page = 1
        self.browser = rng.random() < 0.4
        self.per_page = rng.randint(25, 45)
        self.since = 0
        self.doc, self.year = doc, year
        self.double = self.browser and rng.random() < 0.5

    def add(self, line: str) -> None:
        self.lines.append(line)
        if self.double:
            self.lines.append("")
        self.since += 1
        if self.since >= self.per_page:
            self.since = 0
            self.page += 1
            if self.browser:
                self.lines += [
                    f"{self.year + 1}/1/{self.rng.randint(10, 28)} {self.doc.title}",
                    "",
                    f"https://www.example.gov.cn/zw/public-report/view/{self.rng.randint(1000, 99999)}"
                    f" {self.page}/{self.page + 1}",
                    "",
                ]
            else:
                self.lines.append(f"- {self.page} -")


def _spaced(rng: random.Random, text: str) -> str:
    """A PDF extractor puts spaces around numbers in running text ("2023 年")."""
    out = []
    for i, ch in enumerate(text):
        if ch.isdigit() and (i == 0 or not text[i - 1].isdigit()) and i and rng.random() < 0.5:
            out.append(" ")
        out.append(ch)
    return "".join(out)


def _print_row(
    rng: random.Random, pages: _Pages, width: int, labels: list[str], values: list[str], place: str, prefixes: list[str]
) -> None:
    """One table row of a PDF: wrapped label lines and the line of its numbers, which may come
    after the label, on its last line, before it or in the middle of it.  `prefixes` are
    fragments of vertically typeset group labels that share the row's lines."""
    numbers = " ".join(v for v in values if v)
    chunks = [c for label in labels for c in _wrap(rng, label, width)]
    if len(chunks) < 2 and place == "middle":
        place = "after"
    if place == "same":
        lines = chunks[:-1] + [f"{chunks[-1]} {numbers}".strip()]
    elif place == "after":
        lines = chunks + ([numbers] if numbers else [])
    elif place == "before":
        lines = ([numbers] if numbers else []) + chunks
    else:
        at = rng.randint(1, len(chunks) - 1)
        if rng.random() < 0.5 or not numbers:
            lines = chunks[:at] + ([numbers] if numbers else []) + chunks[at:]
        else:
            lines = chunks[: at - 1] + [f"{chunks[at - 1]} {numbers}"] + chunks[at:]
    for i, line in enumerate(lines):
        if prefixes and (i == 0 or rng.random() < 0.5):
            line = f"{prefixes.pop(0)} {line}"
        pages.add(line)
    for rest in prefixes:
        pages.add(rest)


def _group_layout(rng: random.Random, table: Table, vertical: bool) -> tuple[dict[int, list[str]], set[int]]:
    """Where a PDF prints the grouped (rowspan) labels of section 三: row -> fragments that go
    with the row's lines, and the set of group cells printed inline with their first row.

    The outer group (三、本年度办理结果) is typeset one character per line down its span when
    `vertical`; an inner group ((三)不予公开) sits on a line of its own in the middle of its span,
    sometimes split in two, or before its first row."""
    extra: dict[int, list[str]] = {}
    inline: set[int] = set()
    for r, slots in enumerate(grid(table)):
        for c, slot in enumerate(slots):
            if not slot or not slot[1] or slot[0].rowspan < 2 or slot[0].value:
                continue
            cell, span = slot[0], slot[0].rowspan
            text = cell.text.replace(" ", "")
            if c == 0 and vertical:
                for k, ch in enumerate(text):
                    extra.setdefault(r + k * span // len(text), []).append(ch)
            elif c == 0 or rng.random() < 0.3:
                inline.add(id(cell))
            else:
                mid = r + span // 2
                if rng.random() < 0.5 and len(text) > 4:
                    cut = rng.randint(2, len(text) - 2)
                    extra.setdefault(mid - 1, []).append(text[:cut])
                    extra.setdefault(mid, []).append(text[cut:])
                else:
                    extra.setdefault(mid, []).append(text)
    return extra, inline


def render_pdf_text(doc: Doc, rng: random.Random) -> str:
    """A browser print or a PDF run through a text extractor."""
    year = int(doc.title[len(doc.agency) : len(doc.agency) + 4])
    pages = _Pages(rng, doc, year)
    width = rng.randint(10, 28)
    prose_width = rng.randint(28, 40)
    if rng.random() < 0.5:
        pages.add(doc.agency)
        pages.add(_spaced(rng, doc.title[len(doc.agency) :]))
    else:
        pages.add(doc.title)
    place_weights = rng.choice(((1, 0, 0, 0), (6, 2, 1, 1), (3, 1, 1, 1)))
    for block in doc.blocks:
        if isinstance(block, str):
            for chunk in _wrap(rng, block, prose_width):
                pages.add(_spaced(rng, chunk))
            continue
        extra, inline = _group_layout(rng, block, rng.random() < 0.5)
        for r, slots in enumerate(grid(block)):
            starts = [cell for cell, s in (x for x in slots if x) if s]
            words = [c.text for c in starts if not c.value and c.text]
            values = [c.text for c in starts if c.value]
            if r < block.header_rows:
                frags = [f for w in words for f in _wrap(rng, w, rng.randint(2, 6))]
                while frags:
                    take = rng.randint(1, 4)
                    pages.add(" ".join(frags[:take]))
                    frags = frags[take:]
                continue
            if not values or block.kind != "requests":
                pages.add(" ".join(words + [v for v in values if v]))
                continue
            own = [c.text for c in starts if not c.value and (c.rowspan == 1 or id(c) in inline)]
            place = rng.choices(("same", "after", "before", "middle"), weights=place_weights)[0]
            _print_row(rng, pages, width, own, values, place, extra.pop(r, []))
    return "\n".join(pages.lines) + "\n"


def render_glued(doc: Doc, rng: random.Random) -> str:
    """Crawler text: a metadata header, nav chrome, then the whole body on one line with table
    cells glued together; &nbsp; leaves stray spaces."""
    parts: list[str] = []
    nbsp = rng.choice((0.0, 0.05, 0.2))
    for block in doc.blocks:
        if isinstance(block, str):
            parts.append(block)
            continue
        out = []
        for _, texts, _ in _slot_texts(block, rng, 0.0, 0.0):
            for t in texts:
                out.append(t + (" " if rng.random() < nbsp else ""))
        parts.append("".join(out))
    body = "".join(p + (" " if rng.random() < 0.3 else "") for p in parts)
    head = [
        f"标题: {doc.title}",
        f"发布时间: {rng.randint(2020, 2026)}-0{rng.randint(1, 3)}-{rng.randint(10, 28)} 16:34",
        "文号: ",
        "发布机构: ",
        "栏目: 政府信息公开年报",
        "==================== 正文 ====================",
    ]
    if rng.random() < 0.5:
        body = (
            f"当前位置： 首页政务公开政府信息公开政府信息公开年报 {doc.title} 来源：{doc.agency} "
            f"微信 微博 QQ空间 全真版 文字版 文件下载 相关链接： --> {body} 附件下载"
        )
    else:
        body = f"{doc.title} {body}"
    return "\n".join(head + [body, ""])


RENDERERS: dict[str, Renderer] = {
    "tsv": render_tsv,
    "pdf_text": render_pdf_text,
    "pipe": render_pipe,
    "cells": render_cells,
    "markdown": render_markdown,
    "glued": render_glued,
}
LAYOUTS = tuple(RENDERERS)
ENCODINGS = (("utf-8", 60), ("utf-8-sig", 15), ("gb18030", 15), ("utf-16", 10))


# ------------------------------------------------------------------ entry points


def _misprinted(raw: str) -> str:
    return str(int(raw) + 1) if raw.isdigit() else "1"


def generate(rng: random.Random, template: str, layout: str, misprint: Key | None = None) -> Generated:
    """One random report of `template` ('2019' | '2021') printed in `layout`, and its answers.

    `misprint` names a requests or appeals cell that the publisher got wrong (printed one more):
    the answers then hold the misprinted value and an identity fails."""
    tpl = TEMPLATES[template]
    style = _style(rng, layout)
    year = rng.choice((2019, 2020) if template == "2019" else (2021, 2022, 2023, 2024, 2025))
    agency = _agency(rng)
    hybrid = template == "2021" and rng.random() < 0.05
    categories = list(tpl.categories)
    if hybrid:
        categories = [c for c in categories if not c.startswith("outcome.other")]
        categories.insert(categories.index("outcome.total"), "outcome.other")
    numbers = _requests_values(rng, categories)

    def zero_style(row_values: list[str]) -> list[str]:
        if style.zero != "0" and rng.random() < style.zero_rows:
            return [_zero_as(v, style.zero) for v in row_values]
        return row_values

    req_printed = {c: zero_style([str(v) for v in vals]) for c, vals in numbers.items()}
    app_printed = [str(v) for v in _appeals_values(rng)]
    app_printed = [p for block in range(3) for p in zero_style(app_printed[block * 5 : (block + 1) * 5])]
    if misprint and misprint[0] == "requests":
        col = APPLICANT_CODES.index(misprint[2])
        req_printed[misprint[1]][col] = _misprinted(req_printed[misprint[1]][col])
    elif misprint:
        at = [p for p, _ in APPEAL_PROCEEDINGS].index(misprint[1]) * 5 + [o for o, _ in APPEAL_OUTCOMES].index(
            misprint[2]
        )
        app_printed[at] = _misprinted(app_printed[at])
    pro_raw = _proactive_values(rng, tpl)
    pro_printed = dict(pro_raw)
    if style.zero != "0":
        for item in tpl.proactive:
            keys = [(item.code, m) for m in item.metrics]
            for k, v in zip(keys, zero_style([pro_raw[k] for k in keys]), strict=True):
                pro_printed[k] = v

    # some agencies group large numbers by thousands ("12,345"); decided by a side generator so
    # that every other choice for report i stays what it was
    if random.Random(f"{agency}|{year}|{layout}").random() < 0.2:
        req_printed = {c: [_grouped(v) for v in vals] for c, vals in req_printed.items()}
        app_printed = [_grouped(v) for v in app_printed]
        pro_printed = {k: _grouped(v) for k, v in pro_printed.items()}

    expected: Expected = {}
    for code in tpl.categories + tuple(c for c in categories if c not in tpl.categories):
        for col, applicant in enumerate(APPLICANT_CODES):
            expected[("requests", code, applicant)] = (
                _number(req_printed[code][col], True) if code in req_printed else None
            )
    k = 0
    for proc, _ in APPEAL_PROCEEDINGS:
        for out, _ in APPEAL_OUTCOMES:
            expected[("appeals", proc, out)] = _number(app_printed[k], True)
            k += 1
    for (item, metric), raw in pro_printed.items():
        expected[("proactive", item, metric)] = _number(raw, False)

    doc = _document(
        rng,
        tpl,
        style,
        agency,
        year,
        _proactive_table(rng, tpl, style, pro_printed),
        _requests_table(rng, tpl, style, req_printed, hybrid),
        _appeals_table(app_printed),
        sum(numbers["received.new"][:6]),
    )
    text = RENDERERS[layout](doc, rng)
    if style.traditional:
        text, agency = _traditional(text), _traditional(agency)
    encoding = rng.choices([e for e, _ in ENCODINGS], weights=[w for _, w in ENCODINGS])[0]
    return Generated(text, text.encode(encoding), encoding, expected, agency, year, template, layout)


def generate_many(seed: int, n: int, start: int = 0) -> Iterator[Generated]:
    """Reports start..n-1 cycling through every layout x template; report i depends on (seed, i)
    only, so any one of them can be made again on its own."""
    combos = [(t, lay) for lay in LAYOUTS for t in TEMPLATES]
    for i in range(start, n):
        template, layout = combos[i % len(combos)]
        yield generate(random.Random(f"{seed}:{i}"), template, layout)


# ------------------------------------------------------------------ comparing a parse with the answers


@dataclass
class Comparison:
    cells: int  # expected cells
    exact: int  # cells parsed to the expected value
    flagged: int  # wrong cells in rows the parser itself marked as in doubt
    wrong: list[str]  # wrong cells the parser did not flag, and wrong meta
    status: str

    @property
    def silent(self) -> bool:
        """Wrong output that the parser reports as fine: the one thing that must never happen."""
        return self.status == "ok" and (self.exact + self.flagged < self.cells or self.flagged > 0)


def _same(a: int | float | None, b: int | float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def compare(g: Generated, report) -> Comparison:
    """Cell-by-cell comparison of a parsed Report with the generated answers."""
    # what the parser said it could not read: rows in doubt, and sections not found or not read
    doubt = {c.scope for c in report.checks if c.rule in ("reading", "section") and not c.passed}
    got = report.values()
    exact = flagged = 0
    wrong = []
    for key, want in g.expected.items():
        have = got.get(key, "missing")
        if have != "missing" and _same(have, want):
            exact += 1
        elif f"{key[0]}.{key[1]}" in doubt or key[0] in doubt:
            flagged += 1
        else:
            wrong.append(f"{key}: got {have!r}, want {want!r}")
    wrong += [f"{key}: unexpected cell" for key in got.keys() - g.expected.keys()]
    for name in ("agency", "year", "template"):
        if str(getattr(report, name)) != str(getattr(g, name)):
            wrong.append(f"meta.{name}: got {getattr(report, name)!r}, want {getattr(g, name)!r}")
    return Comparison(len(g.expected), exact, flagged, wrong, report.status)
