"""公示名单.xlsx (SPEC §8): names, units and grades only; nothing about ballots, opinions or who voted
how. Which grades are listed, the 公示期 and the contact lines come from the campaign's [publication];
a second sheet lists the nominees that passed the commendation checks, for the 表彰 公示."""

from __future__ import annotations

from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.frames import records
from pipeline.labels import cn_date
from pipeline.outputs.leadership.style import by_value, field_labels, fixed_time, grade_fills
from pipeline.outputs.sheetkit import Book, Col
from pipeline.rules import commendation

TOP = 4  # the header row of each list (0-based): title, 公示期, contact lines and a blank row above it


def publication_name(campaign: Campaign) -> str:
    return f"{campaign.outputs['publication']}.xlsx"


def _head(book: Book, name: str, campaign: Campaign, report, heading: str, width: int):
    ws = book.sheet(name, landscape=False)
    pub = campaign.publication
    start, end = pub.period(report.as_of)
    ws.title(heading, width)
    ws.title(f"公示期：{cn_date(start)}至{cn_date(end)}（{pub.days} 天）。", width, size=11)
    contact = "，".join(x for x in (f"联系人：{pub.contact}" if pub.contact else "",
                                     f"监督电话：{pub.phone}" if pub.phone else "") if x)
    ws.title(f"公示期间如有意见，请向{campaign.organiser}反映。" + (f"{contact}。" if contact else ""), width, size=11)
    ws.skip(TOP - ws.row)
    return ws


def _members(book: Book, campaign: Campaign, report) -> None:
    label_of = field_labels(campaign)
    rnd = campaign.round(report.round)
    ws = _head(book, "党员评定等次", campaign, report, f"{campaign.name}{rnd.name}党员评议结果（在一定范围内公布）", 3)
    roster = report.roster.sort_values(["unit_code", "row_no"])
    decided = report.scores.member_results.set_index(["unit_code", "member_id"])["decided_grade"].to_dict()
    listed = set(campaign.publication.grades)
    rows = [[campaign.unit_name(u, u), name, decided.get((u, m))]
            for u, m, name in zip(roster["unit_code"], roster["member_id"], roster["name"])]
    rows = [r for r in rows if r[2] in listed]
    ws.table([Col("单位"), Col(label_of["name"]), Col(label_of["decided_grade"])], rows,
             fill=by_value({2: grade_fills(campaign)}))


def _units(book: Book, campaign: Campaign, report) -> None:
    rnd = campaign.round(report.round)
    ws = _head(book, "组织评议等次", campaign, report, f"{campaign.name}{rnd.name}基层党组织评议结果（在一定范围内公布）", 2)
    org = report.scores.org_results
    ws.table([Col("单位"), Col("组织等次")], [[campaign.unit_name(u, u), g] for u, g in zip(org["unit_code"], org["grade"])],
             fill=by_value({1: grade_fills(campaign)}))


def _nominees(book: Book, campaign: Campaign, report) -> None:
    """拟表彰对象: the nominations that passed every check, for the 公示 before the commendation date."""
    label_of = field_labels(campaign)
    rnd = campaign.round(report.round)
    ws = _head(book, "拟表彰对象", campaign, report,
               f"{campaign.name}拟表彰对象（拟于 {cn_date(rnd.commendation_date)} 表彰）", 3)
    passed = report.nominations[report.nominations["verdict"] == commendation.OK]
    rows = [[campaign.unit_name(r["unit_code"], r["unit_code"]), r["nomination_kind"], r["name"]]
            for r in records(passed)]
    ws.table([Col("单位"), Col(label_of["nomination_kind"]), Col("姓名/名称")], rows)


def write(campaign: Campaign, report, path: Path) -> Path:
    """Names, units and grades only: nothing about ballots, opinions or who voted how."""
    book = Book(path, fixed_time(report.as_of), campaign.organiser)
    try:
        _members(book, campaign, report)
        _units(book, campaign, report)
        _nominees(book, campaign, report)
    except BaseException:
        book.discard()
        raise
    return book.close()
