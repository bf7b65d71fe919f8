"""The two 公示 notices as documents ready to post (SPEC §8): 评议结果公示.docx (members' and organisations'
grades) and 拟表彰对象公示.docx (the nominations that passed), each with its own 公示期, the contact lines,
the units whose results are pending, and the 落款. The same lists as 公示名单.xlsx (publication.notices)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.outputs.leaders import publication
from pipeline.outputs.kits.docxkit import CENTER, TITLE, TITLE_SIZE, document, para, save, signature, table


def _write(campaign: Campaign, report, parts: list, title: str, path: Path, when: dt.datetime) -> Path:
    doc = document(campaign.documents.issuer, title, when)
    first = parts[0]
    para(doc, first.title if len(parts) == 1 else title, font=TITLE, size=TITLE_SIZE, bold=True, align=CENTER,
         indent=False)
    para(doc)
    para(doc, publication.intro_text(campaign, report, first))
    for n in parts:
        if len(parts) > 1:
            para(doc, f"{n.title.removeprefix(campaign.name)}：", indent=False).paragraph_format.keep_with_next = True
        table(doc, n.header, [[str(v) for v in r] for r in n.rows] or [["（无）"] + [""] * (len(n.header) - 1)])
    if first.pending:
        para(doc, first.pending)
    para(doc, publication.period_text(first, (first.end - first.start).days + 1))
    para(doc, publication.contact_text(campaign))
    signature(doc, campaign.documents.issuer, first.start)
    return save(doc, path)


def write(campaign: Campaign, report, folder: Path, when: dt.datetime) -> list[Path]:
    members, orgs, nominees = publication.notices(campaign, report)
    rnd = campaign.round(report.round)
    return [
        _write(campaign, report, [members, orgs], f"{campaign.name}{rnd.name}{campaign.outputs['notice']}",
               folder / f"{campaign.outputs['notice']}.docx", when),
        _write(campaign, report, [nominees], nominees.title, folder / f"{campaign.outputs['nominee_notice']}.docx", when),
    ]
