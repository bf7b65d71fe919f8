"""总览: 报送情况, 参评率, scores, grades and flag counts per unit; 问题标记: the flags per unit, charted."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from pipeline.campaign import Campaign
from pipeline.findings import FLAG_CODES, title_of
from pipeline.labels import SUBMITTED, cn_date, kind_label
from pipeline.outputs.leadership.style import RED, YELLOW, by_value, field_labels, grade_fills, heat, stacked_bars, FULL_PAGE
from pipeline.outputs.sheetkit import Col

FLAGS_SHEET = "问题标记"


def _flag_counts(report) -> pd.DataFrame:
    """Unit x flag code counts (R_ per item, C_ per coverage row)."""
    counts = Counter((f.unit_code, f.code) for f in report.flags)
    return pd.Series(counts, dtype=int).rename_axis(["unit_code", "code"]).unstack(fill_value=0) if counts else \
        pd.DataFrame()


def overview(book, campaign: Campaign, report, files: list, charts: list) -> None:
    ws = book.sheet("总览")
    label_of = field_labels(campaign)
    rnd = campaign.round(report.round)
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
    ws.title(f"{campaign.name}  {rnd.name}（{rnd.code}）评议汇总报告", 12)
    ws.title(f"基准日期 {cn_date(report.as_of)}。应报单位 {len(campaign.units)} 个：" +
             "，".join(f"{label} {states[k]}" for k, label in SUBMITTED.items()) +
             f"；{kind_label(campaign, 'street')}{street}。整改事项 {len(items)} 项，"
             f"逾期未销号 {flagged('R_OVERDUE')} 项，销号不实 {flagged('R_FALSE_CLOSE')} 项；"
             f"应整改未整改 {len(report.coverage)} 条。", 12, size=11)
    ws.skip()
    cols = [Col(label_of["unit_code"]), Col("单位名称"), Col("类别"),
            Col("报送情况"), Col(label_of["filled_on"], "date", 12), Col("逾期"),
            Col("参评率", "rate", 9), Col("综合得分", "score2", 10), Col("组织等次"), Col("排名", "int", 7),
            Col("党员数", "int", 8), Col("评定优秀", "int", 9), Col("整改事项", "int", 9), Col("逾期未销号", "int", 11),
            Col("销号不实", "int", 9), Col("应整改未整改", "int", 12), Col("数据问题", "int", 9)]
    member_counts = members.groupby("unit_code").size()
    top_grade = members[members["decided_grade"] == campaign.commendation.member_grade].groupby("unit_code").size()
    item_counts = items.groupby("unit_code").size() if len(items) else pd.Series(dtype=int)
    rows = []
    for u in campaign.units:
        s = sub.loc[u.code]
        o = org.loc[u.code] if u.code in org.index else None
        c = counts.loc[u.code] if u.code in counts.index else {}
        head = [u.code, campaign.unit_name(u.code), u.kind, s["state"], s["filled_on"] or None, s["overdue"] or None]
        if o is None:  # not in this round's results: no figure rather than a misleading zero
            rows.append(head + [None] * 10 + [problems[u.code] or None])
            continue
        rows.append(head + [o["participation_rate"], o["composite"], o["grade"],
                            None if pd.isna(o["rank"]) else int(o["rank"]), int(member_counts.get(u.code, 0)),
                            int(top_grade.get(u.code, 0)), int(item_counts.get(u.code, 0)),
                            int(c.get("R_OVERDUE", 0)), int(c.get("R_FALSE_CLOSE", 0)),
                            int(sum(v for k, v in dict(c).items() if k.startswith("C_"))), problems[u.code]])
    state_fill = {v: (RED if v == SUBMITTED["missing"] else YELLOW) for v in SUBMITTED.values()
                  if v != SUBMITTED["accepted"]}
    first, last = ws.table(cols, rows, fill=by_value({3: state_fill, 8: grade_fills(campaign)}))
    heat(ws, first, 7, last, 7, campaign.scales["rating"].lowest, campaign.scales["rating"].highest)
    # Flags by unit: a table on a sheet of its own, and the chart drawn from it.
    codes = [c for c in FLAG_CODES if c in counts.columns]
    fs = book.sheet(FLAGS_SHEET)
    fs.title("各单位问题标记（项）", 8, size=12)
    fs.skip()
    fcols = [Col(label_of["unit_code"])] + [Col(title_of(c), "int", 10) for c in codes]
    frows = [[u.code] + [int(counts.loc[u.code, c]) if u.code in counts.index else 0 for c in codes]
             for u in campaign.units if u.code in report.files]
    ffirst, flast = fs.table(fcols, frows, autofilter=False)
    if codes:
        charts.append((stacked_bars(book, fs, "各单位问题标记", "项数", 0, len(codes), ffirst - 1, flast), *FULL_PAGE))
