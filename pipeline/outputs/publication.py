"""公示名单.xlsx (SPEC §8): names, units and grades only; nothing about ballots, opinions or who voted
how. Which grades are listed, the 公示期 and the contact lines come from the campaign's [publication];
a second sheet lists the nominees that passed the commendation checks, for the 表彰 公示."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from pipeline.campaign import Campaign
from pipeline.labels import cn_date
from pipeline.outputs import xlsx
from pipeline.outputs.leadership.style import colour_column, field_labels, fixed_time, grade_fills
from pipeline.outputs.sheetkit import Col, print_setup, table, title
from pipeline.rules import commendation
from pipeline.rules.round_results import RoundReport

TOP = 5  # the header row of each list: title, 公示期, contact lines above it


def publication_name(campaign: Campaign) -> str:
    return f"{campaign.outputs['publication']}.xlsx"


def _head(ws, campaign: Campaign, report: RoundReport, heading: str, width: int) -> None:
    pub = campaign.publication
    start, end = pub.period(report.as_of)
    title(ws, 1, heading, width)
    title(ws, 2, f"公示期：{cn_date(start)}至{cn_date(end)}（{pub.days} 天）。", width, size=11)
    contact = "，".join(x for x in (f"联系人：{pub.contact}" if pub.contact else "",
                                     f"监督电话：{pub.phone}" if pub.phone else "") if x)
    title(ws, 3, f"公示期间如有意见，请向{campaign.organiser}反映。" + (f"{contact}。" if contact else ""), width, size=11)


def _members(wb, campaign: Campaign, report: RoundReport) -> None:
    label_of = field_labels(campaign)
    rnd = campaign.round(report.round)
    ws = wb.active
    ws.title = "党员评定等次"
    _head(ws, campaign, report, f"{campaign.name}{rnd.name}党员评议结果（在一定范围内公布）", 3)
    roster = report.roster.sort_values(["unit_code", "row_no"])
    decided = report.scores.member_results.set_index(["unit_code", "member_id"])["decided_grade"]
    listed = set(campaign.publication.grades)
    rows = [[campaign.unit_name(r.unit_code, r.unit_code), r.name, decided.get((r.unit_code, r.member_id))]
            for r in roster.itertuples(index=False)]
    rows = [r for r in rows if r[2] in listed]
    first, last = table(ws, TOP, [Col("单位"), Col(label_of["name"]), Col(label_of["decided_grade"])], rows)
    colour_column(ws, 3, first, last, grade_fills(campaign))
    print_setup(ws, landscape=False)


def _units(wb, campaign: Campaign, report: RoundReport) -> None:
    rnd = campaign.round(report.round)
    ws = wb.create_sheet("组织评议等次")
    _head(ws, campaign, report, f"{campaign.name}{rnd.name}基层党组织评议结果（在一定范围内公布）", 2)
    org = report.scores.org_results
    first, last = table(ws, TOP, [Col("单位"), Col("组织等次")],
                        [[campaign.unit_name(u, u), g] for u, g in zip(org["unit_code"], org["grade"])])
    colour_column(ws, 2, first, last, grade_fills(campaign))
    print_setup(ws, landscape=False)


def _nominees(wb, campaign: Campaign, report: RoundReport) -> None:
    """拟表彰对象: the nominations that passed every check, for the 公示 before the commendation date."""
    label_of = field_labels(campaign)
    rnd = campaign.round(report.round)
    ws = wb.create_sheet("拟表彰对象")
    _head(ws, campaign, report, f"{campaign.name}拟表彰对象（拟于 {cn_date(rnd.commendation_date)} 表彰）", 3)
    passed = report.nominations[report.nominations["verdict"] == commendation.OK]
    rows = [[campaign.unit_name(r["unit_code"], r["unit_code"]), r["nomination_kind"], r["name"]]
            for r in passed.to_dict("records")]
    table(ws, TOP, [Col("单位"), Col(label_of["nomination_kind"]), Col("姓名/名称")], rows)
    print_setup(ws, landscape=False)


def write(campaign: Campaign, report: RoundReport, path: Path) -> Path:
    """Names, units and grades only: nothing about ballots, opinions or who voted how."""
    wb = Workbook()
    _members(wb, campaign, report)
    _units(wb, campaign, report)
    _nominees(wb, campaign, report)
    return xlsx.save(wb, path, fixed_time(report.as_of), campaign.organiser)
