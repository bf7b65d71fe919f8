"""What may be published 在一定范围内 (SPEC §8): names, units and grades only, nothing about ballots, opinions or
who voted how, each list in the scope the seed means. Each unit posts its own members' results on its own
board; the street posts the organisations' grades and the members whose grades campaign.toml names
street-wide (优秀 by default; never a low grade, checked at load); the 拟表彰对象 are posted by 表彰类别. No
notice singles out 预备党员: they are not listed, or listed without a grade ([publication] list_probationary).
Every notice says its 公示期 and whom to call first, then its lists, then the units whose results are pending,
then its 落款. The same notices go to the documents (notices.py) and to 公示名单.xlsx (below)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.frames import records
from pipeline.labels import SUBMITTED
from pipeline.outputs.kits.docxkit import day_text
from pipeline.outputs.kits.sheetkit import Book, Col
from pipeline.outputs.leaders.pack.style import field_labels, fixed_time
from pipeline.rules import commendation

PAIRS = 4  # a unit's members go side by side in this many (name, grade) pairs: 80 members on one page


def publication_name(campaign: Campaign) -> str:
    return f"{campaign.outputs['publication']}.xlsx"


def units_folder(campaign: Campaign) -> str:
    """The folder of the units' own notices, one document each."""
    return f"各单位{campaign.outputs['notice']}"


@dataclass
class Block:
    """A part of a notice: a heading, and either a table or lines of names ("unit: name、name")."""
    heading: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)
    run_in: bool = False  # the lines run on in one paragraph (a long list in the least room)


@dataclass
class Notice:
    """One 公示 as it is posted."""
    key: str  # the file's (or sheet's) name
    title: list[str]  # its lines, each short enough for one line
    start: dt.date
    end: dt.date
    intro: str
    blocks: list[Block]
    signer: str
    pending: str = ""

    def period(self) -> str:
        return f"公示期：{day_text(self.start)}至{day_text(self.end)}（{(self.end - self.start).days + 1} 天）。"


def contact_text(campaign: Campaign) -> str:
    pub = campaign.publication
    return f"公示期间如有意见，请向{pub.office}反映（联系人：{pub.contact}，电话：{pub.phone}）。"


def _pending(campaign: Campaign, report) -> str:
    subs = report.submissions
    parts = [f"{'、'.join(campaign.unit_name(u, u) for u in subs.loc[subs['state'] == SUBMITTED[key], 'unit_code'])}"
             f"（{SUBMITTED[key]}）" for key in ("rejected", "missing") if (subs["state"] == SUBMITTED[key]).any()]
    return f"以下单位的评议结果待定，报送审核通过后另行公示：{'；'.join(parts)}。" if parts else ""


def side_by_side(rows: list[list[str]], pairs: int) -> list[list[str]]:
    """Rows laid out in `pairs` columns of pairs (down each, then across), a page filled evenly."""
    height = math.ceil(len(rows) / pairs) if rows else 0
    width = len(rows[0]) if rows else 0
    return [sum((rows[k * height + i] if k * height + i < len(rows) else [""] * width for k in range(pairs)), [])
            for i in range(height)]


def _members(campaign: Campaign, report) -> dict[str, list[tuple[str, str]]]:
    """Unit -> (name, decided grade) of the members its own notice lists, in roster order: the grades the
    campaign publishes; 预备党员 left out, or listed without a grade."""
    pub, g = campaign.publication, campaign.grades["member"]
    decided = report.scores.member_results.set_index(["unit_code", "member_id"])["decided_grade"].to_dict()
    roster = report.roster.sort_values(["unit_code", "row_no"])
    out: dict[str, list] = {}
    for u, m, name, kind in zip(roster["unit_code"], roster["member_id"], roster["name"], roster["member_kind"]):
        grade = decided.get((u, m))
        if kind != campaign.roles.full_member:
            if pub.list_probationary:
                out.setdefault(u, []).append((name, ""))
        elif grade in pub.grades and grade != g.probationary_grade:
            out.setdefault(u, []).append((name, grade))
    return out


