"""Random annual reports as agencies publish them: full HTML pages and Word (.docx) files.

``pipeline.generate`` makes the numbers, labels and noise of a report and lays them out as a table
model (``Doc``); this module prints that same model the way a CMS or Word does, so the readers
(``pipeline.readers``) are tested on real structure rather than on flattened text:

- HTML: ``<table>`` markup with the model's rowspans and colspans (grouped labels as rowspans,
  header rows with colspans), ``&nbsp;`` in blank cells, Word-export cell markup, several tables
  per page and sometimes a table split in two, among site chrome (nav, breadcrumbs, share bar,
  footer, scripts, a layout table), with the charset declared by ``<meta charset>``, by
  http-equiv, stale, or not at all (GB2312/GBK pages are GB18030 bytes, as their servers send);
- DOCX: paragraphs for the prose, tables with real merged cells (``cell.merge``), page headers
  and footers that are not body text;
- PDF, two ways: the HTML page printed by headless Chromium, as a reader saves a page with
  "Print to PDF" (``pdf_print``: a table row that a page break cuts is printed on both pages,
  open at the break, and some characters are written as the CJK radicals the font draws them
  with); and the Word file exported by LibreOffice, as an office saves its report as PDF
  (``pdf_word``).  They need the ``chromium`` and ``soffice`` commands and a CJK font
  (``make pdf-printers`` installs Debian's).

The model is taken from ``generate.generate`` itself (a capturing renderer), so every report keeps
the generator's answers (``expected``), including its traditional-character and misprint variants.
"""

from __future__ import annotations

import dataclasses
import html
import io
import json
import random
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH

from pipeline import generate as _generate
from pipeline.generate import Doc, Generated, Key, Table, TCell, generate, grid
from pipeline.template import TEMPLATES

KINDS = ("html", "docx", "pdf_print", "pdf_word")
_CAPTURE = "_published_doc"


# ------------------------------------------------------------------ the model from the generator


def _capture(doc: Doc, _rng: random.Random) -> str:
    """The model as JSON text: ``generate`` turns a traditional-character report's text into
    traditional characters, and JSON keeps every Chinese character in the text it converts."""
    return json.dumps(dataclasses.asdict(doc), ensure_ascii=False)


def _doc(text: str) -> Doc:
    raw = json.loads(text)
    blocks: list[str | Table] = [
        b if isinstance(b, str) else Table(**{**b, "rows": [[TCell(**c) for c in row] for row in b["rows"]]})
        for b in raw["blocks"]
    ]
    return Doc(raw["title"], raw["agency"], blocks)


def _split(table: Table, at: int) -> tuple[Table, Table]:
    """The table cut before row `at`, as when a page break or an editor splits it: a merged cell
    across the cut is cut too, and its text is given again at the top of the second part."""
    slots = grid(table)
    first_row = {id(s[0]): r for r, row in enumerate(slots) for s in row if s and s[1]}
    top = [
        [dataclasses.replace(c, rowspan=min(c.rowspan, at - r)) for c in row] for r, row in enumerate(table.rows[:at])
    ]
    bottom: list[list[TCell]] = []
    for r in range(at, len(table.rows)):
        row: list[TCell] = []
        for slot in slots[r]:
            if slot is None:
                continue
            cell, starts = slot
            if starts:
                row.append(cell)
            elif r == at and first_row[id(cell)] < at and (not row or row[-1].text != cell.text):
                row.append(dataclasses.replace(cell, rowspan=first_row[id(cell)] + cell.rowspan - at))
        bottom.append(row)
    return Table(table.kind, table.width, top, table.header_rows), Table(table.kind, table.width, bottom)


def _pieces(table: Table, rng: random.Random) -> list[Table]:
    """One model table as the tables a publisher prints: section 二 often one table per article
    of the regulation; section 三 sometimes cut in two inside its outcome group."""
    if table.kind == "proactive" and rng.random() < 0.35:
        starts = [r for r, row in enumerate(table.rows) if len(row) == 1 and row[0].colspan == table.width]
        return [Table(table.kind, table.width, table.rows[a:b]) for a, b in pairwise([*starts, None])]
    if table.kind == "requests" and rng.random() < 0.25:
        body = range(table.header_rows + 3, len(table.rows) - 2)
        return list(_split(table, rng.choice(body)))
    if table.kind == "appeals" and rng.random() < 0.5:
        return [_review_outcomes_spanned(table)]
    return [table]


