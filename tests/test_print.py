"""汇总报告 as the leadership prints it: LibreOffice renders the demo's report to PDF (A4), and every
page must be readable (median word height at least 8.5 pt, as `pdftotext -bbox` measures it), no
chart may be cut by a page break, and header rows repeat only over tables (a district's round in at most
20 pages: tests/test_documents.py).

Runs where `soffice` and `pdftotext` are installed (CI installs both: see .ci/run)."""

import re
import shutil
import statistics
import subprocess

import pytest
from conftest import AS_OF, make_demo
from openpyxl import load_workbook
from test_libreoffice import SOFFICE, convert, pytestmark  # noqa: F401 - the same skip rule

from pipeline.run import batch
from pipeline.outputs.leaders import pack

MIN_WORD_PT = 8.5
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


@pytest.fixture(scope="module")
def printed(campaign, tmp_path_factory):
    """(run result, report path, pages): each page as (sheet name from its header, [(height, word)])."""
    root = tmp_path_factory.mktemp("print")
    make_demo(campaign, root / "inbox", units=10, members=12, seed=61, defects=True)
    result = batch.run(campaign, root / "inbox", root / "out", root / "arch", as_of=AS_OF)
    report = root / "report.xlsx"  # an ASCII name for LibreOffice's command line
    shutil.copyfile(result.folder / pack.report_name(campaign), report)
    (pdf,) = convert([report], "pdf", root / "pdf", root / "profile")
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        words = [(float(y1) - float(y0), float(y0), w) for _, y0, _, y1, w in WORD.findall(page)]
        sheet = min(words, key=lambda w: w[1])[2] if words else ""  # the page header names its sheet
        pages.append((sheet, [(h, w) for h, _, w in words]))
    return result, report, pages


def test_every_page_prints_at_a_readable_size(printed, campaign):
    _, _, pages = printed
    sheets = set(pack.sheet_names(campaign))
    assert {s for s, _ in pages} == sheets, "every sheet prints, each page headed by its sheet's name"
    small = [(i + 1, sheet, round(statistics.median(h for h, _ in words), 2))
             for i, (sheet, words) in enumerate(pages) if statistics.median(h for h, _ in words) < MIN_WORD_PT]
    assert not small, f"pages whose median word height is under {MIN_WORD_PT} pt: {small}"


def _title(chart) -> str:
    return "".join(r.t for p in chart.title.tx.rich.p for r in (p.r or []))


def test_no_chart_is_cut_by_a_page_break(printed, campaign):
    """The layout holds, on both sheets of charts: every chart lies inside one row, the rows between two
    manual breaks fit a page at the sheet's fixed scale (so no automatic break falls among them), the
    columns fit the width even when drawn a third wider (LibreOffice without the workbook's font); and
    LibreOffice prints exactly those pages, each with the titles of its charts. (Text that LibreOffice
    clips at a page's edge stays in the PDF's text layer, so the PDF alone cannot show a clean cut.)"""
    result, report, pages = printed
    titles = set()
    for name in (pack.CHARTS_SHEET,):
        ws = load_workbook(report)[name]
        scale = (ws.page_setup.scale or 100) / 100  # none written: 100%
        assert not ws.sheet_properties.pageSetUpPr.fitToPage, "a sheet scaled to fit ignores manual breaks"
        across, down = (29.7, 21.0) if ws.page_setup.orientation == "landscape" else (21.0, 29.7)
        page_h = down / 2.54 * 72 - 72 * (ws.page_margins.top + ws.page_margins.bottom)
        page_w_cm = across - 2.54 * (ws.page_margins.left + ws.page_margins.right)
        last = max(ws.row_dimensions)
        cuts = [0] + sorted(b.id for b in ws.row_breaks.brk) + [last]  # a break after row `id` (1-based)
        segments = [range(a + 1, b + 1) for a, b in zip(cuts, cuts[1:])]
        for rows in segments:
            assert sum(ws.row_dimensions[r].ht for r in rows) * scale <= page_h - 30, f"{name}: rows {rows} overflow"
        widths = sum(d.width * (d.max - d.min + 1) for d in ws.column_dimensions.values() if d.width)
        assert (widths * 7 + 5) / 96 * 2.54 * 1.33 * scale <= page_w_cm, name
        planned = [[] for _ in segments]
        for chart in ws._charts:
            start, end = chart.anchor._from, chart.anchor.to
            assert end.row == start.row or (end.row == start.row + 1 and end.rowOff == 0), _title(chart)
            (page,) = [i for i, rows in enumerate(segments) if start.row + 1 in rows]
            planned[page].append(_title(chart))
            titles.add(_title(chart))
        printed_pages = [[w for _, w in words] for sheet, words in pages if sheet == name]
        assert len(printed_pages) == len(segments), f"LibreOffice printed {name} on the planned pages"
        for chart_titles, words in zip(planned, printed_pages):
            for t in chart_titles:
                assert all(part in words for part in t.split()), (t, words[:12])
    assert {"各单位综合得分排名", "各单位党员评定等次分布"} <= titles


def test_header_rows_repeat_over_every_table_and_no_sheet_is_folded(printed, campaign):
    result, report, _ = printed
    wb = load_workbook(report)
    charts = {pack.CHARTS_SHEET}
    assert wb.sheetnames == pack.sheet_names(campaign) and charts <= set(wb.sheetnames)
    for ws in wb.worksheets:
        assert bool(ws.print_title_rows) == (ws.title not in charts | {"说明"}), ws.title
        assert ws.page_setup.paperSize == 9, ws.title
        # tables print one page wide; the charts at a fixed scale, so that their manual page breaks hold
        assert bool(ws.sheet_properties.pageSetUpPr.fitToPage) == (ws.title not in charts), ws.title
        assert not any(d.hidden for d in ws.row_dimensions.values()), f"{ws.title}: a row hidden from print"
