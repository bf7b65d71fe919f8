"""组织评议 and 党员评议: scores by form and criterion, composites, grades, ranks; the criteria per unit
(with a radar chart each) and the grade distribution per unit on sheets of their own."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from pipeline import scoring
from pipeline.campaign import Campaign
from pipeline.frames import values
from pipeline.outputs.leadership.style import (FULL_PAGE, NOTE, RADAR, by_value, field_labels, grade_fills,
                                               heat, radar, stacked_bars)
from pipeline.outputs.sheetkit import Col
from pipeline.rules import flags as flag_rules

DISTRIBUTION_SHEET = "等次分布"


def org_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    ws = book.sheet(campaign.workbooks["unit"].sheet("org_ballots").name)
    label_of = field_labels(campaign)
    rnd = campaign.round(report.round)
    s = report.scores
    crits = [c.name for c in campaign.criteria["org"]]
    ws.title(f"组织评议：“{campaign.criteria_titles['org']}”得分（{rnd.name}，基准日期 {report.as_of}）", 8)
    ws.skip()
    cols = ([Col(label_of["unit_code"]), Col("单位名称"), Col(label_of["form"]), Col("票数", "int", 7)] +
            [Col(c, "score", 11) for c in crits] +
            [Col("方式得分", "score", 10), Col("好评率/满意率", "rate", 13), Col("综合得分", "score2", 10),
             Col("等次"), Col("排名", "int", 7)])
    pooled = {}
    for form in campaign.forms["org"]:
        p = scoring.pooled_top2(s.org_stats, form.name)
        pooled.update({(u, form.name): v for u, v in zip(p["unit_code"], p["pooled_top2"])})
    res = s.org_results.set_index("unit_code")
    stats = s.org_stats.set_index(["unit_code", "form", "criterion"])["mean_points"].to_dict()
    forms = s.org_forms.set_index(["unit_code", "form"])[["n_ballots", "score"]].to_dict("index")
    rows = []
    for unit in res.index:
        r = res.loc[unit]
        for form in campaign.forms["org"]:
            f = forms.get((unit, form.name))
            if f is None:
                continue
            rows.append([unit, campaign.unit_name(unit), form.name, int(f["n_ballots"])] +
                        [stats.get((unit, form.name, c)) for c in crits] +
                        [f["score"], pooled.get((unit, form.name)), r["composite"],
                         r["grade"], None if pd.isna(r["rank"]) else int(r["rank"])])
    first, last = ws.table(cols, rows, fill=by_value({len(cols) - 2: grade_fills(campaign)}))
    lo, hi = campaign.scales["rating"].lowest, campaign.scales["rating"].highest
    if rows:
        heat(ws, first, 4, last, 4 + len(crits), lo, hi)
        heat(ws, first, len(cols) - 3, last, len(cols) - 3, lo, hi)
    _criteria_sheet(book, campaign, report, list(res.index), crits, charts)


def _criteria_sheet(book, campaign: Campaign, report, units: list[str], crits: list[str], charts: list) -> None:
    """五个好 per unit (criterion scores weighted over forms), one row a unit, and a radar chart each."""
    label_of = field_labels(campaign)
    title = campaign.criteria_titles["org"]
    ws = book.sheet(f"{title}得分")
    ws.title(f"各单位“{title}”得分（各评议方式按权重折算）", 8, size=12)
    ws.skip()
    s = report.scores
    per = flag_rules.criterion_scores(s.org_stats, campaign, "org") if len(s.org_stats) else pd.DataFrame()
    lookup = per.set_index(["unit_code", "criterion"])["score"].to_dict() if len(per) else {}
    cols = [Col(label_of["unit_code"]), Col("单位名称")] + [Col(c, "score", 11) for c in crits]
    rows = [[u, campaign.unit_name(u)] + [lookup.get((u, c)) for c in crits] for u in units]
    first, last = ws.table(cols, rows, autofilter=False)
    lo, hi = campaign.scales["rating"].lowest, campaign.scales["rating"].highest
    if rows:
        heat(ws, first, 2, last, 1 + len(crits), lo, hi)
    for i, unit in enumerate(units):
        chart = radar(book, ws, f"{unit} {campaign.unit_name(unit)}", first + i, 2, 1 + len(crits), first - 1, lo, hi)
        charts.append((chart, *RADAR))


def member_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    """Every member, grouped by unit under a summary line: the groups are folded, so the sheet prints
    one line per unit; unfold a unit (the + on the left) to see and print its members."""
    ws = book.sheet(campaign.workbooks["unit"].sheet("member_ballots").name)
    label_of = field_labels(campaign)
    s = report.scores
    forms = [f.name for f in campaign.forms["member"]]
    ro, mf = report.roster, s.member_forms
    people = dict(zip(zip(values(ro, "unit_code"), values(ro, "member_id")), zip(values(ro, "name"), values(ro, "member_kind"))))
    fscores = dict(zip(zip(values(mf, "unit_code"), values(mf, "member_id"), values(mf, "form")), values(mf, "score")))
    veto = campaign.grades["member"].veto
    ws.title(f"党员评议：“{campaign.criteria_titles['member']}”综合得分与等次（基准日期 {report.as_of}）。"
             "每个单位一行小计；点击左侧“+”展开该单位的党员明细，展开后打印即打印该单位。", 10, size=12)
    ws.skip()
    cols = ([Col(label_of["unit_code"]), Col("单位名称"),
             Col(label_of["member_id"]), Col(label_of["name"]), Col(label_of["member_kind"])] +
            [Col(f, "score", 9) for f in forms] +
            [Col(f"{veto.form}满意率" if veto else "满意率", "rate", 12), Col("综合得分", "score2", 10),
             Col("建议等次"), Col(label_of["decided_grade"]),
             Col("单位内排名", "int", 11), Col(NOTE, width=36, wrap=True)])
    grades = list(campaign.enums["@member_grades_decided"])
    mr = s.member_results
    fields = ["unit_code", "member_id", "veto_rate", "composite", "suggested_grade", "decided_grade", "rank_in_unit",
              "grade_note"]
    units: dict[str, list[tuple]] = {}
    for r in zip(*(values(mr, f) if f in mr else [None] * len(mr) for f in fields)):
        units.setdefault(r[0], []).append(r)
    rows, levels = [], []
    for unit in sorted(units):
        part = units[unit]
        tally = Counter(r[5] for r in part)
        rows.append([unit, campaign.unit_name(unit), f"共 {len(part)} 名"] + [None] * (len(cols) - 4) +
                    ["，".join(f"{g} {tally[g]}" for g in grades if tally[g])])
        levels.append(0)
        for u, m, veto_rate, composite, suggested, decided, rank, note in part:
            name, kind = people.get((u, m), (None, None))
            rows.append([u, campaign.unit_name(u), m, name, kind] + [fscores.get((u, m, f)) for f in forms] +
                        [veto_rate, composite, suggested, decided, None if pd.isna(rank) else int(rank), note or None])
            levels.append(1)
    fills = grade_fills(campaign)
    first, last = ws.table(cols, rows, levels=levels, bold=[lv == 0 for lv in levels],
                           fill=by_value({7 + len(forms): fills, 8 + len(forms): fills}))
    ws.ws.outline_settings(True, False, True, False)  # the + sits on the summary line above each unit
    lo, hi = campaign.scales["rating"].lowest, campaign.scales["rating"].highest
    if rows:
        heat(ws, first, 5, last, 4 + len(forms), lo, hi)
        heat(ws, first, 6 + len(forms), last, 6 + len(forms), lo, hi)
    _distribution_sheet(book, campaign, report, grades, charts)


def _distribution_sheet(book, campaign: Campaign, report, grades: list[str], charts: list) -> None:
    label_of = field_labels(campaign)
    s = report.scores
    ws = book.sheet(DISTRIBUTION_SHEET)
    ws.title("各单位评定等次分布（人）", 8, size=12)
    ws.skip()
    units = sorted(set(s.member_results["unit_code"]))
    dist = s.member_results.groupby(["unit_code", "decided_grade"]).size()
    dcols = [Col(label_of["unit_code"])] + [Col(g, "int", 8) for g in grades]
    drows = [[u] + [int(dist.get((u, g), 0)) for g in grades] for u in units]
    first, last = ws.table(dcols, drows, autofilter=False)
    if units:
        charts.append((stacked_bars(book, ws, "各单位评定等次分布", "人数", 0, len(grades), first - 1, last), *FULL_PAGE))