def _review_outcomes_spanned(table: Table) -> Table:
    """Section 四 with the other header many CMS templates have: 行政复议 over one row only, its
    five outcome labels spanning the two header rows below it."""
    (review, litigation), (direct, after), outcomes, values = table.rows
    review = dataclasses.replace(review, rowspan=1)
    head = [dataclasses.replace(o, rowspan=2) for o in outcomes[:5]]
    return Table(table.kind, table.width, [[review, litigation], [*head, direct, after], outcomes[5:], values], 3)


def _is_heading(block: str) -> bool:
    return block[:2] in ("一、", "二、", "三、", "四、", "五、", "六、")


def _runs(rng: random.Random, text: str) -> list[str]:
    """Text cut into the runs an editor leaves behind (a font change, a number typed later)."""
    cuts = (
        sorted(rng.sample(range(1, len(text)), min(len(text) - 1, rng.choice((0, 0, 1, 3))))) if len(text) > 1 else []
    )
    return [text[a:b] for a, b in pairwise([0, *cuts, len(text)])]


# ------------------------------------------------------------------ HTML


_SITE_UNITS = ("门户网站", "人民政府网", "政务公开网", "政府网站")


def _esc(text: str) -> str:
    """Escaped as a CMS editor writes it: curly quotes often as named entities."""
    return html.escape(text, quote=False).replace("“", "&ldquo;").replace("”", "&rdquo;")


@dataclasses.dataclass
class _HtmlStyle:
    """One CMS's habits, fixed for a page."""

    word: bool  # cells exported from Word: <p class=MsoNormal><span ...>
    th: bool  # header rows as <th>
    tbody: bool
    blank: str  # a blank cell: '&nbsp;' or ''
    heading: str  # 'h3' | 'strong' | 'plain'
    indent: str  # before a paragraph
    wrap: float  # chance a header label is broken with <br>
    gap: str  # between the cells of a row: nothing, or the line breaks of pretty-printed markup


def _cell_html(cell: TCell, style: _HtmlStyle, header: bool, rng: random.Random) -> str:
    text = cell.text.strip()
    if not text:
        inner = style.blank
    elif header and len(text) >= 4 and rng.random() < style.wrap:
        at = rng.randrange(2, len(text) - 1)
        inner = f"{_esc(text[:at])}<br>{_esc(text[at:])}"
    else:
        inner = "".join(f"<span>{_esc(run)}</span>" if style.word else _esc(run) for run in _runs(rng, text))
    if style.word:
        inner = f"<p class=MsoNormal align=center style='text-align:center'>{inner or '&nbsp;'}<o:p></o:p></p>"
    elif rng.random() < 0.3:
        inner = f"<p>{inner}</p>"
    tag = "th" if header and style.th else "td"
    attrs = "".join(f' {name}="{n}"' for name, n in (("rowspan", cell.rowspan), ("colspan", cell.colspan)) if n > 1)
    if style.word:
        attrs += f" width={rng.choice((41, 57, 96, 142))} valign=middle style='border:solid windowtext 1.0pt'"
    return f"<{tag}{attrs}>{inner}</{tag}>"


def _table_html(table: Table, style: _HtmlStyle, rng: random.Random) -> str:
    rows = []
    for r, row in enumerate(table.rows):
        if r and len(row) == 1 and row[0].colspan == table.width and rng.random() < 0.2:
            rows.append(f'<tr><td colspan="{table.width}">{style.blank}</td></tr>')  # a spacer before an article
        height = f' style="height:{rng.randint(18, 40)}px"' if style.word else ""
        cells = [_cell_html(c, style, r < table.header_rows, rng) for c in row]
        rows.append(f"<tr{height}>" + style.gap.join(["", *cells, ""]) + "</tr>")
    body = "\n".join(rows)
    if style.tbody:
        body = f"<tbody>\n{body}\n</tbody>"
    attrs = rng.choice(
        (
            'border="1" cellspacing="0" cellpadding="0"',
            'class="MsoNormalTable" border=1 cellspacing=0',
            'width="100%" border="1" style="border-collapse:collapse"',
        )
    )
    return f"<table {attrs}>\n{body}\n</table>"


