"""Readers: published PDF, HTML and Word files parse like their text, and unreadable ones are rejected.

The real PDFs must give their hand-checked values cell for cell; the HTML pages under fixtures/
and a Word document built here hold a known report behind the hard parts of real pages (GB2312,
merged cells, &nbsp; blanks, site chrome, layout tables, a table split in two).
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import docx
import pdfplumber
import pikepdf
import pytest
from conftest import REPO, SHARED
from docx.oxml.ns import qn
from golden import differences, load_expected
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pdfminer.pdfinterp import PDFResourceManager
from pdfminer.pdftypes import resolve1
from pdfplumber.table import edges_to_intersections, intersections_to_cells
from pdfplumber.utils import extract_text
from pypdf import PdfReader, PdfWriter

from pipeline.errors import Reject
from pipeline.normalize import normalize_text
from pipeline.parse import parse_text
from pipeline.read import read_text
from pipeline.readers import docx as docx_reader
from pipeline.readers import pdf as pdf_reader
from pipeline.readers import pdf_objects, pdf_tables
from pipeline.readers.grid import join_wrapped
from pipeline.template import APPLICANT_CODES, TEMPLATES
from pipeline.work import process

FIXTURES = REPO / "tests" / "fixtures"
REAL_PDFS = ["hongze_2023.pdf", "huaian_2024.pdf"]


def _read(name: str, data: bytes):
    text, kind = read_text(name, data)
    return text, kind, parse_text(text)


# --- real PDFs -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=REAL_PDFS)
def real_pdf(request):
    path = SHARED / "corpus" / request.param
    return (path, *_read(path.name, path.read_bytes()))


def test_real_pdf_matches_expected(real_pdf):
    path, _, kind, report = real_pdf
    cells, meta = load_expected(path.parent / (path.name.split(".")[0] + ".expected.csv"))
    assert kind == "pdf"
    assert differences(report, cells, meta) == []


def test_real_pdf_tables_come_out_as_tab_rows(real_pdf):
    _, text, _, report = real_pdf
    lines = normalize_text(text)
    assert report.layout == "text/tsv"
    for cell in report.cells:
        if cell.raw:
            assert cell.raw in lines[cell.line - 1].split("\t"), cell
    assert not any(line.strip() in ("- 3 -", "- 4 -") for line in lines), "page footers must go"


def test_table_crossing_pages_is_one_run_of_rows(real_pdf):
    """hongze's table 3 breaks between 2.没有现成… and 3.补正后…: no line in between."""
    _, text, _, _ = real_pdf
    lines = text.splitlines()
    a = next(i for i, line in enumerate(lines) if "没有现成信息需要另行制作" in line)
    assert "补正后申请内容仍不明确" in lines[a + 1]


def _table(page: int, *rows: str) -> pdf_reader._Item:
    return pdf_reader._Item(page, 100, 700, rows=[row.split("|") for row in rows])


@pytest.mark.parametrize(
    "above,below,joined",
    [
        # a label cut by the page break, its values printed above the break or below it
        ("||5.要求行政机关确认或重新出|1|0|1", "||具已获取信息|||", ["||5.要求行政机关确认或重新出具已获取信息|1|0|1"]),
        ("||5.要求行政机关确认或重新出|||", "||具已获取信息|1|0|1", ["||5.要求行政机关确认或重新出具已获取信息|1|0|1"]),
        # whole rows on both sides: a new numbered row, two rows of values, two rows of blanks
        ("||2.重复申请|1|0|1", "||3.要求提供公开出版物|||", ["||2.重复申请|1|0|1", "||3.要求提供公开出版物|||"]),
        ("行政处罚|4119||", "行政强制|195||", ["行政处罚|4119||", "行政强制|195||"]),
        ("规章|||", "行政规范性文件|||", ["规章|||", "行政规范性文件|||"]),
        # a new row beside the rest of a group label cut by the break
        (
            "三、本年度办|(一) 予以公开|3|3",
            "理结果|(二) 部分公开||",
            ["三、本年度办|(一) 予以公开|3|3", "理结果|(二) 部分公开||"],
        ),
        # the heading of the next article's table starts a row of its own
        ("行政许可|0", "第⼆⼗条第(六)项|", ["行政许可|0", "第⼆⼗条第(六)项|"]),
        # an ordinal printed with a Kangxi radical (⼆, U+2F06) is an ordinal
        ("|(⼀) 予以公开|3|0", "|(⼆)部分公开||", ["|(⼀) 予以公开|3|0", "|(⼆)部分公开||"]),
        # a row printed empty under one with values: a template label starts a row of its own
        ("行政许可|5|3|39", "其他对外管理服务事项|||", ["行政许可|5|3|39", "其他对外管理服务事项|||"]),
    ],
)
def test_table_continued_on_the_next_page(above, below, joined):
    lines = pdf_reader._join_tables([_table(0, above), _table(1, below)])
    assert lines == [line.replace("|", "\t") for line in joined]


def _columns(page: int, *rows: list[tuple[str, float, float]], cut: bool = False) -> pdf_reader._Item:
    """A table item whose cells have edges: (text, left, right) per cell; `cut`: its row at the
    page break is open (on page 0 its last row, on page 1 its first)."""
    return pdf_reader._Item(
        page,
        100,
        700,
        rows=[[t for t, _, _ in row] for row in rows],
        spans=[[(a, b) for _, a, b in row] for row in rows],
        cut_below=cut and page == 0,
        cut_above=cut and page == 1,
    )


def _values(texts: str, left: float = 250) -> list[tuple[str, float, float]]:
    return [(t, left + 30 * i, left + 30 * (i + 1)) for i, t in enumerate(texts.split("|"))]


def test_row_cut_by_the_page_break_is_mended_by_column_when_the_pages_split_columns_differently():
    """A browser prints the two halves of a cut row with the cells each page shows: here nine
    cells above and ten below (the merged 类 column splits differently).  The label's tail goes
    to the cell above it in the same column, and the row is one line with its seven values;
    left apart, its blank cells below would be read as the row's values (0 read as NULL)."""
    label = "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开"
    above = _columns(0, [("", 34, 80), (label, 80, 250), *_values("0|0|0|0|0|0|0")], cut=True)
    below = _columns(1, [("", 34, 60), ("", 60, 80), ("申请", 80, 250), *_values("||||||")], cut=True)
    assert pdf_reader._join_tables([above, below]) == ["\t" + label + "申请\t0\t0\t0\t0\t0\t0\t0"]


def test_row_closed_before_the_page_break_is_not_mended_with_the_next():
    """The same shapes, but the row above was closed by its rule: the row below is a row of its
    own (printed empty), whatever its label."""
    above = _columns(0, [("行政许可", 34, 144), ("5", 144, 200), ("3", 200, 250), ("39", 250, 300)])
    below = _columns(
        1, [("其他对外管理服务事项", 34, 144), ("", 144, 200), ("", 200, 250), ("", 250, 300)], [("x", 0, 1)] * 5
    )
    assert pdf_reader._join_tables([above, below])[:2] == ["行政许可\t5\t3\t39", "其他对外管理服务事项\t\t\t"]


