"""汇总报告.xlsx for leadership and 公示名单.xlsx for publication (SPEC §8), from the round report."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, RadarChart, Reference
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from pipeline import scoring
from pipeline.campaign import Campaign
from pipeline.findings import ERROR, FLAG_CODES, severity_of, title_of
from pipeline.labels import STATUSES, SUBMITTED, kind_label
from pipeline.outputs import xlsx
from pipeline.outputs.sheetkit import Col, fill_cells, print_setup, table, title
from pipeline.rules import flags as flag_rules
from pipeline.rules.round_results import RoundReport

REPORT_NAME = "汇总报告.xlsx"
PUBLICATION_NAME = "公示名单.xlsx"
SHEETS = ["总览", "组织评议", "党员评议", "整改台账", "应整改未整改", "先进推荐", "活动与信息", "抽查名单", "数据问题", "说明"]
GRADE_FILLS = ["C6EFCE", "E2EFDA", "FFEB9C", "FFC7CE"]
GREY = "EDEDED"
RED, YELLOW = PatternFill("solid", fgColor="FFC7CE"), PatternFill("solid", fgColor="FFEB9C")


def _grade_fills(campaign: Campaign) -> dict[str, PatternFill]:
    out = {}
    for group in ("org", "member"):
        for grade, colour in zip(campaign.grades[group].grades, GRADE_FILLS):
            out[grade] = PatternFill("solid", fgColor=colour)
    prob = campaign.grades["member"].probationary_grade
    if prob:
        out[prob] = PatternFill("solid", fgColor=GREY)
    return out


def _colour_column(ws, col: int, first: int, last: int, fills: dict[str, PatternFill]) -> None:
    by_value: dict[str, list] = {}
    for r in range(first, last + 1):
        cell = ws.cell(r, col)
        if cell.value in fills:
            by_value.setdefault(cell.value, []).append(cell)
    for value, cells in by_value.items():
        fill_cells(ws, cells, fills[value])


def _heat(ws, ref: str, lo: float, hi: float) -> None:
    ws.conditional_formatting.add(ref, ColorScaleRule(
        start_type="num", start_value=lo, start_color="F8696B", mid_type="num", mid_value=(lo + hi) / 2,
        mid_color="FFEB84", end_type="num", end_value=hi, end_color="63BE7B"))


RADAR_W, RADAR_H = 10.0, 8.0  # cm
_EMU_PER_CM = 360000


def place(ws, chart, row: int, x_cm: float, y_cm: float) -> None:
    """Anchor a chart at an exact offset (cm) from the top-left of `row`, whatever the column widths."""
    marker = AnchorMarker(col=0, colOff=int(x_cm * _EMU_PER_CM), row=row, rowOff=int(y_cm * _EMU_PER_CM))
    chart.anchor = OneCellAnchor(_from=marker, ext=XDRPositiveSize2D(int(chart.width * _EMU_PER_CM),
                                                                      int(chart.height * _EMU_PER_CM)))
    ws.add_chart(chart)


def _stacked_bars(ws, name: str, unit: str, col0: int, n_series: int, header_row: int, last_row: int,
                  width: float) -> BarChart:
    """A stacked column chart of a table: categories in column `col0`, one series per column after it."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    chart.title = name
    chart.y_axis.title = unit
    chart.y_axis.scaling.min = 0
    chart.add_data(Reference(ws, min_col=col0 + 1, max_col=col0 + n_series, min_row=header_row, max_row=last_row),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=col0, min_row=header_row + 1, max_row=last_row))
    chart.width, chart.height = width, 9
    return chart


def _unit_names(campaign: Campaign) -> dict[str, str]:
    return {u.code: u.name for u in campaign.units}


def _flag_counts(report: RoundReport) -> pd.DataFrame:
    """Unit x flag code counts (R_ per item, C_ per coverage row)."""
    counts = Counter((f.unit_code, f.code) for f in report.flags)
    return pd.Series(counts, dtype=int).rename_axis(["unit_code", "code"]).unstack(fill_value=0) if counts else \
        pd.DataFrame()


