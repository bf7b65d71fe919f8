"""组织评议 and 党员评议: scores by form and criterion, composites, grades, ranks; radar and distribution charts."""

from __future__ import annotations

import pandas as pd
from openpyxl.chart import RadarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pipeline import scoring
from pipeline.campaign import Campaign
from pipeline.outputs.leadership.style import (NOTE, RADAR_H, RADAR_W, colour_column, field_labels, grade_fills, heat,
                                               place, stacked_bars)
from pipeline.outputs.sheetkit import Col, table, title
from pipeline.rules import flags as flag_rules
from pipeline.rules.round_results import RoundReport


def org_sheet(ws, campaign: Campaign, report: RoundReport, files: list) -> None:
    label_of = field_labels(campaign)
    rnd = campaign.round(report.round)
    s = report.scores
    crits = [c.name for c in campaign.criteria["org"]]
    title(ws, 1, f"组织评议：“{campaign.criteria_titles['org']}”得分（{rnd.name}，基准日期 {report.as_of}）", 8)
    cols = ([Col(label_of["unit_code"]), Col("单位名称"), Col(label_of["form"]), Col("票数", "int", 7)] +
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
            rows.append([unit, campaign.unit_name(unit), form.name, n] + means +
                        [forms.loc[(unit, form.name), "score"], pooled.get((unit, form.name)), r["composite"],
                         r["grade"], None if pd.isna(r["rank"]) else int(r["rank"])])
    first, last = table(ws, 3, cols, rows)
    lo, hi = campaign.scales["rating"].lowest, campaign.scales["rating"].highest
    if rows:
        heat(ws, f"E{first}:{get_column_letter(4 + len(crits) + 1)}{last}", lo, hi)
        heat(ws, f"{get_column_letter(len(cols) - 2)}{first}:{get_column_letter(len(cols) - 2)}{last}", lo, hi)
    colour_column(ws, len(cols) - 1, first, last, grade_fills(campaign))
    # 五个好 per unit (criterion scores weighted over forms), and a radar chart per unit.
    per = flag_rules.criterion_scores(s.org_stats, campaign, "org") if len(s.org_stats) else pd.DataFrame()
    units = list(res.index)
    top = last + 3
    title(ws, top - 1, f"各单位“{campaign.criteria_titles['org']}”得分（各评议方式按权重折算）", 8, size=12)
    bcols = [Col("标准", width=14)] + [Col(u, "score", 9) for u in units]
    lookup = per.set_index(["unit_code", "criterion"])["score"] if len(per) else {}
    brows = [[c] + [lookup.get((u, c)) for u in units] for c in crits]
    bfirst, blast = table(ws, top, bcols, brows, freeze=False, autofilter=False)
    for i, unit in enumerate(units):
        chart = RadarChart()
        chart.type = "marker"
        chart.title = f"{unit} {campaign.unit_name(unit)}"
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


def member_sheet(ws, campaign: Campaign, report: RoundReport, files: list) -> None:
    label_of = field_labels(campaign)
    s = report.scores
    forms = [f.name for f in campaign.forms["member"]]
    people = {(r.unit_code, r.member_id): r for r in report.roster.itertuples(index=False)}
    fscores = dict(zip(zip(s.member_forms["unit_code"], s.member_forms["member_id"], s.member_forms["form"]),
                       s.member_forms["score"]))
    veto = campaign.grades["member"].veto
    title(ws, 1, f"党员评议：“{campaign.criteria_titles['member']}”综合得分与等次（基准日期 {report.as_of}）", 10)
    cols = ([Col(label_of["unit_code"]), Col("单位名称"),
             Col(label_of["member_id"]), Col(label_of["name"]), Col(label_of["member_kind"])] +
            [Col(f, "score", 9) for f in forms] +
            [Col(f"{veto.form}满意率" if veto else "满意率", "rate", 12), Col("综合得分", "score2", 10),
             Col("建议等次"), Col(label_of["decided_grade"]),
                                       Col("单位内排名", "int", 11), Col(NOTE, width=40, wrap=True)])
    rows = []
    for r in s.member_results.itertuples(index=False):
        key = (r.unit_code, r.member_id)
        person = people.get(key)
        rows.append([r.unit_code, campaign.unit_name(r.unit_code), r.member_id,
                     None if person is None else person.name, None if person is None else person.member_kind] +
                    [fscores.get((r.unit_code, r.member_id, f)) for f in forms] +
                    [getattr(r, "veto_rate", None), r.composite, r.suggested_grade, r.decided_grade,
                     None if pd.isna(r.rank_in_unit) else int(r.rank_in_unit), r.grade_note or None])
    first, last = table(ws, 3, cols, rows)
    lo, hi = campaign.scales["rating"].lowest, campaign.scales["rating"].highest
    if rows:
        heat(ws, f"F{first}:{get_column_letter(5 + len(forms))}{last}", lo, hi)
        comp = get_column_letter(7 + len(forms))
        heat(ws, f"{comp}{first}:{comp}{last}", lo, hi)
    fills = grade_fills(campaign)
    colour_column(ws, 8 + len(forms), first, last, fills)
    colour_column(ws, 9 + len(forms), first, last, fills)
    # Grade distribution per unit, to the right of the table.
    grades = list(campaign.enums["@member_grades_decided"])
    c0 = len(cols) + 2
    units = sorted(set(s.member_results["unit_code"]))
    ws.cell(2, c0).value = "各单位评定等次分布（人）"
    ws.cell(2, c0).font = Font(bold=True, size=12)
    dist = s.member_results.groupby(["unit_code", "decided_grade"]).size()
    dcols = [Col(label_of["unit_code"])] + [Col(g, "int", 8) for g in grades]
    drows = [[u] + [int(dist.get((u, g), 0)) for g in grades] for u in units]
    _, dlast = table(ws, 3, dcols, drows, col0=c0, freeze=False, autofilter=False)
    if units:
        ws.add_chart(stacked_bars(ws, "各单位评定等次分布", "人数", c0, len(grades), 3, dlast, 18),
                     f"{get_column_letter(c0)}{dlast + 2}")
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