def test_heading_at_the_top_of_a_page_is_not_a_cut_row():
    """A table's heading over other columns starts the next page: no cell above has its edges,
    so nothing is joined."""
    above = _columns(0, [("规范性文件", 34, 144), ("0", 144, 253), ("7", 253, 299), ("1", 299, 408)])
    below = _columns(
        1, [("第二十条第(五)项", 34, 217)], [("信息内容", 34, 144), ("本年处理决定数量", 144, 217)], cut=True
    )
    assert pdf_reader._join_tables([above, below]) == [
        "规范性文件\t0\t7\t1",
        "第二十条第(五)项",
        "信息内容\t本年处理决定数量",
    ]


def _rule(x0: float, top: float, x1: float, bottom: float) -> dict:
    return {
        "x0": x0, "x1": x1, "top": top, "bottom": bottom, "width": x1 - x0, "height": bottom - top,
        "orientation": "v" if x0 == x1 else "h",
    }  # fmt: skip


def test_rows_left_open_by_the_page_break_are_closed():
    """Three column rules run to the foot of the page (y 780) past the last horizontal rule
    (y 700): the open row gets a closing rule across them.  A closed table gets none."""
    columns = [_rule(x, 600, x, 780) for x in (50, 150, 250)]
    rules = [_rule(50, 600, 250, 600), _rule(50, 700, 250, 700)]
    closers = pdf_reader._open_row_closers(columns + rules)
    assert [(c["x0"], c["x1"], c["top"]) for c in closers] == [(50, 250, 780)]
    assert pdf_reader._open_row_closers(columns + rules + [_rule(50, 780, 250, 780)]) == []


def test_browser_printed_pdf_of_a_page():
    """fixtures/qingshan_2022_print.pdf is the GB2312 page printed by headless Chromium with its
    header and footer (date, title, file URL, "1/4"); the embedded font programs were dropped to
    keep it small (the text layer is untouched).  The merged label cells of table 3 are cut open
    by the page break, so no ruling closes them."""
    text, kind, report = _read("print.pdf", (FIXTURES / "qingshan_2022_print.pdf").read_bytes())
    assert kind == "pdf"
    assert report.values() == QINGSHAN
    assert report.status == "ok"
    assert not any(s in text for s in ("file://", "1/4", "4/4", "PM"))
    rows = [line.split("\t") for line in text.splitlines()]
    assert next(r[:3] for r in rows if "（一）予以公开" in r) == ["三、本年度办理结果", "（一）予以公开", "12"]
    assert next(r[:3] for r in rows if "1.属于国家秘密" in r) == ["", "（三）不予公开", "1.属于国家秘密"]


@pytest.mark.parametrize("source", [*REAL_PDFS, "pdf_print", "pdf_word"])
def test_cells_read_by_band_are_pdfplumbers(source):
    """The reader finds a table row's characters by bisection over the page's characters
    (``_Bands``), and reads a one-character cell without grouping words: every cell of every
    table comes out as pdfplumber's ``Table.extract`` gives it."""
    from pipeline.generate_published import generate_published

    if source in REAL_PDFS:
        data = (SHARED / "corpus" / source).read_bytes()
    else:
        data = generate_published(random.Random(f"bands:{source}"), "2021", source).data
    cells = 0
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            bands = pdf_reader._Bands(page.chars)
            for table in page.find_tables():
                got = pdf_reader._extract(table.rows, bands)
                assert got == table.extract()
                cells += sum(text is not None for row in got for text in row)
    assert cells > 50


def test_one_character_cell_is_pdfplumbers_text():
    base = {"x0": 10.0, "x1": 16.0, "top": 100.0, "bottom": 112.0, "doctop": 100.0, "upright": True, "size": 12.0}
    for text in ["0", "1", "/", "—", " ", "\u00a0", "\u3000", "fi"]:
        for upright in (True, False):
            char = {**base, "text": text, "upright": upright}
            assert pdf_reader._text_of([char]) == extract_text([char]), (text, upright)
    assert pdf_reader._text_of([]) == ""


@st.composite
def _rules(draw) -> list[dict]:
    """Ruling lines on a small grid: whole, broken and stray, some of them repeated."""
    coords = st.integers(0, 6).map(lambda k: 10.0 * k)
    out = []
    for _ in range(draw(st.integers(0, 14))):
        at, a, b = draw(coords), draw(coords), draw(coords)
        a, b = min(a, b), max(a, b)
        out.append(_rule(at, a, at, b) if draw(st.booleans()) else _rule(a, at, b, at))
    return out


@settings(max_examples=300, deadline=None)
@given(_rules())
def test_cells_are_pdfplumbers_on_any_rules(rules):
    """The cell search grouped by column and row finds pdfplumber's cells, in its order, for any
    ruling lines: grids, broken grids, rules that cross nothing, rules drawn twice."""
    crossings = edges_to_intersections(rules)
    assert pdf_tables.cells(crossings) == intersections_to_cells(crossings)


@pytest.mark.parametrize("source", [*REAL_PDFS, "pdf_print", "pdf_word"])
def test_tables_are_pdfplumbers(source):
    """The reader's table finder finds the tables ``Page.find_tables`` finds, cell for cell."""
    from pipeline.generate_published import generate_published

    if source in REAL_PDFS:
        data = (SHARED / "corpus" / source).read_bytes()
    else:
        data = generate_published(random.Random(f"finder:{source}"), "2019", source).data
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        found = [(t.bbox, t.cells) for page in pdf.pages for t in pdf_tables.find_tables(page)]
        assert found == [(t.bbox, t.cells) for page in pdf.pages for t in page.find_tables()]
    assert sum(len(cells) for _, cells in found) > 50


# --- PDFium reads, pdfminer where it cannot hold to it -------------------------------------


def _fast(data: bytes) -> bool:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return pdf_objects.document_objects(data, pdf.pages) is not None


def _both_readings(data: bytes, monkeypatch) -> tuple[str, str]:
    """The reader's text of `data` through PDFium (which must take the file), and through
    pdfminer alone."""
    assert _fast(data)
    fast = pdf_reader.to_text(data)
    with monkeypatch.context() as m:
        m.setattr(pdf_objects, "document_objects", lambda data, pages: None)
        return fast, pdf_reader.to_text(data)


def test_pikepdf_reads_the_same_objects_from_a_file_in_memory_or_a_bytesio(monkeypatch):
    """pikepdf opens the PDF as an anonymous file in memory (qpdf reads it itself; a BytesIO
    it reads through Python), or as a BytesIO where there is none: the same page objects."""
    data = (SHARED / "corpus" / REAL_PDFS[0]).read_bytes()
    with pdf_objects._source(data) as source:
        assert isinstance(source, str) and Path(source).read_bytes() == data
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        in_memory = pdf_objects.document_objects(data, pdf.pages)
    monkeypatch.delattr(pdf_objects.os, "memfd_create")
    with pdf_objects._source(data) as source:
        assert isinstance(source, io.BytesIO)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert in_memory is not None and pdf_objects.document_objects(data, pdf.pages) == in_memory