def _paragraph_html(block: str, style: _HtmlStyle, rng: random.Random) -> str:
    if _is_heading(block):
        if style.heading == "h3":
            return f"<h3>{_esc(block)}</h3>"
        if style.heading == "strong":
            return f"<p>{style.indent}<strong>{_esc(block)}</strong></p>"
    inner = "".join(f"<span>{_esc(run)}</span>" if style.word else _esc(run) for run in _runs(rng, block))
    return f'<p style="text-indent:2em">{inner}</p>' if style.indent == "" else f"<p>{style.indent}{inner}</p>"


def _title_html(doc: Doc, rng: random.Random) -> str:
    title = _esc(doc.title)
    if rng.random() < 0.2:
        title = f"{_esc(doc.agency)}<br>{_esc(doc.title[len(doc.agency) :])}"
    return rng.choice(
        (f"<h1>{title}</h1>", f'<div class="title">{title}</div>', f'<p align="center"><strong>{title}</strong></p>')
    )


def _article_html(doc: Doc, rng: random.Random, year: int) -> str:
    style = _HtmlStyle(
        word=rng.random() < 0.3,
        th=rng.random() < 0.3,
        tbody=rng.random() < 0.6,
        blank=rng.choice(("&nbsp;", "&nbsp;", "")),
        heading=rng.choice(("h3", "strong", "plain")),
        indent=rng.choice(("", "&nbsp;&nbsp;&nbsp;&nbsp;", "\u3000\u3000")),
        wrap=rng.choice((0.0, 0.3)),
        gap=rng.choice(("", "\n  ")),
    )
    parts = [_title_html(doc, rng)]
    if rng.random() < 0.8:
        parts.append(
            f'<div class="info">发布时间：{year + 1}-0{rng.randint(1, 3)}-{rng.randint(10, 28)} '
            f'来源：{_esc(doc.agency)} 浏览次数：<span id="hits">{rng.randint(10, 9999)}</span> '
            "【字体：大 中 小】</div>"
        )
    if rng.random() < 0.5:
        parts.append('<div class="share">分享到：微信 微博 QQ空间</div>')
    for block in doc.blocks:
        if isinstance(block, str):
            parts.append(_paragraph_html(block, style, rng))
        else:
            parts += [_table_html(piece, style, rng) for piece in _pieces(block, rng)]
    if rng.random() < 0.5:
        parts.append(
            f'<p align="right">{_esc(doc.agency)}</p><p align="right">{year + 1}年1月{rng.randint(10, 28)}日</p>'
        )
    return "\n".join(parts)


def _chrome(doc: Doc, rng: random.Random, year: int) -> tuple[str, str]:
    """Site chrome above and below the article."""
    site = doc.agency[:3] + rng.choice(_SITE_UNITS)
    nav = rng.choice(('<ul class="nav">', "<nav><ul>", '<div id="menu"><ul>'))
    close = {'<ul class="nav">': "</ul>", "<nav><ul>": "</ul></nav>", '<div id="menu"><ul>': "</ul></div>"}[nav]
    items = "".join(
        f'<li><a href="/{k}">{t}</a></li>'
        for k, t in (("", "首页"), ("zwgk/", "政务公开"), ("hd/", "互动交流"), ("bs/", "办事服务"))
    )
    crumb = rng.choice(("position", "breadcrumb", "dqwz", "location"))
    above = (
        f'<div class="header"><div class="logo">{_esc(site)}</div>{nav}{items}{close}</div>\n'
        f'<div class="{crumb}">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
        "政府信息公开年报</div>"
    )
    below = []
    if rng.random() < 0.5:
        below.append('<div class="toolbar">【打印本页】【关闭窗口】</div>')
    if rng.random() < 0.5:
        below.append(
            f'<div class="pre-next"><p>上一篇：{_esc(doc.agency)}{year - 1}年政府信息公开工作年度报告</p>'
            "<p>下一篇：关于公布行政许可事项清单的通知</p></div>"
        )
    below.append(
        f'<div class="footer">主办单位：{_esc(site)} 网站标识码：{rng.randint(10**9, 10**10 - 1)} '
        f"ICP备{rng.randint(10**7, 10**8 - 1)}号</div>"
    )
    if rng.random() < 0.5:
        below.append('<div style="display:none">统计代码</div>')
    return above, "\n".join(below)


