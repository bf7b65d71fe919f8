"""组织评议: one line per unit in rank order (each form's score, composite, grade, rank); 五个好得分: the five
criteria of each unit as numbers (weighted over the forms), coloured by the grade bands, its weakest named;
a unit without results is listed after them with the reason; the ranking is charted on 图表 with its values."""

from __future__ import annotations

import pandas as pd

from pipeline.campaign import Campaign
from pipeline.outputs.kits.sheetkit import Col
from pipeline.outputs.leaders.pack.style import (HALF_PAGE, NOTE, band_colours, bars, by_value, field_labels, grade_fills,
                                                 grade_legend, legend)
from pipeline.rules import flags as flag_rules

NO_LOWER = "无下级组织"  # an upward review a 党支部 without lower organisations cannot have


def criteria_sheet_name(campaign: Campaign) -> str:
    return f"{campaign.criteria_titles['org']}得分"


def _ranked(report) -> pd.DataFrame:
    return report.scores.org_results.sort_values(["rank", "unit_code"], na_position="last")


def _without_results(campaign: Campaign, report, width: int) -> list[list]:
    """A line for each unit the round has no result of, its state in the last column (未报, 退回修改)."""
    states = dict(zip(report.submissions["unit_code"], report.submissions["state"]))
    return [[u.code, u.name] + [None] * (width - 3) + [states.get(u.code)] for u in campaign.units
            if u.code not in set(report.scores.org_results["unit_code"])]


def org_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    ws = book.sheet(campaign.workbooks["unit"].sheet("org_ballots").name)
    label_of = field_labels(campaign)
    s = report.scores
    forms = campaign.forms["org"]
    ws.title(f"组织评议：各评议方式得分、综合得分与等次，按排名排列（{campaign.round(report.round).name}）。"
             f"“{NO_LOWER}”：党支部没有下级组织，不参加{campaign.form_by_role('org', 'upward').name}，"
             "综合得分按其余评议方式的权重折算", 8, size=12)
    cols = ([Col(label_of["unit_code"]), Col("单位名称")] + [Col(f.name, "score", 10) for f in forms] +
            [Col("综合得分", "score2", 9), Col("等次"), Col("排名", "int", 6), Col(NOTE, width=10)])
    form_score = s.org_forms.set_index(["unit_code", "form"])["score"].to_dict() if len(s.org_forms) else {}
    res = _ranked(report)

    def score(unit: str, form) -> float | str | None:
        value = form_score.get((unit, form.name))
        return NO_LOWER if value is None and not campaign.expects(unit, form) else value
    rows = [[u, campaign.unit_name(u)] + [score(u, f) for f in forms] +
            [composite, grade, None if pd.isna(rank) else int(rank), None]
            for u, composite, grade, rank in zip(res["unit_code"], res["composite"], res["grade"], res["rank"])]
    ranked = len(rows)
    rows += _without_results(campaign, report, len(cols))
    ws.plan(cols, rows)
    legend(ws, grade_legend(campaign, "org"), col0=1)
    ws.skip()
    first, last = ws.table(cols, rows, fill=by_value({len(cols) - 3: grade_fills(campaign)}))
    if not ranked:
        return
    band_colours(ws, first, 2, first + ranked - 1, len(cols) - 4, campaign, "org")
    lo, hi = campaign.scales["rating"].lowest, campaign.scales["rating"].highest
    graded = [i for i, r in enumerate(rows[:ranked]) if r[-4] is not None]
    if graded:
        charts += [(c, *HALF_PAGE) for c in bars(book, ws, "各单位综合得分排名", "综合得分", 1, [len(cols) - 4],
                                                  first - 1, first, first + graded[-1], lo=lo, hi=hi, labels=True)]


def criteria_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    """The criteria of each unit as numbers, in rank order, coloured by band; the weakest named; the street's
    mean at the foot."""
    title = campaign.criteria_titles["org"]
    ws = book.sheet(criteria_sheet_name(campaign))
    label_of = field_labels(campaign)
    crits = [c.name for c in campaign.criteria["org"]]
    ws.title(f"“{title}”各项得分（各评议方式按权重折算），按排名排列；“较弱项”为本单位得分最低的一项", 9, size=12)
    cols = ([Col(label_of["unit_code"]), Col("单位名称")] + [Col(c, "score", 11) for c in crits] +
            [Col("较弱项", width=11), Col(NOTE, width=10)])
    stats = report.scores.org_stats
    per = flag_rules.criterion_scores(stats, campaign, "org") if len(stats) else pd.DataFrame()
    score = per.set_index(["unit_code", "criterion"])["score"].to_dict() if len(per) else {}
    rows = []
    for u in _ranked(report)["unit_code"]:
        mine = [score.get((u, c)) for c in crits]
        known = [(v, c) for v, c in zip(mine, crits) if v is not None]
        rows.append([u, campaign.unit_name(u)] + mine + [min(known)[1] if known else None, None])
    ranked = len(rows)
    means = [[r[2 + j] for r in rows if r[2 + j] is not None] for j in range(len(crits))]
    rows.append(["全街道", "平均"] + [round(sum(m) / len(m), 1) if m else None for m in means] + [None, None])
    rows += _without_results(campaign, report, len(cols))
    ws.plan(cols, rows)
    legend(ws, grade_legend(campaign, "org"), col0=1)
    ws.skip()
    first, _ = ws.table(cols, rows, bold=[i == ranked for i in range(len(rows))])
    if ranked:
        band_colours(ws, first, 2, first + ranked, 1 + len(crits), campaign, "org")