@pytest.mark.parametrize("name", REAL_PDFS)
def test_pdfium_reads_the_real_pdfs_as_pdfminer_does(name, monkeypatch):
    """Both real PDFs print the label of section 三 down a merged cell in a vertical font, with
    descents in their descriptors: PDFium reads them, and the text is pdfminer's to the byte."""
    fast, slow = _both_readings((SHARED / "corpus" / name).read_bytes(), monkeypatch)
    assert fast == slow


@pytest.mark.parametrize("kind", ["pdf_print", "pdf_word"])
def test_pdfium_reads_printed_and_exported_pdfs_as_pdfminer_does(kind, monkeypatch):
    """A Chromium print (Type 3 fonts whose descriptors give no box, spaces of another font in
    text objects of their own, which PDFium's text page leaves out) and a LibreOffice export
    (descriptors with no descent, gaps of exactly two characters between words): the same
    normalised text from PDFium as from pdfminer."""
    from pipeline.generate_published import generate_published

    printed = generate_published(random.Random(f"pdfium:{kind}"), "2021", kind).data
    for data in (printed, _landscape(printed, 90)):  # turned, PDFium leaves out no-break spaces too
        fast, slow = _both_readings(data, monkeypatch)
        assert normalize_text(fast) == normalize_text(slow)


def _landscape(data: bytes, rotate: int) -> bytes:
    """The pages drawn turned a quarter and shown upright by /Rotate, as landscape pages are."""
    buf = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.obj.MediaBox)
            turn = f"0 1 -1 0 {y1 - y0} 0" if rotate == 90 else f"0 -1 1 0 0 {x1 - x0}"
            page.contents_coalesce()
            page.contents_add(pikepdf.Stream(pdf, f"q {turn} cm 1 0 0 1 {-x0} {-y0} cm".encode()), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, b"Q"))
            page.obj.MediaBox = pikepdf.Array([0, 0, y1 - y0, x1 - x0])
            page.obj.Rotate = rotate
        pdf.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("rotate", [90, 270])
def test_pdfium_reads_landscape_pages_as_pdfminer_does(rotate, monkeypatch):
    fast, slow = _both_readings(_landscape((SHARED / "corpus" / REAL_PDFS[0]).read_bytes(), rotate), monkeypatch)
    assert fast == slow
    assert "本报告由淮安市洪泽区人民政府办公室" in fast


def test_fonts_not_embedded_are_left_to_pdfminer():
    """PDFium's text page leaves out characters of a font whose program is not embedded (年 and
    月 of this print), and says nothing of it: such a file is read by pdfminer."""
    data = (FIXTURES / "qingshan_2022_print.pdf").read_bytes()
    assert not _fast(data)


def _font_pdf(fonts: list) -> bytes:
    """A page whose resources, inherited from the page tree, name `fonts`."""
    buf = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        del pdf.pages[0].obj.Resources
        pdf.Root.Pages.Resources = pikepdf.Dictionary(
            Font=pikepdf.Dictionary({f"/F{i}": f for i, f in enumerate(fonts)})
        )
        pdf.save(buf)
    return buf.getvalue()


def test_font_figures_are_pdfminers():
    """Descents as pdfminer's own font objects give them: a descriptor's /Descent made negative;
    a standard font's own metrics; a Type 3 font's box scaled by its matrix.  A vertical font's
    glyph origin from /DW2.  Two fonts of one name with different descents: neither."""
    D, N, A = pikepdf.Dictionary, pikepdf.Name, pikepdf.Array
    fonts = [
        D(Type=N.Font, Subtype=N.TrueType, BaseFont=N("/ABCDEF+SimSun"), FontDescriptor=D(Descent=144)),
        D(Type=N.Font, Subtype=N.Type1, BaseFont=N.Helvetica, FontDescriptor=D(Descent=-1)),
        D(Type=N.Font, Subtype=N.Type3, FontMatrix=A([0.001, 0, 0, -0.001, 0, 0]), FontBBox=A([0, -120, 900, 880])),
        D(
            Type=N.Font,
            Subtype=N.Type0,
            BaseFont=N("/GHIJKL+SimHei"),
            Encoding=N("/Identity-V"),
            DescendantFonts=A([D(Subtype=N.CIDFontType2, BaseFont=N("/GHIJKL+SimHei"), DW2=A([900, -1000]))]),
        ),
        D(
            Type=N.Font,
            Subtype=N.Type0,
            BaseFont=N("/MNOPQR+SimHei"),
            Encoding=N("/Identity-H"),
            DescendantFonts=A([D(Subtype=N.CIDFontType2, BaseFont=N("/SimHei"), FontDescriptor=D(Descent=-200))]),
        ),
        D(Type=N.Font, Subtype=N.TrueType, BaseFont=N.KaiTi, FontDescriptor=D(Descent=-100)),
        D(Type=N.Font, Subtype=N.TrueType, BaseFont=N("/STUVWX+KaiTi"), FontDescriptor=D(Descent=-300)),
    ]
    data = _font_pdf(fonts)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        known = pdf_objects.page_fonts(pdf.pages[0])
    manager = PDFResourceManager()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        theirs = [
            manager.get_font(None, resolve1(f)) for f in resolve1(pdf.pages[0].page_obj.resources["Font"]).values()
        ]
    descents = [f.get_descent() for f in theirs]
    assert known.descent == {"SimSun": descents[0], "Helvetica": descents[1], "": descents[2], "SimHei": descents[4]}
    assert theirs[3].is_vertical() and theirs[3].char_disp(1) == (None, 900)
    assert known.vertical == {"SimHei": 900.0}


# --- HTML ------------------------------------------------------------------------------------

ZEROS = [0] * 7
QINGSHAN_REQUESTS = {
    "received.new": [30, 2, 0, 0, 1, 0, 33],
    "received.carried_over": [2, 0, None, None, 0, 0, 2],
    "outcome.granted": [12, 1, 0, 0, 0, 0, 13],
    "outcome.partially_granted": [3, 0, 0, 0, 0, 0, 3],
    "outcome.withheld.third_party_rights": [1, 0, 0, 0, 0, 0, 1],
    "outcome.unavailable.not_held": [8, 1, 0, 0, 1, 0, 10],
    "outcome.unavailable.needs_creation": [2, 0, 0, 0, 0, 0, 2],
    "outcome.not_processed.complaint": [1, 0, 0, 0, 0, 0, 1],
    "outcome.not_processed.duplicate": [1, 0, 0, 0, 0, 0, 1],
    "outcome.other.other": [2, 0, 0, 0, 0, 0, 2],
    "outcome.total": [30, 2, 0, 0, 1, 0, 33],
    "carried_forward": [2, 0, 0, 0, 0, 0, 2],
}
QINGSHAN_PROACTIVE = {
    ("regulations", "issued"): 0,
    ("regulations", "repealed"): 0,
    ("regulations", "in_force"): 3,
    ("normative_documents", "issued"): 2,
    ("normative_documents", "repealed"): 1,
    ("normative_documents", "in_force"): 15,
    ("licensing", "decisions"): 120,
    ("penalty", "decisions"): 45,
    ("coercion", "decisions"): 3,
    ("fees", "amount_10k_yuan"): 12.5,
}
QINGSHAN_APPEALS = [1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]

