"""The list sheets: 整改台账, 应整改未整改, 先进推荐, 活动与信息, 抽查名单, 数据问题."""

from __future__ import annotations

from pipeline.campaign import Campaign
from pipeline.findings import ERROR, severity_of, title_of
from pipeline.frames import records
from pipeline.outputs.leadership.style import GREEN, NOTE, RED, YELLOW, by_value, field_labels
from pipeline.outputs.sheetkit import Col
from pipeline.rules import commendation

SEVERITY_FILLS = {"错误": RED, "警告": YELLOW}


def rectification_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
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
        severity.append(RED if any(severity_of(c) == ERROR for c in codes) else YELLOW if codes else None)
    ws.table(cols, rows, row_fills=severity)


def coverage_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    label_of = field_labels(campaign)
    ws = book.sheet("应整改未整改")
    ws.title("应整改未整改：低分项、低等次、点评问题、群众意见未进入整改台账，上一阶段事项遗漏", 5)
    ws.skip()
    cols = [Col(label_of["unit_code"]), Col(label_of["member_id"]),
            Col(label_of["criterion"]), Col("问题"), Col(NOTE, width=80, wrap=True)]
    rows = [[r["unit_code"], r["member_id"] or None, r["criterion"] or None, title_of(r["code"]), r["detail"]]
            for r in records(report.coverage)]
    ws.table(cols, rows)


def nomination_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    label_of = field_labels(campaign)
    ws = book.sheet(campaign.workbooks["unit"].sheet("nominations").name)
    rnd = campaign.round(report.round)
    cm = campaign.commendation
    rule = f"专项表彰：须至少一个阶段评定为{cm.member_grade}且各阶段不低于{cm.special_floor_grade}" \
        if rnd.commendation_kind == "special" else \
        (f"{cm.member_kind}须评定为{cm.member_grade}；{cm.org_kind}须组织等次为{cm.org_grade}且无逾期整改；"
         f"{cm.worker_kind}须为党务工作者且评定为{cm.member_grade}")
    ws.title(f"先进推荐审核（{rnd.name}，{rule}）", 6)
    ws.skip()
    cols = [Col(label_of["unit_code"]), Col(label_of["nomination_kind"]),
            Col(label_of["subject_id"]), Col("姓名/名称"), Col("审核结果"),
            Col("理由", width=50, wrap=True)]
    rows = [[r["unit_code"], r["nomination_kind"], r["subject_id"], r["name"], r["verdict"], r["reasons"] or None]
            for r in records(report.nominations)]
    ws.table(cols, rows, repeat=False,
             fill=lambda row, j: (GREEN if row[4] == commendation.OK else RED) if j == 4 and row[4] else None)
    ws.skip()
    ws.title("符合条件但未被推荐", 6, size=12)
    ecols = [Col(label_of["unit_code"]), Col(label_of["nomination_kind"]),
             Col(label_of["subject_id"]), Col("姓名/名称"), Col("依据", width=30)]
    erows = [[r["unit_code"], r["nomination_kind"], r["subject_id"], r["name"], r["basis"]]
             for r in records(report.eligible)]
    ws.table(ecols, erows, freeze=False, autofilter=False, repeat=False)
    ws.ws.freeze_panes(3, 0)


def activity_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    label_of = field_labels(campaign)
    ws = book.sheet("活动与信息")
    ws.title(f"活动开展与信息上报（基准日期 {report.as_of}）", 5)
    ws.skip()
    cols = [Col(label_of["unit_code"]), Col("单位名称"),
            Col("月份"), Col("开展活动（次）", "int", 14), Col("已上报信息（条）", "int", 16)]
    rows = [[r["unit_code"], campaign.unit_name(r["unit_code"]), r["month"], r["activities"], r["reported"]]
            for r in records(report.activity_reports)]
    ws.table(cols, rows, repeat=False)
    ws.skip()
    missing = report.missing_activities
    ws.title("截止日期已过仍未开展的必备活动" + ("" if len(missing) else "：无"), 5, size=12)
    if len(missing):
        mcols = [Col(label_of["unit_code"]), Col("单位名称"),
                 Col(label_of["activity_type"]), Col("应完成日期", "date", 12)]
        ws.table(mcols, [[r["unit_code"], campaign.unit_name(r["unit_code"]), r["activity_type"], r["due"]]
                         for r in records(missing)], freeze=False, autofilter=False, repeat=False)
    ws.ws.freeze_panes(3, 0)


def spot_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    label_of = field_labels(campaign)
    sv = campaign.supervision
    ws = book.sheet("抽查名单")
    ws.title(f"随机抽查名单（每类单位 {sv.spot_check_units_per_kind} 个，已销号事项 {sv.spot_check_closed_items} 项）。"
             f"名单由评议阶段 {report.round} 和基准日期 {report.as_of} 决定，重新运行得到同一名单。", 5, size=11)
    ws.skip()
    cols = [Col("抽查对象"), Col(label_of["unit_code"]),
            Col("单位名称"), Col("整改编号"), Col("抽查内容", width=50, wrap=True)]
    ws.table(cols, [[r["target"], r["unit_code"], r["unit_name"], r["item_id"] or None, r["detail"]]
                    for r in records(report.spot_checks)])


def findings_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    ws = book.sheet("数据问题")
    ws.title("数据问题：收到的文件中发现的全部问题（错误须退回修改，警告请核实，提示仅供了解）", 9, size=12)
    ws.skip()
    cols = [Col("文件", width=30, wrap=True), Col("工作表"), Col("单元格"), Col("列"), Col("填写内容", width=18, wrap=True),
            Col("代码"), Col("严重程度"), Col("问题"), Col(NOTE, width=60, wrap=True)]
    every = [x for f in files for x in f.findings] + list(report.findings)
    rows = [[x.file, x.sheet or None, x.cell or None, x.column or None, x.value or None, x.code, x.severity, x.title,
             x.message] for x in every]
    ws.table(cols, rows, fill=by_value({6: SEVERITY_FILLS}))