# (declared charset, how it is declared, the bytes' encoding, weight); a stale GB2312 declaration
# on a page the server sends as UTF-8 is common on migrated sites
_CHARSETS = (
    ("utf-8", "meta", "utf-8", 30),
    ("utf-8", "http-equiv", "utf-8", 20),
    ("UTF-8", "meta", "utf-8-sig", 5),
    ("gb2312", "meta", "gb18030", 10),
    ("gb2312", "http-equiv", "gb18030", 10),
    ("GBK", "http-equiv", "gb18030", 8),
    (None, None, "utf-8", 5),
    (None, None, "gb18030", 5),
    ("gb2312", "meta", "utf-8", 7),
)


def _head(doc: Doc, rng: random.Random) -> tuple[str, str]:
    """The <head> and the encoding of the page's bytes."""
    declared, how, encoding, _ = rng.choices(_CHARSETS, weights=[c[-1] for c in _CHARSETS])[0]
    meta = {
        "meta": f'<meta charset="{declared}">',
        "http-equiv": f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">',
    }.get(how, "")
    head = (
        f"<head>\n{meta}\n<title>{_esc(doc.title)}_{_esc(doc.agency)}</title>\n"
        '<link rel="stylesheet" href="/css/main.css">\n'
        f'<script>var _hmt = _hmt || []; document.write("{_esc(doc.agency)}");</script>\n</head>'
    )
    return head, encoding


def render_html(doc: Doc, rng: random.Random, year: int) -> tuple[str, bytes, str]:
    """(page markup, page bytes, encoding of the bytes)."""
    head, encoding = _head(doc, rng)
    above, below = _chrome(doc, rng, year)
    article = _article_html(doc, rng, year)
    if rng.random() < 0.25:  # an old CMS: the page laid out by a table, the menu in a nested table
        body = (
            f'<table width="1000" align="center" border="0">\n<tr><td colspan="2">{above}</td></tr>\n'
            '<tr><td width="200" valign="top"><table class="menu"><tr><td>信息公开指南</td></tr>'
            "<tr><td>信息公开目录</td></tr></table></td>\n"
            f'<td valign="top">{article}</td></tr>\n<tr><td colspan="2">{below}</td></tr>\n</table>'
        )
    else:
        wrapper = rng.choice(('<div class="article">', "<article>", '<div class="content" id="zoom">'))
        end = "</article>" if wrapper == "<article>" else "</div>"
        body = f"{above}\n{wrapper}\n{article}\n{end}\n{below}"
    doctype = rng.choice(("<!DOCTYPE html>\n", "", '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">\n'))
    markup = f"{doctype}<html>\n{head}\n<body>\n{body}\n<!-- 统计 -->\n</body>\n</html>\n"
    return markup, markup.encode(encoding), encoding


# ------------------------------------------------------------------ PDF