# ------------------------------------------------------------------ 总览

def _overview(ws, campaign: Campaign, report: RoundReport, files: list) -> None:
    rnd = campaign.round(report.round)
    names = _unit_names(campaign)
    sub = report.submissions.set_index("unit_code")
    org = report.scores.org_results.set_index("unit_code")
    members = report.scores.member_results
    counts = _flag_counts(report)
    problems = Counter()
    for f in files:
        if f.stored.unit_code:
            problems[f.stored.unit_code] += len(f.errors) + len(f.warnings)
    states = Counter(sub["status"])
    street = SUBMITTED["accepted" if report.street_file else "missing"]
    items = report.rectifications
    flagged = Counter(f.code for f in report.flags).__getitem__
    title(ws, 1, f"{campaign.name}  {rnd.name}（{rnd.code}）评议汇总报告", 12)
    title(ws, 2, f"基准日期 {report.as_of:%Y年%m月%d日}。应报单位 {len(campaign.units)} 个：" +
                 "，".join(f"{label} {states[k]}" for k, label in SUBMITTED.items()) +
                 f"；{kind_label(campaign, 'street')}{street}。整改事项 {len(items)} 项，"
                 f"逾期未销号 {flagged('R_OVERDUE')} 项，销号不实 {flagged('R_FALSE_CLOSE')} 项；"
                 f"应整改未整改 {len(report.coverage)} 条。", 12, size=11)
    cols = [Col("单位编码"), Col("单位名称"), Col("类别"), Col("报送情况"), Col("填报日期", "date", 12), Col("逾期"),
            Col("参评率", "rate", 9), Col("综合得分", "score2", 10), Col("组织等次"), Col("排名", "int", 7),
            Col("党员数", "int", 8), Col("评定优秀", "int", 9), Col("整改事项", "int", 9), Col("逾期未销号", "int", 11),
            Col("销号不实", "int", 9), Col("应整改未整改", "int", 12), Col("数据问题", "int", 9)]
    rows = []
    for u in campaign.units:
        s = sub.loc[u.code]
        o = org.loc[u.code] if u.code in org.index else None
        mine = members[members["unit_code"] == u.code]
        unit_items = items[items["unit_code"] == u.code]
        c = counts.loc[u.code] if u.code in counts.index else {}
        head = [u.code, names[u.code], u.kind, s["state"], s["filled_on"] or None, s["overdue"] or None]
        if o is None:  # not in this round's results: no figure rather than a misleading zero
            rows.append(head + [None] * 10 + [problems[u.code] or None])
            continue
        rows.append(head + [o["participation_rate"], o["composite"], o["grade"],
                            None if pd.isna(o["rank"]) else int(o["rank"]), len(mine),
                            int((mine["decided_grade"] == campaign.commendation["member_grade"]).sum()),
                            len(unit_items), int(c.get("R_OVERDUE", 0)), int(c.get("R_FALSE_CLOSE", 0)),
                            int(sum(v for k, v in dict(c).items() if k.startswith("C_"))), problems[u.code]])
    first, last = table(ws, 4, cols, rows)
    _colour_column(ws, 9, first, last, _grade_fills(campaign))
    for r in range(first, last + 1):
        if ws.cell(r, 4).value != SUBMITTED["accepted"]:
            ws.cell(r, 4).fill = RED if ws.cell(r, 4).value == SUBMITTED["missing"] else YELLOW
    _heat(ws, f"H{first}:H{last}", campaign.scales["rating"].lowest, campaign.scales["rating"].highest)
    # Flags by unit: a table, and the chart drawn from it.
    codes = [c for c in FLAG_CODES if c in counts.columns]
    top = last + 3
    title(ws, top - 1, "各单位问题标记（项）", 8, size=12)
    fcols = [Col("单位编码")] + [Col(title_of(c), "int", 10) for c in codes]
    frows = [[u.code] + [int(counts.loc[u.code, c]) if u.code in counts.index else 0 for c in codes]
             for u in campaign.units if u.code in report.files]
    _, flast = table(ws, top, fcols, frows, freeze=False, autofilter=False)
    if codes:
        ws.add_chart(_stacked_bars(ws, "各单位问题标记", "项数", 1, len(codes), top, flast, 24), f"A{flast + 2}")
    ws.freeze_panes = "A5"
    ws.print_title_rows = "4:4"