def notices(campaign: Campaign, report) -> tuple[Notice, list[Notice], Notice]:
    """The street's notice, each reporting unit's own, and the 拟表彰对象's, in posting order."""
    rnd, pub = campaign.round(report.round), campaign.publication
    start, end = pub.period(report.publish_on or rnd.publish_results_on)
    label_of = field_labels(campaign)
    members = _members(campaign, report)
    org = report.scores.org_results
    orgs = [(f"{g}（{n} 个）", "、".join(campaign.unit_name(u, u) for u in org.loc[org["grade"] == g, "unit_code"]))
            for g in campaign.grades["org"].grades for n in [int((org["grade"] == g).sum())] if n]
    shown = {u: [name for name, grade in people if grade in pub.street_grades] for u, people in members.items()}
    named = [(f"{campaign.unit_name(u, u)}（{len(names)} 名）", "、".join(names)) for u, names in shown.items() if names]
    grades = "、".join(pub.street_grades)
    street = Notice(campaign.outputs["notice"], [campaign.name, f"{rnd.name}{campaign.outputs['notice']}"], start, end,
                    f"{rnd.name}评议结果经各单位评议、党组织研究确定。现将各基层党组织的评议等次和评定为{grades}的党员在全街道"
                    "范围内予以公示；各单位党员的评议结果，由各单位在本单位范围内公示。",
                    [Block("一、基层党组织评议等次", lines=orgs, run_in=True),
                     Block(f"二、评定为{grades}的党员（共 {sum(map(len, shown.values()))} 名）", lines=named, run_in=True)],
                    campaign.documents.issuer, _pending(campaign, report))
    units = [Notice(f"{u}_{campaign.unit_name(u, u)}", [f"{campaign.unit_name(u, u)}党员评议结果公示"], start, end,
                    f"根据{campaign.name}{rnd.name}的安排，本单位党员评议结果经民主评议、党组织研究确定，现在本单位"
                    "范围内予以公示。",
                    [Block("", [label_of["name"], label_of["decided_grade"]] * PAIRS,
                           side_by_side([[n, g] for n, g in members.get(u, [])], PAIRS))], campaign.unit_name(u, u))
             for u in sorted(report.files)]
    return street, units, _nominees(campaign, report)


def _nominees(campaign: Campaign, report) -> Notice:
    """拟表彰对象, by 表彰类别: the organisations named in a line, the people by unit."""
    rnd, cm = campaign.round(report.round), campaign.commendation
    passed = records(report.nominations[report.nominations["verdict"] == commendation.OK])
    blocks = []
    for i, kind in enumerate((cm.org_kind, cm.member_kind, cm.worker_kind)):
        mine = [r for r in passed if r["nomination_kind"] == kind]
        if kind == cm.org_kind:
            lines = [("", "、".join(r["name"] for r in mine))] if mine else []
        else:
            units = dict.fromkeys(r["unit_code"] for r in mine)
            lines = [(campaign.unit_name(u, u), "、".join(r["name"] for r in mine if r["unit_code"] == u)) for u in units]
        blocks.append(Block(f"{'一二三'[i]}、{kind}（{len(mine)} {'个' if kind == cm.org_kind else '名'}）",
                            lines=lines or [("", "无")]))
    start, end = campaign.publication.nominee_period(rnd)
    return Notice(campaign.outputs["nominee_notice"], [campaign.name, campaign.outputs["nominee_notice"]], start, end,
                  f"经各单位推荐、街道党工委审核，拟于 {day_text(rnd.commendation_date)} 表彰以下对象，现予公示。",
                  blocks, campaign.documents.issuer)


# ------------------------------------------------------------------ 公示名单.xlsx: the same notices, one sheet each kind

def _block_rows(ws, n: Notice, span: int, contact: str) -> None:
    ws.title("".join(n.title), span, size=16, align="center")
    for text in (n.intro, n.period(), contact):
        ws.title(text, span, size=11, bold=False)
    for b in n.blocks:
        if b.heading:
            ws.title(b.heading, span, size=12)
        if b.header:
            ws.table([Col(h, width=ws.width_of(j)) for j, h in enumerate(b.header)], b.rows, autofilter=False,
                     plain=True, freeze=False, repeat=False)
        for label, names in b.lines:
            ws.title(f"{label}：{names}" if label else names, span, size=11, bold=False)
    if n.pending:
        ws.title(n.pending, span, size=11, bold=False)
    ws.skip()
    ws.title(n.signer, span, size=11, bold=False, align="right")
    ws.title(day_text(n.start), span, size=11, bold=False, align="right")


def write(campaign: Campaign, report, path: Path) -> Path:
    """公示名单.xlsx: the street's notice, every unit's own (a page each) and the 拟表彰对象's; no colour."""
    street, units, nominees = notices(campaign, report)
    book = Book(path, fixed_time(report.as_of), campaign.organiser)
    try:
        for name, group, widths in (("街道公示", [street], [42, 42]), ("各单位公示", units, [12, 10] * PAIRS),
                                    ("拟表彰对象", [nominees], [42, 42])):
            ws = book.sheet(name, landscape=False)
            for j, w in enumerate(widths):
                ws.width(j, w)
            for k, n in enumerate(group):
                if k:
                    ws.page_break()
                _block_rows(ws, n, len(widths), contact_text(campaign))
    except BaseException:
        book.discard()
        raise
    return book.close()
