"""汇总报告.xlsx for the leadership (SPEC §8): the sheet builders of this package, assembled here."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from pipeline.campaign import Campaign
from pipeline.outputs import xlsx
from pipeline.outputs.leadership.about import about_sheet
from pipeline.outputs.leadership.lists import (activity_sheet, coverage_sheet, findings_sheet, nomination_sheet,
                                               rectification_sheet, spot_sheet)
from pipeline.outputs.leadership.overview import overview
from pipeline.outputs.leadership.scores import member_sheet, org_sheet
from pipeline.outputs.leadership.style import NOTE, fixed_time
from pipeline.outputs.sheetkit import print_setup
from pipeline.rules.round_results import RoundReport


# Sheet -> its builder; a name given as a sheet key of the unit workbook is that sheet's name there.
SHEETS = [("总览", overview), ("org_ballots", org_sheet), ("member_ballots", member_sheet),
          ("rectifications", rectification_sheet), ("应整改未整改", coverage_sheet), ("nominations", nomination_sheet),
          ("活动与信息", activity_sheet), ("抽查名单", spot_sheet), ("数据问题", findings_sheet), (NOTE, about_sheet)]


def sheet_names(campaign: Campaign) -> list[str]:
    keys = {s.key: s.name for s in campaign.workbooks["unit"].sheets}
    return [keys.get(name, name) for name, _ in SHEETS]


def report_name(campaign: Campaign) -> str:
    return f"{campaign.outputs['report']}.xlsx"


def write_report(campaign: Campaign, report: RoundReport, files: list, path: Path) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, (_, build) in zip(sheet_names(campaign), SHEETS):
        ws = wb.create_sheet(name)
        build(ws, campaign, report, files)
        print_setup(ws, landscape=name != NOTE)
    return xlsx.save(wb, path, fixed_time(report.as_of), campaign.organiser)
