"""The 公示 as documents ready to post (SPEC §8), in the scope the seed means: the street's notice
(评议结果公示.docx: the organisations' grades and the members the campaign names street-wide), each unit's own
(各单位评议结果公示/<code>_<name>.docx: a page for its board) and the 拟表彰对象's (by 表彰类别). Each says its
公示期 and contact first, then its lists, the units whose results are pending, and its 落款. The same notices as
公示名单.xlsx (publication.notices)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline import fsio
from pipeline.campaign import Campaign
from pipeline.outputs.kits.docxkit import CENTER, HEADING, TITLE, TITLE_SIZE, document, para, runs, save, signature, table
from pipeline.outputs.leaders import publication
from pipeline.outputs.leaders.publication import Notice

# A notice is posted, not filed: 四号 text on 22-point lines, lists in 五号 (10.5 pt) on 14-point lines, so that a
# unit's 80 members fit its one page and a district's 优秀 the street's four.
SIZE, LINE, LIST_SIZE, LIST_LINE = 14, 22, 10.5, 13.5


def _write(campaign: Campaign, n: Notice, path: Path, when: dt.datetime) -> Path:
    doc = document(campaign.documents.issuer, "".join(n.title), when)
    for line in n.title:
        para(doc, line, font=TITLE, size=TITLE_SIZE, bold=True, align=CENTER, indent=False)
    for text in (n.intro, n.period(), publication.contact_text(campaign)):
        para(doc, text, size=SIZE, line=LINE)
    for b in n.blocks:
        if b.heading:
            para(doc, b.heading, font=HEADING, size=SIZE, line=LINE).paragraph_format.keep_with_next = True
        if b.header:
            table(doc, b.header, b.rows or [["（无）"] + [""] * (len(b.header) - 1)], size=LIST_SIZE, pad=1)
        if b.run_in:  # one paragraph, each group's name in bold: a long list in the least room
            parts = [part for label, names in b.lines for part in ((f"{label}：", True), (f"{names}；", False))]
            parts[-1:] = [(parts[-1][0][:-1] + "。", False)] if parts else [("无。", False)]
            runs(doc, parts, size=LIST_SIZE, line=LIST_LINE)
            continue
        for label, names in b.lines:
            runs(doc, ([(f"{label}：", True)] if label else []) + [(names, False)], size=LIST_SIZE, line=LIST_LINE)
    if n.pending:
        para(doc, n.pending, size=SIZE, line=LINE)
    signature(doc, n.signer, n.start, size=SIZE, line=LINE)
    return save(doc, path)


def write(campaign: Campaign, report, folder: Path, when: dt.datetime) -> list[Path]:
    """The street's notice, the 拟表彰对象's, and the folder of the units' own notices."""
    street, units, nominees = publication.notices(campaign, report)
    own = folder / publication.units_folder(campaign)
    own.mkdir(parents=True, exist_ok=True)
    for n in units:
        _write(campaign, n, own / f"{fsio.safe_name(n.key)}.docx", when)
    return [_write(campaign, street, folder / f"{street.key}.docx", when),
            _write(campaign, nominees, folder / f"{nominees.key}.docx", when), own]