# ------------------------------------------------------------------ 组织评议

def _org_sheet(ws, campaign: Campaign, report: RoundReport) -> None:
    rnd = campaign.round(report.round)
    s = report.scores
    names = _unit_names(campaign)
    crits = [c.name for c in campaign.criteria["org"]]
    title(ws, 1, f"组织评议：“五个好”得分（{rnd.name}，基准日期 {report.as_of}）", 8)
    cols = ([Col("单位编码"), Col("单位名称"), Col("评议方式"), Col("票数", "int", 7)] +
            [Col(c, "score", 11) for c in crits] +
            [Col("方式得分", "score", 10), Col("好评率/满意率", "rate", 13), Col("综合得分", "score2", 10),
             Col("等次"), Col("排名", "int", 7)])
    pooled = {}
    for form in campaign.forms["org"]:
        p = scoring.pooled_top2(s.org_stats, form.name)
        pooled.update({(u, form.name): v for u, v in zip(p["unit_code"], p["pooled_top2"])})
    res = s.org_results.set_index("unit_code")
    stats = s.org_stats.set_index(["unit_code", "form", "criterion"])
    forms = s.org_forms.set_index(["unit_code", "form"])
    rows = []
    for unit in res.index:
        for form in campaign.forms["org"]:
            if (unit, form.name) not in forms.index:
                continue
            n = int(forms.loc[(unit, form.name), "n_ballots"])
            means = [stats["mean_points"].get((unit, form.name, c)) for c in crits]
            r = res.loc[unit]
            rows.append([unit, names.get(unit, ""), form.name, n] + means +
                        [forms.loc[(unit, form.name), "score"], pooled.get((unit, form.name)), r["composite"],
                         r["grade"], None if pd.isna(r["rank"]) else int(r["rank"])])
    first, last = table(ws, 3, cols, rows)
    lo, hi = campaign.scales["rating"].lowest, campaign.scales["rating"].highest
    if rows:
        _heat(ws, f"E{first}:{get_column_letter(4 + len(crits) + 1)}{last}", lo, hi)
        _heat(ws, f"{get_column_letter(len(cols) - 2)}{first}:{get_column_letter(len(cols) - 2)}{last}", lo, hi)
    _colour_column(ws, len(cols) - 1, first, last, _grade_fills(campaign))
    # 五个好 per unit (criterion scores weighted over forms), and a radar chart per unit.
    per = flag_rules.criterion_scores(s.org_stats, campaign, "org") if len(s.org_stats) else pd.DataFrame()
    units = list(res.index)
    top = last + 3
    title(ws, top - 1, "各单位“五个好”得分（各评议方式按权重折算）", 8, size=12)
    bcols = [Col("标准", width=14)] + [Col(u, "score", 9) for u in units]
    lookup = per.set_index(["unit_code", "criterion"])["score"] if len(per) else {}
    brows = [[c] + [lookup.get((u, c)) for u in units] for c in crits]
    bfirst, blast = table(ws, top, bcols, brows, freeze=False, autofilter=False)
    for i, unit in enumerate(units):
        chart = RadarChart()
        chart.type = "marker"
        chart.title = f"{unit} {names.get(unit, '')}"
        chart.add_data(Reference(ws, min_col=2 + i, min_row=top, max_row=blast), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=bfirst, max_row=blast))
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = lo, hi
        chart.y_axis.majorUnit = (hi - lo) / 5
        chart.y_axis.delete = False
        chart.legend = None
        chart.width, chart.height = RADAR_W, RADAR_H
        place(ws, chart, blast + 1, (i % 4) * (RADAR_W + 0.5), (i // 4) * (RADAR_H + 0.5))
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"


# ------------------------------------------------------------------ 党员评议

def _member_sheet(ws, campaign: Campaign, report: RoundReport) -> None:
    s = report.scores
    names = _unit_names(campaign)
    forms = [f.name for f in campaign.forms["member"]]
    people = {(r.unit_code, r.member_id): r for r in report.roster.itertuples(index=False)}
    fscores = dict(zip(zip(s.member_forms["unit_code"], s.member_forms["member_id"], s.member_forms["form"]),
                       s.member_forms["score"]))
    veto = campaign.grades["member"].veto
    title(ws, 1, f"党员评议：“五带头”综合得分与等次（基准日期 {report.as_of}）", 10)
    cols = ([Col("单位编码"), Col("单位名称"), Col("党员编号"), Col("姓名"), Col("党员类别")] +
            [Col(f, "score", 9) for f in forms] +
            [Col(f"{veto.form}满意率" if veto else "满意率", "rate", 12), Col("综合得分", "score2", 10),
             Col("建议等次"), Col("评定等次"), Col("单位内排名", "int", 11), Col("说明", width=40, wrap=True)])
    rows = []
    for r in s.member_results.itertuples(index=False):
        key = (r.unit_code, r.member_id)
        person = people.get(key)
        rows.append([r.unit_code, names.get(r.unit_code, ""), r.member_id,
                     None if person is None else person.name, None if person is None else person.member_kind] +
                    [fscores.get((r.unit_code, r.member_id, f)) for f in forms] +
                    [getattr(r, "veto_rate", None), r.composite, r.suggested_grade, r.decided_grade,
                     None if pd.isna(r.rank_in_unit) else int(r.rank_in_unit), r.grade_note or None])
    first, last = table(ws, 3, cols, rows)
    lo, hi = campaign.scales["rating"].lowest, campaign.scales["rating"].highest
    if rows:
        _heat(ws, f"F{first}:{get_column_letter(5 + len(forms))}{last}", lo, hi)
        comp = get_column_letter(7 + len(forms))
        _heat(ws, f"{comp}{first}:{comp}{last}", lo, hi)
    fills = _grade_fills(campaign)
    _colour_column(ws, 8 + len(forms), first, last, fills)
    _colour_column(ws, 9 + len(forms), first, last, fills)
    # Grade distribution per unit, to the right of the table.
    grades = list(campaign.enums["@member_grades_decided"])
    c0 = len(cols) + 2
    units = sorted(set(s.member_results["unit_code"]))
    ws.cell(2, c0).value = "各单位评定等次分布（人）"
    ws.cell(2, c0).font = Font(bold=True, size=12)
    dist = s.member_results.groupby(["unit_code", "decided_grade"]).size()
    dcols = [Col("单位编码")] + [Col(g, "int", 8) for g in grades]
    drows = [[u] + [int(dist.get((u, g), 0)) for g in grades] for u in units]
    _, dlast = table(ws, 3, dcols, drows, col0=c0, freeze=False, autofilter=False)
    if units:
        ws.add_chart(_stacked_bars(ws, "各单位评定等次分布", "人数", c0, len(grades), 3, dlast, 18),
                     f"{get_column_letter(c0)}{dlast + 2}")
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"


# ------------------------------------------------------------------ 整改台账

def _rectification_sheet(ws, campaign: Campaign, report: RoundReport) -> None:
    sheet = campaign.workbooks["unit"].sheet("rectifications")
    title(ws, 1, f"整改台账：全部整改事项及问题标记（基准日期 {report.as_of}；红色为逾期或销号不实，黄色为即将到期或三定不全）", 10)
    wide = {"problem", "measure", "outcome"}
    cols = [Col("单位编码")] + [Col(c.label, "date" if c.type == "date" else "text", 30 if c.key in wide else None,
                                   wrap=c.key in wide) for c in sheet.columns] + [Col("问题标记", width=24, wrap=True)]
    rows = []
    severity = []
    for r in report.rectifications.to_dict("records"):
        codes = r["flags"]
        rows.append([r["unit_code"]] + [r.get(c.key) for c in sheet.columns] +
                    ["、".join(title_of(c) for c in codes) or None])
        severity.append(RED if any(severity_of(c) == ERROR for c in codes) else YELLOW if codes else None)
    first, last = table(ws, 3, cols, rows)
    for fill in (RED, YELLOW):
        fill_cells(ws, [ws.cell(first + i, j) for i, f in enumerate(severity) if f is fill
                        for j in range(1, len(cols) + 1)], fill)
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"


def _coverage_sheet(ws, campaign: Campaign, report: RoundReport) -> None:
    title(ws, 1, "应整改未整改：低分项、低等次、点评问题、群众意见未进入整改台账，上一阶段事项遗漏", 5)
    cols = [Col("单位编码"), Col("党员编号"), Col("对应标准"), Col("问题"), Col("说明", width=80, wrap=True)]
    rows = [[r["unit_code"], r["member_id"] or None, r["criterion"] or None, title_of(r["code"]), r["detail"]]
            for r in report.coverage.to_dict("records")]
    table(ws, 3, cols, rows)


# ------------------------------------------------------------------ other sheets

def _nomination_sheet(ws, campaign: Campaign, report: RoundReport) -> None:
    rnd = campaign.round(report.round)
    rule = "专项表彰：须至少一个阶段评定为优秀且各阶段不低于合格" if rnd.commendation_kind == "special" else \
        "优秀共产党员须评定为优秀；先进基层党组织须组织等次为好且无逾期整改；优秀党务工作者须为党务工作者且评定为优秀"
    title(ws, 1, f"先进推荐审核（{rnd.name}，{rule}）", 6)
    cols = [Col("单位编码"), Col("推荐类别"), Col("对象编号"), Col("姓名/名称"), Col("审核结果"),
            Col("理由", width=50, wrap=True)]
    rows = [[r["unit_code"], r["nomination_kind"], r["subject_id"], r["name"], r["verdict"], r["reasons"] or None]
            for r in report.nominations.to_dict("records")]
    first, last = table(ws, 3, cols, rows)
    for r in range(first, last + 1):
        v = ws.cell(r, 5).value
        if v:
            ws.cell(r, 5).fill = PatternFill("solid", fgColor="C6EFCE" if v == "符合" else "FFC7CE")
    top = last + 3
    title(ws, top - 1, "符合条件但未被推荐", 6, size=12)
    ecols = [Col("单位编码"), Col("推荐类别"), Col("对象编号"), Col("姓名/名称"), Col("依据", width=30)]
    erows = [[r["unit_code"], r["nomination_kind"], r["subject_id"], r["name"], r["basis"]]
             for r in report.eligible.to_dict("records")]
    table(ws, top, ecols, erows, freeze=False, autofilter=False)
    ws.freeze_panes = "A4"


def _activity_sheet(ws, campaign: Campaign, report: RoundReport) -> None:
    names = _unit_names(campaign)
    title(ws, 1, f"活动开展与信息上报（基准日期 {report.as_of}）", 5)
    cols = [Col("单位编码"), Col("单位名称"), Col("月份"), Col("开展活动（次）", "int", 14), Col("已上报信息（条）", "int", 16)]
    rows = [[r["unit_code"], names.get(r["unit_code"], ""), r["month"], r["activities"], r["reported"]]
            for r in report.activity_reports.to_dict("records")]
    first, last = table(ws, 3, cols, rows)
    top = last + 3
    missing = report.missing_activities
    title(ws, top - 1, "截止日期已过仍未开展的必备活动" + ("" if len(missing) else "：无"), 5, size=12)
    if len(missing):
        mcols = [Col("单位编码"), Col("单位名称"), Col("活动类型"), Col("应完成日期", "date", 12)]
        table(ws, top, mcols, [[r["unit_code"], names.get(r["unit_code"], ""), r["activity_type"], r["due"]]
                               for r in missing.to_dict("records")], freeze=False, autofilter=False)
    ws.freeze_panes = "A4"


def _spot_sheet(ws, campaign: Campaign, report: RoundReport) -> None:
    sv = campaign.supervision
    title(ws, 1, f"随机抽查名单（每类单位 {sv['spot_check_units_per_kind']} 个，已销号事项 {sv['spot_check_closed_items']} 项）。"
                 f"名单由评议阶段 {report.round} 和基准日期 {report.as_of} 决定，重新运行得到同一名单。", 5, size=11)
    cols = [Col("抽查对象"), Col("单位编码"), Col("单位名称"), Col("整改编号"), Col("抽查内容", width=50, wrap=True)]
    table(ws, 3, cols, [[r["target"], r["unit_code"], r["unit_name"], r["item_id"] or None, r["detail"]]
                        for r in report.spot_checks.to_dict("records")])


def _findings_sheet(ws, files: list, report: RoundReport) -> None:
    title(ws, 1, "数据问题：收到的文件中发现的全部问题（错误须退回修改，警告请核实，提示仅供了解）", 9, size=12)
    cols = [Col("文件", width=30, wrap=True), Col("工作表"), Col("单元格"), Col("列"), Col("填写内容", width=18, wrap=True),
            Col("代码"), Col("严重程度"), Col("问题"), Col("说明", width=60, wrap=True)]
    every = [x for f in files for x in f.findings] + list(report.findings)
    rows = [[x.file, x.sheet or None, x.cell or None, x.column or None, x.value or None, x.code, x.severity, x.title,
             x.message] for x in every]
    first, last = table(ws, 3, cols, rows)
    for r in range(first, last + 1):
        sev = ws.cell(r, 7).value
        if sev in ("错误", "警告"):
            ws.cell(r, 7).fill = RED if sev == "错误" else YELLOW


def _about_sheet(ws, campaign: Campaign, report: RoundReport, files: list) -> None:
    rnd = campaign.round(report.round)
    lines = [
        f"活动：{campaign.name}（{campaign.id}）；评议阶段：{rnd.name} {rnd.code}（{rnd.start} 至 {rnd.end}，报送截止 {rnd.submission_due}）。",
        f"基准日期：{report.as_of}（判断逾期、即将到期、未报的日期）。",
        "组织评议权重：" + "，".join(f"{f.name} {f.weight:g}" for f in campaign.forms["org"]) + "。",
        "党员评议权重：" + "，".join(f"{f.name} {f.weight:g}" for f in campaign.forms["member"]) + "。",
    ]
    for scale in {f.scale.key: f.scale for g in campaign.forms.values() for f in g}.values():
        lines.append(f"{scale.name}：" + "、".join(f"{o.label} {o.points:g} 分" if o.points is not None else
                                                 f"{o.label}（计票不计分）" for o in scale.options) + "。")
    mg, og = campaign.grades["member"], campaign.grades["org"]
    lines += [
        "计分：每项标准取计分票的平均分" + (f"（去掉最高、最低各 {campaign.trim} 票）" if campaign.trim else "") +
        "；评议方式得分为各项标准平均分的平均；综合得分为各评议方式得分按权重加权平均，缺少的评议方式按其余权重折算，"
        f"四舍五入保留 {campaign.decimals} 位小数。好评率/满意率 = 前两档票数 ÷ 计分票数。",
        "党员建议等次：" + "，".join(f"≥{b.min:g} {b.grade}" for b in mg.bands[:-1]) + f"，其余{mg.bands[-1].grade}" +
        (f"；{mg.veto.form}满意率低于 {mg.veto.min_rate:.0%} 的定为{mg.veto.grade}" if mg.veto else "") +
        (f"；{mg.cap.grade}不超过本单位正式党员的 1/{mg.cap.denominator}，超出的按得分改为{mg.cap.demote_to}" if mg.cap else "") +
        (f"；预备党员{mg.probationary_grade}。" if mg.probationary_grade else "。"),
        "组织等次：" + "，".join(f"≥{b.min:g} {b.grade}" for b in og.bands[:-1]) + f"，其余{og.bands[-1].grade}。排名并列同名次。",
        f"整改标记：逾期未销号（时限早于基准日期）、即将到期（{campaign.rectification['due_soon_days']} 天内）、"
        "销号不实（已销号但缺完成日期或整改成效，或群众不满意）、三定不全。"
        f"某项标准得分低于 {campaign.rectification['low_score_threshold']:g} 而无对应整改事项的，列为应整改未整改。",
    ]
    title(ws, 1, "说明", 6)
    for i, line in enumerate(lines, start=2):
        title(ws, i, line, 6, size=10)
        ws.cell(i, 1).font = Font(size=10)
    top = len(lines) + 4
    title(ws, top - 1, "本次处理的全部文件", 6, size=12)
    cols = [Col("文件名", width=36, wrap=True), Col("SHA-256", width=66), Col("大小（字节）", "int", 12), Col("类型"),
            Col("单位"), Col("受理状态")]
    table(ws, top, cols, [[f.name, f.received.sha256, f.received.size, kind_label(campaign, f.stored.kind), f.stored.unit_code or None,
                           STATUSES[f.stored.status]] for f in files], freeze=False, autofilter=False)
    for col, width in (("A", 36), ("B", 66)):
        ws.column_dimensions[col].width = width


def _fixed_time(as_of: dt.date) -> dt.datetime:
    return dt.datetime.combine(as_of, dt.time(18, 0))


def write_report(campaign: Campaign, report: RoundReport, files: list, path: Path) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    builders = [_overview, _org_sheet, _member_sheet, _rectification_sheet, _coverage_sheet, _nomination_sheet,
                _activity_sheet, _spot_sheet, _findings_sheet, _about_sheet]
    for name, build in zip(SHEETS, builders):
        ws = wb.create_sheet(name)
        if build in (_overview, _findings_sheet, _about_sheet):
            build(ws, campaign, report, files) if build is not _findings_sheet else build(ws, files, report)
        else:
            build(ws, campaign, report)
        print_setup(ws, landscape=name != "说明")
    return xlsx.save(wb, path, _fixed_time(report.as_of), campaign.organiser)


def write_publication(campaign: Campaign, report: RoundReport, path: Path) -> Path:
    """Names, units and grades only: nothing about ballots, opinions or who voted how."""
    rnd = campaign.round(report.round)
    names = _unit_names(campaign)
    wb = Workbook()
    ws = wb.active
    ws.title = "党员评定等次"
    fills = _grade_fills(campaign)
    title(ws, 1, f"{campaign.name}{rnd.name}党员评议结果（在一定范围内公布）", 3)
    roster = report.roster.sort_values(["unit_code", "row_no"])
    decided = report.scores.member_results.set_index(["unit_code", "member_id"])["decided_grade"]
    rows = [[names.get(r.unit_code, r.unit_code), r.name, decided.get((r.unit_code, r.member_id))]
            for r in roster.itertuples(index=False)]
    first, last = table(ws, 3, [Col("单位"), Col("姓名"), Col("评定等次")], rows)
    _colour_column(ws, 3, first, last, fills)
    print_setup(ws, landscape=False)
    ws2 = wb.create_sheet("组织评议等次")
    title(ws2, 1, f"{campaign.name}{rnd.name}基层党组织评议结果（在一定范围内公布）", 2)
    org = report.scores.org_results
    first, last = table(ws2, 3, [Col("单位"), Col("组织等次")],
                        [[names.get(u, u), g] for u, g in zip(org["unit_code"], org["grade"])])
    _colour_column(ws2, 2, first, last, fills)
    print_setup(ws2, landscape=False)
    return xlsx.save(wb, path, _fixed_time(report.as_of), campaign.organiser)