_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# headless flags that keep a browser off this machine's closed network and out of a user profile
_HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def render_pdf(markup: str, rng: random.Random) -> bytes:
    """The page as a reader prints it from a browser: the page's own text (the browser showed it
    decoded, so it is given as UTF-8), with or without the browser's header and footer (date,
    title, address, page counter)."""
    browser = next(filter(None, map(shutil.which, _BROWSERS)), None)
    if browser is None:
        raise RuntimeError("printing a page to PDF needs Chromium: `make pdf-printers` installs it")
    header = rng.random() < 0.5
    with tempfile.TemporaryDirectory(prefix="xxgk-print-") as tmp:
        page, pdf = Path(tmp, "page.html"), Path(tmp, "page.pdf")
        page.write_text(markup.replace("<head>", '<head>\n<meta charset="utf-8">', 1), encoding="utf-8")
        subprocess.run(
            [
                browser,
                *_HEADLESS,
                f"--user-data-dir={tmp}/profile",
                *(() if header else ("--no-pdf-header-footer",)),
                f"--print-to-pdf={pdf}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return pdf.read_bytes()


def export_pdf(docx_data: bytes) -> bytes:
    """The Word file saved as PDF by LibreOffice (its table borders are drawn again on both
    sides of a page break, as Word and WPS draw them)."""
    office = shutil.which("soffice")
    if office is None:
        raise RuntimeError("exporting a Word file to PDF needs LibreOffice: `make pdf-printers` installs it")
    with tempfile.TemporaryDirectory(prefix="xxgk-export-") as tmp:
        Path(tmp, "report.docx").write_bytes(docx_data)
        subprocess.run(
            [
                office,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(Path(tmp, "report.docx")),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        return Path(tmp, "report.pdf").read_bytes()


# ------------------------------------------------------------------ DOCX


def _docx_cell(cell, text: str, rng: random.Random, header: bool) -> None:
    if not text:
        return
    if header and len(text) >= 4 and rng.random() < 0.2:
        at = rng.randrange(2, len(text) - 1)
        text = f"{text[:at]}\n{text[at:]}"  # a manual line break inside the label
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in _runs(rng, text):
        paragraph.add_run(run)


def _docx_table(d, table: Table, rng: random.Random) -> None:
    t = d.add_table(rows=len(table.rows), cols=table.width)
    if rng.random() < 0.7:
        t.style = "Table Grid"
    cells = [list(row.cells) for row in t.rows]  # taken once: a merge only touches its own rectangle
    for r, slots in enumerate(grid(table)):
        for c, slot in enumerate(slots):
            if slot is None or not slot[1]:
                continue
            cell = slot[0]
            target = cells[r][c]
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(cells[r + cell.rowspan - 1][c + cell.colspan - 1])
            _docx_cell(target, cell.text.strip(), rng, r < table.header_rows)


def render_docx(doc: Doc, rng: random.Random, year: int) -> bytes:
    d = docx.Document()
    if rng.random() < 0.5:
        d.sections[0].header.paragraphs[0].text = f"{doc.agency} {year + 1}年1月"
    if rng.random() < 0.5:
        d.sections[0].footer.paragraphs[0].text = "第 1 页 共 6 页"
    if rng.random() < 0.4:
        d.add_heading(doc.title, level=rng.choice((0, 1)))
    else:
        lines = [doc.agency, doc.title[len(doc.agency) :]] if rng.random() < 0.3 else [doc.title]
        for line in lines:
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run(line).bold = True
    headings = rng.choice(("heading", "bold", "plain"))
    for block in doc.blocks:
        if isinstance(block, Table):
            pieces = _pieces(block, rng)
            for k, piece in enumerate(pieces):
                _docx_table(d, piece, rng)
                if k + 1 < len(pieces) and rng.random() < 0.5:
                    d.add_paragraph()  # the empty paragraph Word keeps between two tables
        elif _is_heading(block) and headings == "heading":
            d.add_heading(block, level=2)
        else:
            p = d.add_paragraph()
            for run in _runs(rng, block):
                p.add_run(run).bold = _is_heading(block) and headings == "bold"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _document_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode("utf-8")


# ------------------------------------------------------------------ entry points


def generate_published(rng: random.Random, template: str, kind: str, misprint: Key | None = None) -> Generated:
    """One random report of `template` published as `kind` (one of KINDS), and its answers.
    ``.data`` is the file, ``.text`` its markup (the page, or word/document.xml)."""
    _generate.RENDERERS[_CAPTURE] = _capture
    try:
        g = generate(rng, template, _CAPTURE, misprint)
    finally:
        del _generate.RENDERERS[_CAPTURE]
    doc = _doc(g.text)
    if kind == "html":
        text, data, encoding = render_html(doc, rng, g.year)
    elif kind == "docx":
        data, encoding = render_docx(doc, rng, g.year), "docx"
        text = _document_xml(data)
    elif kind == "pdf_print":
        text, _, _ = render_html(doc, rng, g.year)
        data, encoding = render_pdf(text, rng), "pdf"
    elif kind == "pdf_word":
        docx_data = render_docx(doc, rng, g.year)
        data, encoding, text = export_pdf(docx_data), "pdf", _document_xml(docx_data)
    else:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    return dataclasses.replace(g, text=text, data=data, encoding=encoding, layout=kind)


def generate_published_many(seed: int, n: int, kind: str, start: int = 0) -> Iterator[Generated]:
    """Reports start..n-1 of `kind`, alternating templates; report i depends on (seed, kind, i)
    only, so any one of them can be made again on its own."""
    templates = sorted(TEMPLATES)
    for i in range(start, n):
        yield generate_published(random.Random(f"{seed}:{kind}:{i}"), templates[i % len(templates)], kind)
