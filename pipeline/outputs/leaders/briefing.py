"""情况通报.docx (SPEC §8): a draft the 党办 edits and issues, laid out as an official document (A4, GB/T
9704 margins and sizes, 仿宋 body, 黑体 headings; Word and WPS substitute a font a PC lacks). Its figures come
from briefing_facts, computed from the tables the round writes to data/*.csv."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.labels import SUBMITTED
from pipeline.outputs.leaders.briefing_facts import Facts, facts, named, percent, problems
from pipeline.outputs.kits.docxkit import (CENTER, HEADING, TITLE, TITLE_SIZE, day_text, document, para, record, save,
                                          signature, table)

NUMERALS = "一二三四五六七八九十"


def _submitted(f: Facts) -> list:
    reported, rejected, missing = (f.states.get(SUBMITTED[k], []) for k in ("accepted", "rejected", "missing"))
    text = f"本阶段应报单位 {f.expected} 个，已报并通过审核 {len(reported)} 个"
    for label, names in ((SUBMITTED["rejected"], rejected), (SUBMITTED["missing"], missing)):
        text += f"，{label} {len(names)} 个（{named(names)}）" if names else f"，没有{label}的单位"
    return [text + f"；街道党工委组织点评{'已完成' if f.street_reported else '尚未报送'}。"]


def _results(f: Facts, grade_label: str, full_label: str) -> list:
    out = [f"已报单位{full_label} {f.full_members} 名，参加评议 {f.reviewed_members} 名，参评率 "
           f"{percent(f.reviewed_members, f.full_members)}" +
           (f"；另有预备党员 {f.probationary} 名参加评议，按规定不评定等次（不定等次）" if f.probationary else "") + "。"
           f"参加评议的{full_label}评定等次如下表（占比以参加评议的{full_label} {f.reviewed_members} 名为基数）。",
           ([grade_label, "人数", "占比"],
            [[g, str(n), percent(n, f.reviewed_members)] for g, n in f.member_grades] +
            ([["未按等次评定", str(f.not_graded), percent(f.not_graded, f.reviewed_members)]] if f.not_graded else []))]
    org = "，".join(f"{g} {len(names)} 个" + (f"（{named(names)}）" if i else "")
                   for i, (g, names) in enumerate(f.org_grades) if names)
    out.append(f"基层党组织评议等次：{org}。")
    if f.best:
        out.append("综合得分较高的单位：" + "、".join(f"{n}（{c:.2f} 分）" for n, c in f.best) +
                   "；较低的单位：" + "、".join(f"{n}（{c:.2f} 分）" for n, c in f.weakest) + "。")
    return out


def _rectification(f: Facts) -> list:
    text = f"各单位整改台账共登记整改事项 {f.items} 项，已销号 {f.closed} 项，销号率 {percent(f.closed, f.items)}。"
    if f.overdue:
        most = [f"{n}（{k} 项）" for n, k in f.overdue]
        text += f"逾期未销号 {sum(k for _, k in f.overdue)} 项，涉及 {len(f.overdue)} 个单位：{named(most)}。"
    else:
        text += "没有逾期未销号的事项。"
    return [text]


def _nominations(f: Facts, org_kind: str) -> list:
    count = lambda k: "个" if k == org_kind else "名"  # noqa: E731 - organisations 个, people 名
    return ["各单位推荐表彰对象审核情况：" + "；".join(f"{k}推荐 {n} {count(k)}，符合条件 {ok} {count(k)}"
                                           for k, n, ok in f.nominations) + "。不符合条件的推荐及其原因见明细表。"]


def _activities(f: Facts) -> list:
    if not f.missing_activities:
        return ["各单位均已按期开展规定的活动。"]
    shown = [f"{n}（{a}）" for n, a in f.missing_activities]
    return [f"截止日期已过仍未开展规定活动的单位 {len(shown)} 个：{named(shown)}。"]


def _sections(campaign: Campaign, f: Facts, previous: str | None) -> list[tuple[str, list]]:
    """(heading, blocks) of the body, in order; a block is a paragraph's text or a table (header, rows)."""
    grade_label = campaign.workbooks["unit"].sheet("decisions").column("decided_grade").label
    return [("报送情况", _submitted(f)), ("评议结果", _results(f, grade_label, campaign.roles.full_member)),
            ("整改情况", _rectification(f)), ("表彰推荐", _nominations(f, campaign.commendation.org_kind)),
            ("活动开展", _activities(f))] + \
        ([(f"与{previous}比较", f.changes)] if f.changes else []) + \
        [("存在的问题", [f"{'（' + NUMERALS[i] + '）' if len(problems(f)) > 1 else ''}{p}"
                     for i, p in enumerate(problems(f))] or ["本阶段未发现需要通报的问题。"])]


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
    previous = campaign.round(report.previous.round).name if report.previous is not None else None
    for i, (heading, blocks) in enumerate(_sections(campaign, f, previous)):
        para(doc, f"{NUMERALS[i]}、{heading}", font=HEADING).paragraph_format.keep_with_next = True
        for j, block in enumerate(blocks):
            if isinstance(block, str):  # a sentence leading into a table stays with it
                para(doc, block).paragraph_format.keep_with_next = j + 1 < len(blocks) and not isinstance(blocks[j + 1], str)
            else:
                table(doc, *block)
    para(doc, "请各单位对照本通报，抓紧补报材料、落实整改，按时完成本阶段各项工作。")
    signature(doc, docs.issuer, report.as_of)
    record(doc, docs.copies_to, docs.printer, report.as_of)
    return save(doc, path)
