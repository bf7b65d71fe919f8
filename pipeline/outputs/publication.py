"""公示名单.xlsx (SPEC §8): names, units and grades only; nothing about ballots, opinions or who voted how."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from pipeline.campaign import Campaign
from pipeline.outputs import xlsx
from pipeline.outputs.leadership.style import colour_column, field_labels, fixed_time, grade_fills
from pipeline.outputs.sheetkit import Col, print_setup, table, title
from pipeline.rules.round_results import RoundReport


def publication_name(campaign: Campaign) -> str:
    return f"{campaign.outputs['publication']}.xlsx"


def write(campaign: Campaign, report: RoundReport, path: Path) -> Path:
    """Names, units and grades only: nothing about ballots, opinions or who voted how."""
    label_of = field_labels(campaign)
    rnd = campaign.round(report.round)
    wb = Workbook()
    ws = wb.active
    ws.title = "党员评定等次"
    fills = grade_fills(campaign)
    title(ws, 1, f"{campaign.name}{rnd.name}党员评议结果（在一定范围内公布）", 3)
    roster = report.roster.sort_values(["unit_code", "row_no"])
    decided = report.scores.member_results.set_index(["unit_code", "member_id"])["decided_grade"]
    rows = [[campaign.unit_name(r.unit_code, r.unit_code), r.name, decided.get((r.unit_code, r.member_id))]
            for r in roster.itertuples(index=False)]
    first, last = table(ws, 3, [Col("单位"), Col(label_of["name"]), Col(label_of["decided_grade"])], rows)
    colour_column(ws, 3, first, last, fills)
    print_setup(ws, landscape=False)
    ws2 = wb.create_sheet("组织评议等次")
    title(ws2, 1, f"{campaign.name}{rnd.name}基层党组织评议结果（在一定范围内公布）", 2)
    org = report.scores.org_results
    first, last = table(ws2, 3, [Col("单位"), Col("组织等次")],
                        [[campaign.unit_name(u, u), g] for u, g in zip(org["unit_code"], org["grade"])])
    colour_column(ws2, 2, first, last, fills)
    print_setup(ws2, landscape=False)
    return xlsx.save(wb, path, fixed_time(report.as_of), campaign.organiser)
