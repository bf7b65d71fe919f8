"""汇总报告 as the leadership prints it: LibreOffice renders the demo's report to PDF (A4), and every
page must be readable (median word height at least 8.5 pt, as `pdftotext -bbox` measures it), no
chart may be cut by a page break, header rows repeat only over tables, and the member detail is
folded per unit so that the district's thousands of members are not printed by default.

Runs where `soffice` and `pdftotext` are installed (CI installs both: see .ci/run)."""

import re
import shutil
import statistics
import subprocess

import pytest
from conftest import AS_OF, make_demo
from openpyxl import load_workbook
from test_libreoffice import SOFFICE, convert, pytestmark  # noqa: F401 - the same skip rule

from pipeline import batch
from pipeline.outputs import leadership

MIN_WORD_PT = 8.5
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


@pytest.fixture(scope="module")
def printed(campaign, tmp_path_factory):
    """(run result, report path, pages): each page as (sheet name from its header, [(height, word)])."""
    root = tmp_path_factory.mktemp("print")
    make_demo(campaign, root / "inbox", units=10, members=12, seed=61, defects=True)
    result = batch.run(campaign, root / "inbox", root / "out", root / "arch", as_of=AS_OF)
    report = root / "report.xlsx"  # an ASCII name for LibreOffice's command line
    shutil.copyfile(result.folder / leadership.report_name(campaign), report)
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
    sheets = set(leadership.sheet_names(campaign))
    assert {s for s, _ in pages} == sheets, "every sheet prints, each page headed by its sheet's name"
    small = [(i + 1, sheet, round(statistics.median(h for h, _ in words), 2))
             for i, (sheet, words) in enumerate(pages) if statistics.median(h for h, _ in words) < MIN_WORD_PT]
    assert not small, f"pages whose median word height is under {MIN_WORD_PT} pt: {small}"


def _title(chart) -> str:
    return "".join(r.t for p in chart.title.tx.rich.p for r in (p.r or []))


def test_no_chart_is_cut_by_a_page_break(printed, campaign):
    """The layout holds: every chart lies inside one row, the rows between two manual breaks fit
    a page at the sheet's fixed scale (so no automatic break falls among them), the columns fit
    the width even when drawn a third wider (LibreOffice without Calibri); and LibreOffice prints
    exactly those pages, each with the titles of its charts. (Text that LibreOffice clips at a
    page's edge stays in the PDF's text layer, so the PDF alone cannot show a clean cut.)"""
    result, report, pages = printed
    ws = load_workbook(report)[leadership.CHARTS_SHEET]
    scale = ws.page_setup.scale / 100
    assert not ws.sheet_properties.pageSetUpPr.fitToPage, "a sheet scaled to fit ignores manual breaks"
    page_h = 21.0 / 2.54 * 72 - 72 * (ws.page_margins.top + ws.page_margins.bottom)  # A4 landscape, pt
    page_w_cm = 29.7 - 2.54 * (ws.page_margins.left + ws.page_margins.right)
    last = max(ws.row_dimensions)
    cuts = [0] + sorted(b.id for b in ws.row_breaks.brk) + [last]  # a break after row `id` (1-based)
    segments = [range(a + 1, b + 1) for a, b in zip(cuts, cuts[1:])]
    for rows in segments:
        assert sum(ws.row_dimensions[r].ht for r in rows) * scale <= page_h - 30, f"rows {rows} overflow a page"
    widths = sum(d.width * (d.max - d.min + 1) for d in ws.column_dimensions.values() if d.width)
    assert (widths * 7 + 5) / 96 * 2.54 * 1.33 * scale <= page_w_cm
    planned = [[] for _ in segments]
    for chart in ws._charts:
        start, end = chart.anchor._from, chart.anchor.to
        assert end.row == start.row or (end.row == start.row + 1 and end.rowOff == 0), _title(chart)
        (page,) = [i for i, rows in enumerate(segments) if start.row + 1 in rows]
        planned[page].append(_title(chart))
    names = {f"{u} {campaign.unit_name(u)}" for u in result.report.scores.org_results["unit_code"]}
    assert names <= {t for titles in planned for t in titles}, "a radar chart for every unit"
    printed_pages = [[w for _, w in words] for sheet, words in pages if sheet == leadership.CHARTS_SHEET]
    assert len(printed_pages) == len(segments), "LibreOffice printed the charts on the planned pages"
    for titles, words in zip(planned, printed_pages):
        for t in titles:
            assert all(part in words for part in t.split()), (t, words[:12])


def test_header_rows_repeat_only_over_tables_and_member_detail_is_folded(printed, campaign):
    result, report, _ = printed
    wb = load_workbook(report)
    two_tables = {campaign.workbooks["unit"].sheet("nominations").name, "活动与信息", leadership.CHARTS_SHEET,
                  "说明"}
    for ws in wb.worksheets:
        assert bool(ws.print_title_rows) == (ws.title not in two_tables), ws.title
        assert ws.page_setup.paperSize == 9, ws.title
        # tables print one page wide; the charts at a fixed scale, so that their manual page breaks hold
        assert bool(ws.sheet_properties.pageSetUpPr.fitToPage) == (ws.title != leadership.CHARTS_SHEET), ws.title
    members = wb[campaign.workbooks["unit"].sheet("member_ballots").name]
    hidden = [r for r, d in members.row_dimensions.items() if d.hidden and d.outlineLevel == 1]
    units = result.report.scores.member_results["unit_code"]
    assert len(hidden) == len(units), "every member row folded under its unit"
    summaries = [members.cell(r, 1).value for r in range(4, members.max_row + 1)
                 if not members.row_dimensions[r].hidden]
    assert summaries == sorted(set(units)), "one visible line per unit"
