"""情况通报.docx (SPEC §8): a draft the 党办 edits and issues, laid out as an official document (A4, GB/T
9704 margins and sizes, 仿宋 body, 黑体 headings; Word and WPS substitute a font a PC lacks). Its figures come
from briefing_facts, computed from the tables the round writes to data/*.csv."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.labels import SUBMITTED
from pipeline.outputs.leaders.briefing_facts import Facts, facts, percent
from pipeline.outputs.kits.docxkit import CENTER, HEADING, TITLE, TITLE_SIZE, day_text, document, para, save, signature, table

NUMERALS = "一二三四五六七八九十"


def _names(names: list[str]) -> str:
    return "、".join(names) if names else "无"


def _sections(f: Facts, grade_label: str) -> list[tuple[str, list]]:
    """(heading, blocks) of the body, in order; a block is a paragraph's text or a table (header, rows)."""
    reported, rejected, missing = (f.states.get(SUBMITTED[k], []) for k in ("accepted", "rejected", "missing"))
    submitted = [f"本阶段应报单位 {f.expected} 个，已报并通过审核 {len(reported)} 个，退回修改 {len(rejected)} 个"
                 f"（{_names(rejected)}），未报 {len(missing)} 个（{_names(missing)}）；街道党工委组织点评"
                 f"{'已完成' if f.street_reported else '尚未报送'}。已报单位正式党员 {f.full_members} 名，参加评议 "
                 f"{f.reviewed_members} 名，参评率 {percent(f.reviewed_members, f.full_members)}。"]
    grades = [f"已报单位共评定党员 {f.members_graded} 名，各等次人数如下表。",
              ([grade_label, "人数", "占比"], [[g, str(n), percent(n, f.members_graded)] for g, n in f.member_grades])]
    org_text = "；".join(f"{g} {len(names)} 个（{_names(names)}）" for g, names in f.org_grades)
    grades.append(f"基层党组织评议等次：{org_text}。")
    if f.best:
        grades.append("综合得分较高的单位：" + "、".join(f"{n}（{c:.2f} 分）" for n, c in f.best) +
                      "；较低的单位：" + "、".join(f"{n}（{c:.2f} 分）" for n, c in f.weakest) + "。")
    rect = [f"各单位整改台账共登记整改事项 {f.items} 项，已销号 {f.closed} 项，销号率 {percent(f.closed, f.items)}。" +
            (f"逾期未销号的：{'、'.join(f'{n} {k} 项' for n, k in f.overdue)}。" if f.overdue else "没有逾期未销号的事项。")]
    if f.unaddressed:
        rect.append("应整改未整改：" + "、".join(f"{t} {n} 项" for t, n in f.unaddressed) + "。")
    noms = ["各单位推荐表彰对象审核情况：" + "；".join(f"{k}符合条件 {ok} 个、不符合 {no} 个" for k, ok, no in f.nominations) + "。"]
    acts = ["截止日期已过仍未开展的规定活动：" + ("；".join(f"{n}（{a}）" for n, a in f.missing_activities)
                                         if f.missing_activities else "无") + "。"]
    return [("报送情况", submitted), ("评议结果", grades), ("整改情况", rect), ("表彰推荐", noms), ("活动开展", acts)] + \
        ([("与上一阶段比较", f.changes)] if f.changes else []) + \
        [("存在的问题", f.problems or ["本阶段未发现需要通报的问题。"])]


def write(campaign: Campaign, report, path: Path, when: dt.datetime) -> Path:
    """The briefing; the previous round (`report.previous`, from the ledger) is compared when there is one."""
    f = facts(campaign, report)
    docs = campaign.documents
    doc = document(docs.issuer, campaign.outputs["briefing"], when)
    para(doc, f"{docs.number_prefix}〔{report.as_of.year}〕　号", align=CENTER, indent=False)
    para(doc)
    para(doc, f"关于{campaign.name}{f.round_name}评议情况的通报", font=TITLE, size=TITLE_SIZE, bold=True, align=CENTER,
         indent=False)
    para(doc)
    para(doc, f"{docs.recipients}：", indent=False)
    para(doc, f"{campaign.name}{f.round_name}的评议工作已按计划开展。根据截至 {day_text(report.as_of)} 各单位报送的"
              "评议材料和整改台账，现将有关情况通报如下。")
    grade_label = campaign.workbooks["unit"].sheet("decisions").column("decided_grade").label
    for i, (heading, blocks) in enumerate(_sections(f, grade_label)):
        para(doc, f"{NUMERALS[i]}、{heading}", font=HEADING).paragraph_format.keep_with_next = True
        for j, block in enumerate(blocks):
            if isinstance(block, str):  # a sentence leading into a table stays with it
                para(doc, block).paragraph_format.keep_with_next = j + 1 < len(blocks) and not isinstance(blocks[j + 1], str)
            else:
                table(doc, *block)
    para(doc, "请各单位对照本通报，抓紧补报材料、落实整改，按时完成本阶段各项工作。")
    signature(doc, docs.issuer, report.as_of)
    return save(doc, path)
