"""汇总报告.xlsx for the leadership (SPEC §8): one sheet builder per module, assembled here."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from pipeline.campaign import Campaign
from pipeline.outputs import xlsx
from pipeline.outputs.leadership.about import _about_sheet
from pipeline.outputs.leadership.lists import (_activity_sheet, _coverage_sheet, _findings_sheet, _nomination_sheet,
                                               _rectification_sheet, _spot_sheet)
from pipeline.outputs.leadership.overview import _overview
from pipeline.outputs.leadership.scores import _member_sheet, _org_sheet
from pipeline.outputs.leadership.style import fixed_time
from pipeline.outputs.sheetkit import print_setup
from pipeline.rules.round_results import RoundReport


SHEETS = ["总览", "组织评议", "党员评议", "整改台账", "应整改未整改", "先进推荐", "活动与信息", "抽查名单", "数据问题", "说明"]


def report_name(campaign: Campaign) -> str:
    return f"{campaign.outputs['report']}.xlsx"


def write_report(campaign: Campaign, report: RoundReport, files: list, path: Path) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    builders = [_overview, _org_sheet, _member_sheet, _rectification_sheet, _coverage_sheet, _nomination_sheet,
                _activity_sheet, _spot_sheet, _findings_sheet, _about_sheet]
    for name, build in zip(SHEETS, builders):
        ws = wb.create_sheet(name)
        if build in (_overview, _findings_sheet, _about_sheet):
            build(ws, campaign, report, files) if build is not _findings_sheet else build(ws, files, report)
        else:
            build(ws, campaign, report)
        print_setup(ws, landscape=name != "说明")
    return xlsx.save(wb, path, fixed_time(report.as_of), campaign.organiser)
