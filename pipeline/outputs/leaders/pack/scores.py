"""组织评议: one line per unit in rank order (each form's score, the criteria weighted over the forms,
composite, grade, rank), coloured by the grade bands; 五个好得分: a radar chart per unit; the ranking and
the members' grade distribution charted on 图表."""

from __future__ import annotations

import pandas as pd

from pipeline.campaign import Campaign
from pipeline.outputs.leaders.pack.style import (HALF_PAGE, RADAR, RADAR_GRID, ChartPage, band_colours, bars, by_value,
                                               field_labels, grade_fills, grade_legend, legend, radar)
from pipeline.outputs.kits.sheetkit import Col
from pipeline.rules import flags as flag_rules

def radar_sheet_name(campaign: Campaign) -> str:
    return f"{campaign.criteria_titles['org']}得分"


def org_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    ws = book.sheet(campaign.workbooks["unit"].sheet("org_ballots").name)
    label_of = field_labels(campaign)
    rnd = campaign.round(report.round)
    s = report.scores
    crits = [c.name for c in campaign.criteria["org"]]
    forms = [f.name for f in campaign.forms["org"]]
    ws.title(f"组织评议：各评议方式得分、“{campaign.criteria_titles['org']}”各项得分（各评议方式按权重折算）、"
             f"综合得分与等次，按排名排列（{rnd.name}）", 12, size=12)
    cols = ([Col(label_of["unit_code"]), Col("单位名称")] + [Col(f, "score", 9) for f in forms] +
            [Col(c, "score", 11) for c in crits] +
            [Col("综合得分", "score2", 9), Col("等次"), Col("排名", "int", 6)])
    per = flag_rules.criterion_scores(s.org_stats, campaign, "org") if len(s.org_stats) else pd.DataFrame()
    crit_score = per.set_index(["unit_code", "criterion"])["score"].to_dict() if len(per) else {}
    form_score = s.org_forms.set_index(["unit_code", "form"])["score"].to_dict() if len(s.org_forms) else {}
    res = s.org_results.sort_values(["rank", "unit_code"], na_position="last")
    rows = [[u, campaign.unit_name(u)] + [form_score.get((u, f)) for f in forms] +
            [crit_score.get((u, c)) for c in crits] +
            [composite, grade, None if pd.isna(rank) else int(rank)]
            for u, composite, grade, rank in zip(res["unit_code"], res["composite"], res["grade"], res["rank"])]
    ws.plan(cols, rows)
    legend(ws, grade_legend(campaign, "org"), col0=1)
    ws.skip()
    first, last = ws.table(cols, rows, fill=by_value({len(cols) - 2: grade_fills(campaign)}))
    if not rows:
        return
    band_colours(ws, first, 2, last, len(cols) - 3, campaign, "org")
    lo, hi = campaign.scales["rating"].lowest, campaign.scales["rating"].highest
    ranked = [i for i, r in enumerate(rows) if r[-3] is not None]
    if ranked:
        charts += [(c, *HALF_PAGE) for c in bars(book, ws, "各单位综合得分排名", "综合得分", 1, [len(cols) - 3],
                                                  first - 1, first, first + ranked[-1], lo=lo, hi=hi)]
    radars = ChartPage(book, radar_sheet_name(campaign), **RADAR_GRID)
    c0 = 2 + len(forms)
    for i, unit in enumerate(res["unit_code"]):
        radars.add(radar(book, ws, campaign.unit_name(unit), first + i, c0, c0 + len(crits) - 1, first - 1, lo, hi),
                   *RADAR)
