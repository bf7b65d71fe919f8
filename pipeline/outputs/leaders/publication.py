"""公示名单.xlsx (SPEC §8): names, units and grades only; nothing about ballots, opinions or who voted
how. Which grades are listed, how long each 公示 runs and the contact lines come from the campaign's
[publication]; the results' 公示 starts on the round's publish_results_on (or `--publish-on`), the
拟表彰对象's on publish_nominees_on, ending before the commendation date. Laid out to post: the list
across an A4 page, no colour, units whose results are pending named, 落款 and date at the foot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.frames import records
from pipeline.labels import SUBMITTED
from pipeline.outputs.kits.docxkit import day_text
from pipeline.outputs.leaders.pack.style import field_labels, fixed_time
from pipeline.outputs.kits.sheetkit import Book, Col
from pipeline.rules import commendation


def publication_name(campaign: Campaign) -> str:
    return f"{campaign.outputs['publication']}.xlsx"


@dataclass
class Notice:
    """One 公示 as it is posted: its title, period, the list, and who is not on it yet."""
    sheet: str
    title: str
    start: dt.date
    end: dt.date
    header: list[str]
    rows: list[list[str]]
    widths: list[int]  # characters, filling a portrait A4 page
    pending: str = ""


def _pending(campaign: Campaign, report) -> str:
    subs = report.submissions
    parts = [f"{'、'.join(campaign.unit_name(u, u) for u in subs.loc[subs['state'] == SUBMITTED[key], 'unit_code'])}"
             f"（{SUBMITTED[key]}）" for key in ("rejected", "missing") if (subs["state"] == SUBMITTED[key]).any()]
    return f"以下单位的评议结果待定，报送审核通过后另行公示：{'；'.join(parts)}。" if parts else ""


def notices(campaign: Campaign, report) -> list[Notice]:
    """The results' 公示 (members, organisations) and the 拟表彰对象 公示, in posting order."""
    label_of = field_labels(campaign)
    rnd = campaign.round(report.round)
    pub = campaign.publication
    start, end = pub.period(report.publish_on or rnd.publish_results_on)
    roster = report.roster.sort_values(["unit_code", "row_no"])
    decided = report.scores.member_results.set_index(["unit_code", "member_id"])["decided_grade"].to_dict()
    members = [[campaign.unit_name(u, u), name, decided.get((u, m))]
               for u, m, name in zip(roster["unit_code"], roster["member_id"], roster["name"])]
    members = [r for r in members if r[2] in set(pub.grades)]
    org = report.scores.org_results
    passed = report.nominations[report.nominations["verdict"] == commendation.OK]
    n_start, n_end = pub.nominee_period(rnd)
    pending = _pending(campaign, report)
    return [
        Notice("党员评定等次", f"{campaign.name}{rnd.name}党员评议结果公示", start, end,
               ["单位", label_of["name"], label_of["decided_grade"]], members, [44, 30, 30], pending),
        Notice("组织评议等次", f"{campaign.name}{rnd.name}基层党组织评议结果公示", start, end,
               ["单位", "组织等次"], [[campaign.unit_name(u, u), g] for u, g in zip(org["unit_code"], org["grade"])],
               [64, 40], pending),
        Notice("拟表彰对象", f"{campaign.name}{campaign.outputs['nominee_notice']}", n_start, n_end,
               ["单位", label_of["nomination_kind"], "姓名/名称"],
               [[campaign.unit_name(r["unit_code"], r["unit_code"]), r["nomination_kind"], r["name"]]
                for r in records(passed)], [40, 30, 34]),
    ]


def period_text(n: Notice, days: int) -> str:
    return f"公示期：{day_text(n.start)}至{day_text(n.end)}（{days} 天）。"


def contact_text(campaign: Campaign) -> str:
    pub = campaign.publication
    contact = "，".join(x for x in (f"联系人：{pub.contact}" if pub.contact else "",
                                     f"监督电话：{pub.phone}" if pub.phone else "") if x)
    return f"公示期间如有意见，请向{campaign.organiser}反映。" + (f"{contact}。" if contact else "")


def intro_text(campaign: Campaign, report, n: Notice) -> str:
    rnd = campaign.round(report.round)
    if n.sheet == "拟表彰对象":
        return f"经各单位推荐、审核，拟于 {day_text(rnd.commendation_date)} 表彰以下对象，现予公示。"
    return f"{rnd.name}评议结果经各单位评议、党组织研究确定，现在一定范围内予以公示。"


def write(campaign: Campaign, report, path: Path) -> Path:
    """Names, units and grades only: nothing about ballots, opinions or who voted how."""
    book = Book(path, fixed_time(report.as_of), campaign.organiser)
    try:
        for n in notices(campaign, report):
            days = (n.end - n.start).days + 1
            ws = book.sheet(n.sheet, landscape=False)
            span = len(n.header)
            for j, w in enumerate(n.widths):
                ws.width(j, w)
            ws.title(n.title, span, size=16, align="center")
            for text in (intro_text(campaign, report, n), period_text(n, days), contact_text(campaign)):
                ws.title(text, span, size=11, bold=False)
            ws.skip()
            ws.table([Col(h, width=w) for h, w in zip(n.header, n.widths)], n.rows, autofilter=False, plain=True)
            if n.pending:
                ws.title(n.pending, span, size=11, bold=False)
            ws.skip()
            ws.title(campaign.documents.issuer, span, size=11, bold=False, align="right")
            ws.title(day_text(n.start), span, size=11, bold=False, align="right")
    except BaseException:
        book.discard()
        raise
    return book.close()
