"""总览: one line per unit (names beside codes) with 报送情况, 参评率, score, grade, rank, the change since
the previous round, the members' decided grades, 整改 and problems; a 合计 line; a key to its colours."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from pipeline.campaign import Campaign
from pipeline.labels import SUBMITTED, cn_date, kind_label
from pipeline.outputs.leaders import briefing_facts
from pipeline.outputs.leaders.pack.style import (HALF_PAGE, MISSING, RETURNED, band_colours, bars, by_value, field_labels,
                                               grade_fills, grade_legend, legend, previous_results)
from pipeline.outputs.kits.sheetkit import Col

TOTAL = "合计"


def member_grades(campaign: Campaign) -> list[str]:
    return list(campaign.enums["@member_grades_decided"])


def overview(book, campaign: Campaign, report, files: list, charts: list) -> None:
    ws = book.sheet("总览")
    rnd = campaign.round(report.round)
    grades = member_grades(campaign)
    before = previous_results(report)
    states = Counter(report.submissions["status"])
    street = SUBMITTED["accepted" if report.street_file else "missing"]
    ws.title(f"{campaign.name}  {rnd.name}评议汇总报告", 14)
    ws.title(f"基准日期 {cn_date(report.as_of)}。应报单位 {len(campaign.units)} 个：" +
             "，".join(f"{label} {states[k]}" for k, label in SUBMITTED.items()) +
             f"；{kind_label(campaign, 'street')}{street}。" +
             ("“较上阶段”为综合得分与上一阶段之差。" if before is not None else ""), 14, size=11, bold=False)
    narrow = 6.5  # a count: its header wraps onto two lines
    cols = ([Col(field_labels(campaign)["unit_code"]), Col("单位名称"), Col("报送情况"), Col("参评率", "rate", 8),
             Col("综合得分", "score2", 8), Col("组织等次", width=narrow), Col("排名", "int", narrow)] +
            ([Col("较上阶段", "delta", 8)] if before is not None else []) +
            [Col("党员数", "int", narrow)] + [Col(_two_lines(g), "int", narrow) for g in grades] +
            [Col("整改\n事项", "int", narrow), Col("逾期\n未销号", "int", 8), Col("应整改\n未整改", "int", 8),
             Col("数据\n问题", "int", narrow)])
    problems = Counter()
    for f in files:
        if f.stored.unit_code:
            problems[f.stored.unit_code] += len(f.errors) + len(f.warnings)
    rows = _unit_rows(campaign, report, before, problems, len(cols))
    graded = [r for r in rows if r[4] is not None]
    facts = briefing_facts.facts(campaign, report)
    total = [TOTAL, f"{len(campaign.units)} 个单位", f"{SUBMITTED['accepted']} {states['accepted']}",
             facts.reviewed_members / facts.full_members if facts.full_members else None, None, None, None] + \
        ([None] if before is not None else [])
    tail = len(total)
    total += [sum(r[j] or 0 for r in graded) for j in range(tail, len(cols) - 1)] + [sum(problems.values())]
    rows.append(total)
    _write(book, ws, campaign, cols, rows, grades, charts)


def _two_lines(label: str) -> str:
    """A grade's name as a narrow header shows it: a four-character one on two lines of two (基本/合格)."""
    return f"{label[:2]}\n{label[2:]}" if len(label) == 4 else label


def _unit_rows(campaign: Campaign, report, before: dict | None, problems: Counter, width: int) -> list[list]:
    """One line a unit of the campaign, in its order; a unit without results shows no figure but its
    problems (rather than a misleading zero)."""
    sub = report.submissions.set_index("unit_code")
    org = report.scores.org_results.set_index("unit_code")
    members = report.scores.member_results
    grades = member_grades(campaign)
    dist = Counter(zip(members["unit_code"], members["decided_grade"]))
    counts = report.unit_counts.set_index("unit_code")
    rows = []
    for u in campaign.units:
        o = org.loc[u.code] if u.code in org.index else None
        head = [u.code, campaign.unit_name(u.code), sub.loc[u.code]["state"]]
        if o is None:
            rows.append(head + [None] * (width - 4) + [problems[u.code] or None])
            continue
        change = [None if before is None or u.code not in before or pd.isna(o["composite"])
                  else round(o["composite"] - before[u.code], 2)] if before is not None else []
        rows.append(head + [o["participation_rate"], o["composite"], o["grade"],
                            None if pd.isna(o["rank"]) else int(o["rank"])] + change +
                    [sum(dist[(u.code, g)] for g in grades)] + [dist[(u.code, g)] for g in grades] +
                    [int(counts.at[u.code, k]) for k in ("items", "R_OVERDUE", "unaddressed")] + [problems[u.code]])
    return rows


def _write(book, ws, campaign: Campaign, cols: list, rows: list, grades: list, charts: list) -> None:
    """The table with its colour key, scores coloured by band, and the grade distribution chart."""
    state_fill = {SUBMITTED["rejected"]: RETURNED, SUBMITTED["missing"]: MISSING}
    ws.plan(cols, rows)
    legend(ws, [(f"组织等次 {k}", c) for k, c in grade_legend(campaign, "org")] +
           [(SUBMITTED["rejected"], RETURNED), (SUBMITTED["missing"], MISSING)], col0=1)
    ws.skip()
    first, last = ws.table(cols, rows, fill=by_value({2: state_fill, 5: grade_fills(campaign)}),
                           bold=[False] * (len(rows) - 1) + [True])
    band_colours(ws, first, 4, last - 1, 4, campaign, "org")
    g0 = len(cols) - 4 - len(grades)  # the grade columns, before the last four
    if last - 1 >= first:
        fills = grade_fills(campaign)
        most = max((sum(r[j] or 0 for j in range(g0, g0 + len(grades))) for r in rows[:-1]), default=0)
        charts += [(c, *HALF_PAGE) for c in bars(book, ws, "各单位党员评定等次分布", "人数", 1,
                                                  list(range(g0, g0 + len(grades))), first - 1, first, last - 1,
                                                  stacked=True, colours=[fills.get(g) for g in grades],
                                                  hi=_round_up(most), names=grades)]


def _round_up(n: int) -> int:
    """An axis' end at or past `n` whose fifths are round numbers: a multiple of 25 (of 50 past 100)."""
    step = 50 if n > 100 else 25
    return max(step, -(-n // step) * step)
