"""明细表.xlsx (SPEC §8), for looking things up rather than printing: every member one by one, every
ledger item with its flags, every 应整改未整改 line, every nomination, every finding, every input file
with its hash; each sheet filterable with its header frozen."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.campaign import Campaign
from pipeline.findings import ERROR, severity_of, title_of
from pipeline.frames import records, values
from pipeline.labels import FINDINGS_SHEET, OTHER_ROUND, STATUSES, kind_label
from pipeline.outputs.leaders.pack.style import ALERT, NOTE, WARNING, by_value, field_labels, fixed_time, grade_fills
from pipeline.outputs.kits.sheetkit import Book, Col
from pipeline.rules import commendation

SEVERITY_FILLS = {"错误": ALERT, "警告": WARNING}


def detail_name(campaign: Campaign) -> str:
    return f"{campaign.outputs['detail']}.xlsx"


def members_sheet(book, campaign: Campaign, report, files: list) -> None:
    ws = book.sheet(campaign.workbooks["unit"].sheet("member_ballots").name)
    label_of = field_labels(campaign)
    s = report.scores
    forms = [f.name for f in campaign.forms["member"]]
    ro, mf = report.roster, s.member_forms
    people = dict(zip(zip(values(ro, "unit_code"), values(ro, "member_id")), zip(values(ro, "name"), values(ro, "member_kind"))))
    fscores = dict(zip(zip(values(mf, "unit_code"), values(mf, "member_id"), values(mf, "form")), values(mf, "score")))
    veto = campaign.grades["member"].veto
    ws.title(f"党员评议：每名党员的各评议方式得分、综合得分与等次（基准日期 {report.as_of}）", 10, size=12)
    ws.skip()
    cols = ([Col(label_of["unit_code"]), Col("单位名称"),
             Col(label_of["member_id"]), Col(label_of["name"]), Col(label_of["member_kind"])] +
            [Col(f, "score", 9) for f in forms] +
            [Col(f"{veto.form}满意率" if veto else "满意率", "rate", 12), Col("综合得分", "score2", 10),
             Col("建议等次"), Col(label_of["decided_grade"]),
             Col("单位内排名", "int", 11), Col(NOTE, width=36, wrap=True)])
    mr = s.member_results
    fields = ["unit_code", "member_id", "veto_rate", "composite", "suggested_grade", "decided_grade", "rank_in_unit",
              "grade_note"]
    rows = []
    for u, m, veto_rate, composite, suggested, decided, rank, note in \
            zip(*(values(mr, f) if f in mr else [None] * len(mr) for f in fields)):
        name, kind = people.get((u, m), (None, None))
        rows.append([u, campaign.unit_name(u), m, name, kind] + [fscores.get((u, m, f)) for f in forms] +
                    [veto_rate, composite, suggested, decided, None if pd.isna(rank) else int(rank), note or None])
    fills = grade_fills(campaign)
    ws.table(cols, rows, fill=by_value({7 + len(forms): fills, 8 + len(forms): fills}))


def rectifications_sheet(book, campaign: Campaign, report, files: list) -> None:
    label_of = field_labels(campaign)
    sheet = campaign.workbooks["unit"].sheet("rectifications")
    ws = book.sheet(sheet.name)
    ws.title(f"整改台账：全部整改事项及问题标记（基准日期 {report.as_of}；红色为逾期或销号不实，黄色为即将到期或三定不全）", 10)
    ws.skip()
    wide = {"problem", "measure", "outcome"}
    cols = [Col(label_of["unit_code"])] + [Col(c.label, "date" if c.type == "date" else "text", 30 if c.key in wide else None,
                                   wrap=c.key in wide) for c in sheet.columns] + [Col("问题标记", width=24, wrap=True)]
    rows, severity = [], []
    for r in records(report.rectifications):
        codes = r["flags"]
        rows.append([r["unit_code"]] + [r.get(c.key) for c in sheet.columns] +
                    ["、".join(title_of(c) for c in codes) or None])
        severity.append(ALERT if any(severity_of(c) == ERROR for c in codes) else WARNING if codes else None)
    ws.table(cols, rows, row_fills=severity)


def coverage_sheet(book, campaign: Campaign, report, files: list) -> None:
    label_of = field_labels(campaign)
    ws = book.sheet("应整改未整改")
    ws.title("应整改未整改：逐条列出", 6)
    ws.skip()
    cols = [Col(label_of["unit_code"]), Col("单位名称"), Col(label_of["member_id"]),
            Col(label_of["criterion"]), Col("问题"), Col(NOTE, width=80, wrap=True)]
    rows = [[r["unit_code"], campaign.unit_name(r["unit_code"]), r["member_id"] or None, r["criterion"] or None,
             title_of(r["code"]), r["detail"]] for r in records(report.coverage)]
    ws.table(cols, rows)


def nominations_sheet(book, campaign: Campaign, report, files: list) -> None:
    label_of = field_labels(campaign)
    ws = book.sheet(campaign.workbooks["unit"].sheet("nominations").name)
    ws.title("先进推荐：每条推荐的审核结果；符合条件但未被推荐的对象", 8)
    ws.skip()
    cols = [Col(label_of["unit_code"]), Col("单位名称"), Col(label_of["nomination_kind"]), Col(label_of["subject_id"]),
            Col("姓名/名称"), Col("审核结果"), Col("理由或依据", width=50, wrap=True)]
    rows = [[r["unit_code"], campaign.unit_name(r["unit_code"]), r["nomination_kind"], r["subject_id"], r["name"],
             r["verdict"], r["reasons"] or None] for r in records(report.nominations)]
    rows += [[r["unit_code"], campaign.unit_name(r["unit_code"]), r["nomination_kind"], r["subject_id"], r["name"],
              "符合条件，未被推荐", r["basis"]] for r in records(report.eligible)]
    ws.table(cols, rows, fill=by_value({5: {commendation.NOT_OK: ALERT}}))


def findings_sheet(book, campaign: Campaign, report, files: list) -> None:
    ws = book.sheet(FINDINGS_SHEET)
    ws.title("数据问题：收到的文件中发现的全部问题（错误须退回修改，警告请核实，提示仅供了解）", 9, size=12)
    ws.skip()
    cols = [Col("文件", width=30, wrap=True), Col("工作表"), Col("单元格"), Col("列"), Col("填写内容", width=18, wrap=True),
            Col("代码"), Col("严重程度"), Col("问题"), Col(NOTE, width=60, wrap=True)]
    every = [x for f in files for x in f.findings] + list(report.findings)
    rows = [[x.file, x.sheet or None, x.cell or None, x.column or None, x.value or None, x.code, x.severity, x.title,
             x.message] for x in every]
    ws.table(cols, rows, fill=by_value({6: SEVERITY_FILLS}))


def files_sheet(book, campaign: Campaign, report, files: list) -> None:
    ws = book.sheet("收到的文件")
    ws.title("本次处理的全部文件（SHA-256 为文件内容的指纹，可核对收到的文件未被改动）", 6, size=12)
    ws.skip()
    cols = [Col("文件名", width=36, wrap=True), Col("SHA-256", width=66), Col("大小（字节）", "int", 12), Col("类型"),
            Col("单位"), Col("受理状态")]
    ws.table(cols, [[f.name, f.received.sha256, f.received.size, kind_label(campaign, f.stored.kind),
                     f.stored.unit_code or None,
                     (f"{OTHER_ROUND}（{f.stored.round}）：" if f.other_round else "") + STATUSES[f.stored.status]]
                    for f in files])


BUILDERS = [members_sheet, rectifications_sheet, coverage_sheet, nominations_sheet, findings_sheet, files_sheet]


def write_detail(campaign: Campaign, report, files: list, path: Path) -> Path:
    book = Book(path, fixed_time(report.as_of), campaign.organiser)
    try:
        for build in BUILDERS:
            build(book, campaign, report, files)
    except BaseException:
        book.discard()
        raise
    return book.close()