BAISHUI_REQUESTS = {
    "received.new": [10, 1, 0, 0, 0, 0, 11],
    "received.carried_over": [1, 0, 0, 0, 0, 0, 1],
    "outcome.granted": [6, 1, 0, 0, 0, 0, 7],
    "outcome.partially_granted": [1, 0, 0, 0, 0, 0, 1],
    "outcome.withheld.process_info": [1, 0, 0, 0, 0, 0, 1],
    "outcome.unavailable.not_held": [2, 0, 0, 0, 0, 0, 2],
    "outcome.not_processed.duplicate": [1, 0, 0, 0, 0, 0, 1],
    "outcome.other": [0, None, None, None, None, None, 0],
    "outcome.total": [11, 1, 0, 0, 0, 0, 12],
}
BAISHUI_PROACTIVE = {
    ("regulations", "made"): 1,
    ("regulations", "published"): 1,
    ("regulations", "total_published"): 4,
    ("normative_documents", "made"): 5,
    ("normative_documents", "published"): 5,
    ("normative_documents", "total_published"): 30,
    ("licensing", "items_last_year"): 50,
    ("licensing", "items_change"): -3,
    ("licensing", "decisions"): 48,
    ("other_services", "items_last_year"): 10,
    ("other_services", "items_change"): 0,
    ("other_services", "decisions"): 12,
    ("penalty", "items_last_year"): 20,
    ("penalty", "items_change"): 1,
    ("penalty", "decisions"): 35,
    ("coercion", "items_last_year"): 2,
    ("coercion", "items_change"): 0,
    ("coercion", "decisions"): 1,
    ("fees", "items_last_year"): 3,
    ("fees", "items_change"): 0,
    ("procurement", "items"): 7,
    ("procurement", "amount_10k_yuan"): 123.45675,
}
BAISHUI_APPEALS = [0, 1, 0, 0, 1] + [0] * 10


def _expected(template: str, requests: dict, proactive: dict, appeals: list) -> dict:
    out = {}
    for code in TEMPLATES[template].categories:
        for applicant, value in zip(APPLICANT_CODES, requests.get(code, ZEROS), strict=True):
            out[("requests", code, applicant)] = value
    out.update({("proactive", *key): value for key, value in proactive.items()})
    keys = [
        (p, o)
        for p in ("review", "litigation_direct", "litigation_after_review")
        for o in ("upheld", "corrected", "other", "pending", "total")
    ]
    out.update({("appeals", *key): value for key, value in zip(keys, appeals, strict=True)})
    return out


QINGSHAN = _expected("2021", QINGSHAN_REQUESTS, QINGSHAN_PROACTIVE, QINGSHAN_APPEALS)
BAISHUI = _expected("2019", BAISHUI_REQUESTS, BAISHUI_PROACTIVE, BAISHUI_APPEALS)


def _fixture(name: str):
    return _read(name, (FIXTURES / name).read_bytes())


def test_gb2312_page_with_merged_cells_and_chrome():
    text, kind, report = _fixture("qingshan_2022_gb2312.html")
    assert kind == "html"
    assert (report.agency, report.year, report.template) == ("青山县人民政府", 2022, "2021")
    assert report.values() == QINGSHAN
    assert report.status == "ok" and report.layout == "text/tsv"
    for chrome in ("当前位置", "互动交流", "分享到", "网站标识码", "打印本页", "_hmt"):
        assert chrome not in text


def test_layout_tables_several_tables_and_a_table_split_in_two():
    _, kind, report = _fixture("baishui_2019_split.html")
    assert kind == "html"
    assert (report.agency, report.year, report.template) == ("白水镇人民政府", 2019, "2019")
    assert report.values() == BAISHUI
    assert report.status == "ok"


_PAGE = "<html><head>{meta}<title>年报</title></head><body><p>朱镕基同志题写的政府信息公开栏目</p></body></html>"


@pytest.mark.parametrize(
    "meta,encoding",
    [
        ('<meta http-equiv="Content-Type" content="text/html; charset=GBK">', "gbk"),
        ("<meta charset=gb2312>", "utf-8"),  # a stale declaration on a page saved as UTF-8
        ("", "gb18030"),
        ('<meta charset="utf-8">', "utf-16"),
    ],
)
def test_charset_from_declaration_or_bytes(meta, encoding):
    text, kind = read_text("page.html", _PAGE.format(meta=meta).encode(encoding))
    assert kind == "html" and "朱镕基同志题写的政府信息公开栏目" in text


def test_spanned_cells_are_given_once_and_nbsp_is_a_blank():
    text, _, _ = _fixture("qingshan_2022_gb2312.html")
    rows = [line.split("\t") for line in text.splitlines()]
    group = [r for r in rows if "（三）不予公开" in r]
    assert len(group) == 1 and group[0][:3] == ["", "（三）不予公开", "1.属于国家秘密"]
    carried = next(r for r in rows if r[0] == "二、上年结转政府信息公开申请数量")
    assert carried == ["二、上年结转政府信息公开申请数量", "2", "0", "", "", "0", "0", "2"], "colspan once, blanks kept"


def test_a_cell_spanning_rows_and_columns_leaves_one_blank_below_as_in_word():
    page = (
        "<table><tr><td rowspan=2 colspan=3>注</td><td colspan=2>申请人</td></tr>"
        "<tr><td>自然人</td><td>法人</td></tr><tr><td>a</td><td>b</td><td>c</td><td>1</td><td>2</td></tr></table>"
    )
    text, _ = read_text("t.html", page.encode("utf-8"))
    assert text.splitlines() == ["注\t申请人", "\t自然人\t法人", "a\tb\tc\t1\t2"]


def test_page_without_a_report_is_rejected_by_the_build(tmp_path):
    (tmp_path / "news.html").write_bytes((FIXTURES / "news_no_report.html").read_bytes())
    result = process(str(tmp_path), "news.html")
    assert result.report is None
    assert (result.reject.stage, result.reject.code) == ("parse", "no_report")


# --- DOCX ------------------------------------------------------------------------------------

