"""汇总报告.xlsx for the leadership (SPEC §8): the sheet builders of this package, assembled here.

Each builder adds its sheet (or sheets) to the book and the charts it draws to `charts`; the charts
are laid out last, on the 图表 sheet, page by page."""

from __future__ import annotations

from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.outputs.leaders.pack.about import about_sheet
from pipeline.outputs.leaders.pack.detail import detail_name, write_detail  # noqa: F401 - 明细表, beside the report
from pipeline.outputs.leaders.pack.lists import RECTIFICATION_SHEET, coverage_sheet, nomination_sheet, rectification_sheet, spot_sheet
from pipeline.outputs.leaders.pack.overview import overview
from pipeline.outputs.leaders.pack.scores import criteria_sheet, criteria_sheet_name, org_sheet
from pipeline.outputs.leaders.pack.style import CHARTS_GRID, NOTE, ChartPage, fixed_time
from pipeline.outputs.kits.sheetkit import Book

CHARTS_SHEET = "图表"
BUILDERS = [overview, org_sheet, criteria_sheet, rectification_sheet, coverage_sheet, nomination_sheet, spot_sheet]


def sheet_names(campaign: Campaign) -> list[str]:
    unit = campaign.workbooks["unit"]
    return ["总览", unit.sheet("org_ballots").name, criteria_sheet_name(campaign), RECTIFICATION_SHEET, "应整改未整改",
            unit.sheet("nominations").name, "抽查名单", CHARTS_SHEET, NOTE]


def report_name(campaign: Campaign) -> str:
    return f"{campaign.outputs['report']}.xlsx"


def write_report(campaign: Campaign, report, files: list, path: Path) -> Path:
    book = Book(path, fixed_time(report.as_of), campaign.organiser)
    try:
        charts: list = []
        for build in BUILDERS:
            build(book, campaign, report, files, charts)
        page = ChartPage(book, CHARTS_SHEET, **CHARTS_GRID)
        for chart, width, height, own_page in charts:
            page.add(chart, width, height, new_page=own_page)
        about_sheet(book, campaign, report, files, charts)
    except BaseException:
        book.discard()
        raise
    return book.close()