# section 三 as printed: (group, subgroup, leaf label, category); None = covered by a merged cell
REQUEST_ROWS = [
    ("一、本年新收政府信息公开申请数量", None, None, "received.new"),
    ("二、上年结转政府信息公开申请数量", None, None, "received.carried_over"),
    ("三、本年度办理结果", "（一）予以公开", None, "outcome.granted"),
    (None, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", None, "outcome.partially_granted"),
    (None, "（三）不予公开", "1.属于国家秘密", "outcome.withheld.state_secret"),
    (None, None, "2.其他法律行政法规禁止公开", "outcome.withheld.prohibited_by_law"),
    (None, None, "3.危及“三安全一稳定”", "outcome.withheld.security_stability"),
    (None, None, "4.保护第三方合法权益", "outcome.withheld.third_party_rights"),
    (None, None, "5.属于三类内部事务信息", "outcome.withheld.internal_affairs"),
    (None, None, "6.属于四类过程性信息", "outcome.withheld.process_info"),
    (None, None, "7.属于行政执法案卷", "outcome.withheld.enforcement_file"),
    (None, None, "8.属于行政查询事项", "outcome.withheld.admin_query"),
    (None, "（四）无法提供", "1.本机关不掌握相关政府信息", "outcome.unavailable.not_held"),
    (None, None, "2.没有现成信息需要另行制作", "outcome.unavailable.needs_creation"),
    (None, None, "3.补正后申请内容仍不明确", "outcome.unavailable.unclear"),
    (None, "（五）不予处理", "1.信访举报投诉类申请", "outcome.not_processed.complaint"),
    (None, None, "2.重复申请", "outcome.not_processed.duplicate"),
    (None, None, "3.要求提供公开出版物", "outcome.not_processed.publication"),
    (None, None, "4.无正当理由大量反复申请", "outcome.not_processed.excessive"),
    (None, None, "5.要求行政机关确认或重新出具已获取信息", "outcome.not_processed.confirmation"),
    (
        None,
        "（六）其他处理",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "outcome.other.no_correction",
    ),
    (
        None,
        None,
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "outcome.other.fee_unpaid",
    ),
    (None, None, "3.其他", "outcome.other.other"),
    (None, "（七）总计", None, "outcome.total"),
    ("四、结转下年度继续办理", None, None, "carried_forward"),
]


def _merged(table, r: int, c: int, rows: int, cols: int, text: str) -> None:
    table.cell(r, c).merge(table.cell(r + rows - 1, c + cols - 1)).text = text


def _requests_table(document) -> None:
    """Section 三 with the merges of the printed form: the label of a group spans its rows, a
    label without sub-rows spans the label columns."""
    head = 3
    t = document.add_table(rows=head + len(REQUEST_ROWS), cols=10)
    _merged(t, 0, 0, 3, 3, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
    _merged(t, 0, 3, 1, 7, "申请人情况")
    _merged(t, 1, 3, 2, 1, "自然人")
    _merged(t, 1, 4, 1, 5, "法人或其他组织")
    _merged(t, 1, 9, 2, 1, "总计")
    for c, label in enumerate(["商业\n企业", "科研\n机构", "社会公益\n组织", "法律服务\n机构", "其他"], start=4):
        t.cell(2, c).text = label
    for i, (*labels, code) in enumerate(REQUEST_ROWS):
        r = head + i
        last = max(c for c, label in enumerate(labels) if label)
        for c, label in enumerate(labels):
            if not label:
                continue
            if c == last:
                _merged(t, r, c, 1, 3 - c, label)
            else:
                below = next((k for k in range(i + 1, len(REQUEST_ROWS)) if REQUEST_ROWS[k][c]), len(REQUEST_ROWS))
                _merged(t, r, c, below - i, 1, label)
        for c, value in enumerate(QINGSHAN_REQUESTS.get(code, ZEROS), start=3):
            t.cell(r, c).text = "" if value is None else str(value)


def _simple_table(document, rows: list[list[str]]) -> None:
    t = document.add_table(rows=len(rows), cols=max(map(len, rows)))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            t.cell(r, c).text = text
        if len(row) < len(t.columns):
            _merged(t, r, len(row) - 1, 1, len(t.columns) - len(row) + 1, row[-1])


def _qingshan_docx() -> bytes:
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "青山县人民政府办公室 2023年1月 第1页"
    d.add_heading("青山县人民政府2022年政府信息公开工作年度报告", level=1)
    d.add_paragraph("本报告所列数据统计期限自2022年1月1日至2022年12月31日。")
    d.add_paragraph("一、总体情况")
    d.add_paragraph("2022年，共受理政府信息公开申请33件。")
    d.add_paragraph("二、主动公开政府信息情况")
    _simple_table(
        d,
        [
            ["第二十条第（一）项"],
            ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
            ["规章", "0", "0", "3"],
            ["行政规范性文件", "2", "1", "15"],
            ["第二十条第（五）项"],
            ["信息内容", "本年处理决定数量"],
            ["行政许可", "120"],
            ["第二十条第（六）项"],
            ["信息内容", "本年处理决定数量"],
            ["行政处罚", "45"],
            ["行政强制", "3"],
            ["第二十条第（八）项"],
            ["信息内容", "本年收费金额（单位：万元）"],
            ["行政事业性收费", "12.5"],
        ],
    )
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    _requests_table(d)
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    t = d.add_table(rows=4, cols=15)
    _merged(t, 0, 0, 1, 5, "行政复议")
    _merged(t, 0, 5, 1, 10, "行政诉讼")
    outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    for c, label in enumerate(outcomes):
        _merged(t, 1, c, 2, 1, label)
    _merged(t, 1, 5, 1, 5, "未经复议直接起诉")
    _merged(t, 1, 10, 1, 5, "复议后起诉")
    for c, label in enumerate(outcomes * 2, start=5):
        t.cell(2, c).text = label
    for c, value in enumerate(QINGSHAN_APPEALS):
        t.cell(3, c).text = str(value)
    d.add_paragraph("五、存在的主要问题及改进情况")
    d.add_paragraph("无。")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_paragraphs_and_merged_tables():
    text, kind, report = _read("qingshan.docx", _qingshan_docx())
    assert kind == "docx"
    assert (report.agency, report.year, report.template) == ("青山县人民政府", 2022, "2021")
    assert report.values() == QINGSHAN
    assert report.status == "ok"
    assert "第1页" not in text, "page headers are not body text"


def test_docx_paragraph_text_is_python_docx_text():
    """The reader reads paragraph text itself (python-docx's XPath queries took half the time):
    it must be python-docx's ``Paragraph.text`` for every paragraph, in tables too, with tabs,
    breaks, no-break hyphens and hyperlinks."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.text.paragraph import Paragraph

    from pipeline.generate_published import generate_published
    from pipeline.readers.docx import _text

    d = docx.Document(io.BytesIO(_qingshan_docx()))
    odd = d.add_paragraph("行政许可")
    run = odd.add_run("12")
    run.add_tab()
    run.add_break()
    run.add_text("3")
    odd._p.append(
        parse_xml(
            f"<w:hyperlink {nsdecls('w', 'r')} r:id='rId9'><w:r><w:t>链接</w:t><w:noBreakHyphen/><w:cr/></w:r>"
            "<w:r><w:ptab w:relativeTo='margin' w:alignment='right' w:leader='none'/><w:t>4</w:t></w:r></w:hyperlink>"
        )
    )
    docs = [d] + [
        docx.Document(io.BytesIO(generate_published(random.Random(i), "2021", "docx").data)) for i in range(3)
    ]
    paragraphs = [p for doc in docs for p in doc.element.body.iter(qn("w:p"))]
    assert len(paragraphs) > 200
    assert [_text(p) for p in paragraphs] == [Paragraph(p, None).text for p in paragraphs]
    assert _text(odd._p) == "行政许可12\t\n3链接-\n\t4"


def test_docx_reads_the_main_part_as_python_docx_does():
    """The reader opens only the main document part and finds merged cells with one query
    (python-docx parsed every part, styles included, and its properties took a third of the
    time): the part must be python-docx's ``Document(...).element`` and the grid the one its
    properties give, over merges across and down, a row with cells left out before it, and a
    merge with no w:val."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    from pipeline.generate_published import generate_published
    from pipeline.readers.docx import _grid, _main_document

    d = docx.Document(io.BytesIO(_qingshan_docx()))
    odd = d.add_table(rows=3, cols=3)
    odd.cell(0, 0).merge(odd.cell(1, 0)).text = "合并"
    odd.rows[2]._tr.get_or_add_trPr().append(parse_xml(f"<w:gridBefore {nsdecls('w')} w:val='1'/>"))
    odd.rows[2]._tr.remove(odd.rows[2]._tr.tc_lst[0])
    odd.cell(1, 1)._tc.get_or_add_tcPr().append(parse_xml(f"<w:vMerge {nsdecls('w')}/>"))
    buf = io.BytesIO()
    d.save(buf)
    packages = [buf.getvalue()] + [
        generate_published(random.Random(i), ("2019", "2021")[i % 2], "docx").data for i in range(4)
    ]
    continued = 0
    for data in packages:
        ours, theirs = _main_document(data), docx.Document(io.BytesIO(data)).element
        assert etree.tostring(ours) == etree.tostring(theirs)
        for table in theirs.body.iter(qn("w:tbl")):
            expected = [
                [None] * tr.grid_before
                + [None if tc.vMerge == "continue" else "\n".join(_text_of(p) for p in tc.p_lst) for tc in tr.tc_lst]
                for tr in table.tr_lst
            ]
            assert _grid(table) == expected
            continued += sum(row.count(None) for row in expected)
    assert continued > 20, "merges down and rows with cells left out are compared"


def _text_of(p) -> str:
    from docx.text.paragraph import Paragraph

    return Paragraph(p, None).text


def test_docx_of_another_kind_is_rejected():
    """A package whose main part is not a Word document (here a macro-enabled one, which
    python-docx refuses too) is a corrupt_docx, named, not read."""
    source = zipfile.ZipFile(io.BytesIO(_qingshan_docx()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"document.macroEnabled.main+xml")
            z.writestr(item, data)
    with pytest.raises(Reject, match="not a Word document"):
        docx_reader.to_text(buf.getvalue())


# --- rejects ---------------------------------------------------------------------------------


def _pdf(*objects: bytes) -> bytes:
    """A minimal PDF around the given objects (object 1 is the catalog), with a valid xref."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (extra, len(data), data)


_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def _image_only_pdf() -> bytes:
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>"
    image = _stream(
        b"\x00\xff\xff\x00",
        b"/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8",
    )
    return _pdf(_CATALOG, _PAGES, page, image, _stream(b"q 200 0 0 200 0 0 cm /Im1 Do Q"))


def _text_pdf() -> bytes:
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    return _pdf(_CATALOG, _PAGES, page, font, _stream(b"BT /F1 12 Tf 20 100 Td (Annual report 2023) Tj ET"))


def _encrypted(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_text_pdf())))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _broken_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document>not a package</w:document>")
    return buf.getvalue()


REJECTS = {
    "image-only PDF": ("scan.pdf", _image_only_pdf, ("extract", "no_text_layer")),
    "encrypted PDF": ("locked.pdf", lambda: _encrypted("secret"), ("extract", "encrypted_pdf")),
    "truncated PDF": (
        "cut.pdf",
        lambda: (SHARED / "corpus/hongze_2023.pdf").read_bytes()[:40000],
        ("extract", "truncated_pdf"),
    ),
    "corrupt PDF": (
        "bad.pdf",
        lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n",
        ("extract", "corrupt_pdf"),
    ),
    "legacy .doc": (
        "old.doc",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
        ("read", "unsupported_format"),
    ),
    "broken .docx": ("bad.docx", _broken_docx, ("extract", "corrupt_docx")),
    "HTML without visible text": (
        "blank.html",
        lambda: (
            "<html><head><title>年度报告</title><script>var a = 1;</script></head>"
            "<body><nav>首页 政务公开</nav><p>&nbsp;</p></body></html>"
        ).encode(),
        ("extract", "no_text"),
    ),
}


@pytest.mark.parametrize("case", REJECTS)
def test_unreadable_input_is_rejected(case):
    name, make, expected = REJECTS[case]
    with pytest.raises(Reject) as caught:
        read_text(name, make())
    assert (caught.value.stage, caught.value.code) == expected


def test_every_failure_has_its_own_code():
    codes = [code for _, _, (_, code) in REJECTS.values()] + ["no_report"]
    assert len(set(codes)) == len(codes)


def test_pdf_encrypted_without_a_user_password_is_read():
    text, kind = read_text("open.pdf", _encrypted(""))
    assert kind == "pdf" and "Annual report 2023" in text


def _damaged(data: bytes, rng: random.Random) -> bytes:
    """Bytes flipped, cut off, spliced in or cut out: what a bad disk or a broken download does."""
    m = bytearray(data)
    how = rng.randrange(4)
    if how == 0:
        for _ in range(rng.randint(1, 20)):
            m[rng.randrange(len(m))] = rng.randrange(256)
    elif how == 1:
        del m[rng.randrange(len(m)) :]
    elif how == 2:
        at = rng.randrange(len(m))
        m[at:at] = rng.randbytes(rng.randint(1, 50))
    else:
        at = rng.randrange(len(m))
        del m[at : at + rng.randint(1, 2000)]
    return bytes(m)


@pytest.mark.parametrize("kind", ["html", "docx"])
def test_damaged_pages_and_documents_are_rejects_not_crashes(kind):
    """A damaged Word file once failed with zlib.error or NotImplementedError ('zip file version
    22.7'), which the build recorded as a parser bug; every failure is an extract reject."""
    from pipeline.generate_published import generate_published

    rng = random.Random(20261202)
    originals = [generate_published(random.Random(i), "2021", kind).data for i in range(3)]
    codes = set()
    for _ in range(150):
        try:
            read_text(f"report.{kind}", _damaged(rng.choice(originals), rng))
        except Reject as reject:
            assert reject.stage == "extract"
            codes.add(reject.code)
    assert kind == "html" or "corrupt_docx" in codes


def test_a_page_declaring_a_charset_no_codec_has_is_read():
    """A damaged or misspelt declaration (no codec by that name) on bytes that are not UTF-8 once
    raised LookupError: the page is read as GB18030, as when it declares nothing."""
    head = '<html><head><meta charset="gb-2312x"></head><body><p>政府信息公开</p><p>'.encode("gb18030")
    text, kind = read_text("page.html", head + bytes(range(128, 256)) + b"</p></body></html>")
    assert kind == "html" and text.startswith("政府信息公开\n")


@pytest.mark.parametrize("source", ["helvetica", "real"])
def test_damaged_pdf_bytes_never_crash_the_reader(source):
    """A damaged file is text or a reject; the real PDF takes PDFium's path (C++: a crash there
    would take the worker with it), the small one pdfminer's (its font is not embedded)."""
    data = _text_pdf() if source == "helvetica" else (SHARED / "corpus" / REAL_PDFS[0]).read_bytes()
    rng = random.Random(20240601)
    for _ in range(60):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        try:
            pdf_reader.to_text(bytes(mutated))
        except Reject as reject:
            assert reject.stage == "extract"


def test_wrapped_cell_text_is_one_line():
    """A narrow cell wraps its text: Chinese and a number's digits join with no space (115 over
    two lines is 115, not 11 and 5), other words with one."""
    assert join_wrapped("11\n5") == "115"
    assert join_wrapped("其他对\n外管理\n服务事项") == "其他对外管理服务事项"
    assert join_wrapped("Word\nfile\u00a0\u00a0name") == "Word file name"


def test_cut_row_mended_when_the_table_below_is_wider():
    """A Word PDF draws a cut row closed on both pages, and the finder joins the rest of the
    table to the wider table printed under it: the two halves of the row still have the same
    cells, and are one row (left apart, the blank cells below were read as the row's values)."""
    above = _table(0, "四、结转下年度继续办|0|0|0")
    below = _table(1, "理|||", "行政复议|行政诉讼", "结果维持|结果纠正|其他结果|尚未审结|总计|结果维持")
    assert pdf_reader._join_tables([above, below])[0] == "四、结转下年度继续办理\t0\t0\t0"


def test_only_punctuation_hangs_past_a_table_never_a_part_of_a_number():
    """A full stop or comma hanging past a table's side is the table's; a number's decimal
    point, separator or sign beside it is the number's ("2.4" printed beside a table of labels
    was read "2 4", its "." hung on the label)."""
    box = (30.0, 100.0, 120.0, 150.0)

    def char(text: str, x0: float) -> dict:
        return {"text": text, "x0": x0, "x1": x0 + 4, "top": 130.0, "bottom": 142.0}

    assert pdf_reader._in_table(char("，", 121), box)
    assert pdf_reader._in_table(char("）", 122), box)
    assert not any(pdf_reader._in_table(char(c, 126), box) for c in ".,+-")
    assert not pdf_reader._in_table(char("2", 121), box)


def _line(*words: tuple[str, float]) -> pdf_reader._Item:
    """A line of words outside any table, each (text, centre); 10 points wide a character."""
    placed = [{"text": t, "x0": x - 5 * len(t), "x1": x + 5 * len(t), "top": 100, "bottom": 110} for t, x in words]
    return pdf_reader._Item(0, 100, 110, text=pdf_reader._words_line(placed), words=placed)


HEADER = ("信息内容", 80), ("本年制发件数", 200), ("本年废止件数", 300), ("现行有效件数", 400)


def test_section_two_printed_without_rules_keeps_its_blank_cells():
    """A Word table without borders prints no cell for a blank: the header row says which
    column each number is in.  A number as near one column as another, a row of another
    section, a row under a ruled table, or a row with every number printed is left as it was."""
    items = [
        _line(*HEADER),
        _line(("规章", 60), ("8", 402)),
        _line(("行政规范性文件", 80), ("3", 297), ("5", 404)),
        _line(("规章", 60), ("8", 250)),  # half way: no column is nearer
        _line(("一、本年新收政府信息公开申请数量", 80), ("3", 300)),
        _line(("规章", 60), ("1", 200), ("2", 300), ("3", 400)),
        _table(0, "信息内容|本年处理决定数量"),
        _line(("行政许可", 80), ("8", 402)),
    ]
    before = [item.text for item in items]
    pdf_reader._place_under_headers(items)
    assert [item.text for item in items] == [
        before[0],
        "规章\t\t\t8",
        "行政规范性文件\t\t3\t5",
        *before[3:],
    ]


APPEALS_AT = [300 + 20 * k for k in range(15)]  # the middles of section 四's 15 columns


def test_section_four_printed_without_rules_keeps_its_blank_cells():
    """A Word table without borders wraps the outcome headers of its narrow columns a character a
    line (结/果/维/持), under headers that span columns: the words that begin an outcome header
    stand over the 15 columns.  The row of numbers gets its blank cells back, and so does the
    line of a total's last digits the column wrapped; a number half way between two columns
    leaves its line as it was."""
    firsts = "结结其尚总" * 3
    items = [
        _line(("四、因政府信息公开工作被申请行政复议、提起行政诉讼情况", 200)),
        _line(("行政复议", 340), ("行政诉讼", 500)),
        _line(*zip(firsts[:5], APPEALS_AT[:5], strict=True), ("未经复议直接起诉", 440), ("复议后起诉", 540)),
        _line(*zip("果果他未计", APPEALS_AT[:5], strict=True)),
        _line(*zip("维纠结审", APPEALS_AT[:4], strict=True), *zip(firsts[5:], APPEALS_AT[5:], strict=True)),
        _line(*((str(k), x) for k, x in zip(range(87, 97), APPEALS_AT[5:], strict=True))),
        _line(("9", APPEALS_AT[9])),
        _line(("1", APPEALS_AT[0] + 10)),  # half way
        _line(("五、存在的主要问题及改进情况", 200)),
        _line(("2", APPEALS_AT[0])),
    ]
    before = [item.text for item in items]
    pdf_reader._place_in_columns(items)
    assert [item.text for item in items] == [
        *before[:5],
        "\t" * 5 + "\t".join(str(k) for k in range(87, 97)),
        "\t" * 9 + "9" + "\t" * 5,
        *before[7:],
    ]


APPLICANTS_AT = [200, 240, 280, 320, 360, 400, 440]


def test_section_three_printed_without_rules_keeps_its_blank_cells():
    """Section 三's applicant headers, wrapped under 法人或其他组织, stand over its seven columns;
    rows keep their labels and get their blank cells back.  Under a heading whose headers make
    no seven columns, or under a ruled table, nothing changes."""
    heading = _line(("三、收到和处理政府信息公开申请情况", 200))
    header = [
        _line(("申请人情况", 300)),
        _line(("自然", 200), ("法人或其他组织", 320), ("总计", 440)),
        _line(("人", 200)),
        _line(*zip(["商业", "科研", "社会", "法律", "其他"], APPLICANTS_AT[1:6], strict=True)),
        _line(*zip(["企业", "机构", "公益", "服"], APPLICANTS_AT[1:5], strict=True)),
    ]

    def rows() -> list[pdf_reader._Item]:
        return [
            _line(("一、本年新收", 80), ("268", 200), ("5", 240), ("273", 440)),
            _line(("(一)予以公开", 80), ("4", 240), ("4", 440)),
            _line(("二、上年结转", 80), *((str(k), x) for k, x in enumerate(APPLICANTS_AT))),
        ]

    placed = rows()
    whole = placed[2].text  # every number printed: as it was
    pdf_reader._place_in_columns([heading, *header, *placed])
    assert [item.text for item in placed] == [
        "一、本年新收\t268\t5\t\t\t\t\t273",
        "(一)予以公开\t\t4\t\t\t\t\t4",
        whole,
    ]
    for above in (header[:3], [*header, _table(0, "a|b")]):
        kept = rows()
        before = [item.text for item in kept]
        pdf_reader._place_in_columns([heading, *above, *kept])
        assert [item.text for item in kept] == before


def test_rows_printed_without_rules_under_a_ruled_table_take_its_columns():
    """A Word table split in two, the first part with borders (the header rows and the first
    rows) and the rest without: the rows of the rest get their blank cells back in the columns
    of the ruled part's header cells (自然人 … 总计), and their labels are gathered.  A ruled
    table whose cells begin no column header (or not all seven) changes nothing under it."""
    heading = _line(("三、收到和处理政府信息公开申请情况", 200))
    names = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    spans = [(x - 20, x + 20) for x in APPLICANTS_AT]

    def ruled(cells: list[str]) -> pdf_reader._Item:
        item = _table(0, "申请人情况|" + "|".join(cells), "一、本年新收|1|2|0|0|0|0|3")
        item.spans = [[(0, 180), *spans[: len(cells)]], [(0, 180), *spans]]
        return item

    def rest() -> list[pdf_reader._Item]:
        return [
            _line(("(三)不", 60), ("2.其", 120), ("5", 200), ("5", 440)),
            _line(("予公", 60), ("他法", 120)),
            _line(("5.属", 120), ("4", 240), ("4", 440)),
        ]

    below = rest()
    pdf_reader._place_in_columns([heading, ruled(names), *below])
    assert [item.text for item in below] == [
        "(三)不 予公\t2.其 他法\t5" + "\t" * 6 + "5",
        "",
        "5.属\t\t4" + "\t" * 5 + "4",
    ]
    for cells in (names[:6], ["甲", "乙", "丙", "丁", "戊", "己", "庚"]):
        kept = rest()
        before = [item.text for item in kept]
        pdf_reader._place_in_columns([heading, ruled(cells), *kept])
        assert [item.text for item in kept] == before


def test_marks_are_values_where_rows_are_placed_in_columns():
    """A "—" marks a cell not applicable: it is a value, placed as a number is, and a row of 15
    marks and numbers has every cell printed (it stays as it was; read as a label, the marks
    had put the numbers in 行政复议's columns)."""
    firsts = "结结其尚总" * 3
    header = [
        _line(("四、因政府信息公开工作被申请行政复议、提起行政诉讼情况", 200)),
        _line(*zip(firsts, APPEALS_AT, strict=True)),
    ]
    whole = _line(*zip(["—"] * 10 + ["93", "1", "14", "4", "11"], APPEALS_AT, strict=True))
    marks = _line(*zip(["—"] * 5 + ["0"], APPEALS_AT[5:11], strict=True))
    before = whole.text
    pdf_reader._place_in_columns([*header, whole, marks])
    assert whole.text == before
    assert marks.text == "\t" * 5 + "\t".join(["—"] * 5 + ["0"]) + "\t" * 4


def test_a_signed_change_is_a_value_where_rows_are_placed_in_columns():
    """本年增/减 prints a change with its sign: "+5" is the row's value in that column, not part
    of its label (as label, it came out as a fourth cell, and the row was read one column off,
    5 as last year's count, with status ok).  A label a narrow column wrapped (其他对外管理服务
    over 事项) starts a row as the whole label does."""
    items = [
        _line(("信息内容", 80), ("上一年项目数量", 200), ("本年增/减", 300), ("处理决定数量", 400)),
        _line(("行政强制", 80), ("+5", 300), ("15", 400)),
        _line(("行政处罚", 80), ("-1", 300)),
        _line(("其他对外管理服务", 80), ("-3", 300), ("18930", 400)),
        _line(("事项", 80)),
    ]
    pdf_reader._place_under_headers(items)
    assert [item.text for item in items[1:]] == [
        "行政强制\t\t+5\t15",
        "行政处罚\t\t-1\t",
        "其他对外管理服务\t\t-3\t18930",
        "事项",
    ]


def test_labels_a_narrow_column_wrapped_beside_their_groups_are_gathered():
    """Without rules, 1.属于国家秘密 wraps two characters a line beside its group's label,
    (三)不予公开, and the lines run the two together ("(三)不 1.属", "予公 于国"): no key of either
    is found whole.  Each label column's pieces that begin no label join the label above them,
    on its first line; the values stay where they were.  A line with two pieces in one column
    (the middles chain into one column) is left as it is."""
    heading = _line(("三、收到和处理政府信息公开申请情况", 200))
    header = _line(*zip(["自然", "商业", "科研", "社会", "法律", "其他", "总计"], APPLICANTS_AT, strict=True))
    rows = [
        _line(("(三)不", 60), ("1.属", 120), ("18", 200), ("18", 440)),
        _line(("予公", 60), ("于国", 120)),
        _line(("开", 60), ("家秘", 120)),
        _line(("密", 120)),
        _line(("2.其", 120), ("1", 200), ("1", 440)),
        _line(("他法", 120)),
    ]
    pdf_reader._place_in_columns([heading, header, *rows])
    assert [item.text for item in rows] == [
        "(三)不 予公 开\t1.属 于国 家秘 密\t18" + "\t" * 6 + "18",
        "",
        "",
        "",
        "2.其 他法\t1" + "\t" * 6 + "1",
        "",
    ]
    chained = [
        _line(("1.甲", 110), ("5", 200), ("5", 440)),
        *(_line((c, x)) for c, x in zip("丙丁戊己", (105, 115, 120, 125), strict=True)),
        _line(("庚", 100), ("辛", 130)),
    ]
    pdf_reader._place_in_columns([heading, header, *chained])
    assert [item.text for item in chained] == ["1.甲 丙 丁 戊 己\t5" + "\t" * 6 + "5", "", "", "", "", "庚\t辛"]
