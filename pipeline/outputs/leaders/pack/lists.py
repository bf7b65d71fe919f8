"""The summary sheets of the reading pack: 整改情况 (per unit), 应整改未整改 (per subject), 先进推荐 (per
unit, and the nominations that failed the check), 抽查名单. Every item, flag and finding one by one is in
明细表 (detail.py)."""

from __future__ import annotations

from collections import Counter, defaultdict

from pipeline.campaign import Campaign
from pipeline.findings import title_of
from pipeline.frames import records
from pipeline.outputs.leaders.pack.overview import TOTAL
from pipeline.outputs.leaders.pack.style import ALERT, field_labels, legend
from pipeline.outputs.kits.sheetkit import Col
from pipeline.rules import commendation

ITEM_FLAGS = ["R_OVERDUE", "R_DUE_SOON", "R_FALSE_CLOSE", "R_NO_MEASURE", "R_NO_OWNER", "R_NO_DEADLINE"]
RECTIFICATION_SHEET = "整改情况"


def _units_with_results(campaign: Campaign, report) -> list[str]:
    return [u.code for u in campaign.units if u.code in report.files]


def _without_results(campaign: Campaign, report, width: int) -> list[list]:
    """A line for each unit the round has no data of, saying why (未报, 退回修改) in the last column."""
    states = dict(zip(report.submissions["unit_code"], report.submissions["state"]))
    return [[u.code, u.name] + [None] * (width - 3) + [f"{states.get(u.code)}，本阶段没有数据"]
            for u in campaign.units if u.code not in report.files]


def rectification_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    """Per unit: items, closed, closure rate, each item flag, 应整改未整改, activities, missing activities."""
    label_of = field_labels(campaign)
    ws = book.sheet(RECTIFICATION_SHEET)
    ws.title(f"整改与督查情况（基准日期 {report.as_of}）：整改事项、销号、问题标记，应整改未整改，活动开展与信息上报", 14, size=12)
    counts = report.unit_counts.set_index("unit_code")
    acts = report.activity_reports
    held, reported = Counter(), Counter()
    for u, n, r in zip(acts["unit_code"], acts["activities"], acts["reported"]) if len(acts) else ():
        held[u] += int(n)
        reported[u] += int(r)
    missing = defaultdict(list)
    for r in records(report.missing_activities):
        missing[r["unit_code"]].append(r["activity_type"])
    cols = ([Col(label_of["unit_code"]), Col("单位名称"), Col("整改事项", "int", 9), Col("已销号", "int", 8),
             Col("销号率", "rate", 8)] + [Col(title_of(c), "int", 10) for c in ITEM_FLAGS] +
            [Col("应整改未整改", "int", 12), Col("开展活动\n（次）", "int", 9),
             Col("上报信息\n（条）", "int", 9), Col("逾期未开展的必备活动", width=24, wrap=True)])
    rows = []
    shown = _units_with_results(campaign, report)
    for u in shown:
        c = {k: int(v) for k, v in counts.loc[u].items()}
        rows.append([u, campaign.unit_name(u), c["items"], c["closed"], c["closed"] / c["items"] if c["items"] else None] +
                    [c[f] for f in ITEM_FLAGS] + [c["unaddressed"], held[u], reported[u], "、".join(missing[u]) or None])
    total = {k: int(counts.loc[shown, k].sum()) for k in counts.columns}
    rows.append([TOTAL, f"{len(rows)} 个单位", total["items"], total["closed"],
                 total["closed"] / total["items"] if total["items"] else None] + [total[f] for f in ITEM_FLAGS] +
                [total["unaddressed"], sum(held.values()), sum(reported.values()), None])
    rows += _without_results(campaign, report, len(cols))
    serious = {5 + ITEM_FLAGS.index(c) for c in ("R_OVERDUE", "R_FALSE_CLOSE")}  # after the five columns before the flags
    ws.plan(cols, rows)
    legend(ws, [("需关注：有逾期未销号或销号不实", ALERT)], col0=1)
    ws.skip()
    ws.table(cols, rows, bold=[False] * (len(rows) - 1) + [True],
             fill=lambda row, j: ALERT if j in serious and row[0] != TOTAL and row[j] else None)


def coverage_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    """应整改未整改, one line per subject (a unit or a member): its suggested grade when that is low, the
    criteria scored low (all of them said in two words), and any other problem left without rectification."""
    label_of = field_labels(campaign)
    ws = book.sheet("应整改未整改", landscape=False)
    threshold = campaign.rectification.low_score_threshold
    ws.title("应整改未整改（每个对象一行，逐条说明见明细表）：“建议等次”"
             f"为等次偏低而整改台账中没有针对该党员的事项；“低分项”为得分低于 {threshold:g} 而没有整改事项的标准；"
             "“其他问题”为点评问题、群众意见未进入整改台账和上一阶段事项遗漏", 6, size=11)
    ws.skip()
    names = dict(zip(zip(report.roster["unit_code"], report.roster["member_id"]), report.roster["name"]))
    mr = report.scores.member_results
    suggested = dict(zip(zip(mr["unit_code"], mr["member_id"]), mr["suggested_grade"]))
    subjects: dict[tuple, dict] = {}
    for r in records(report.coverage):
        s = subjects.setdefault((r["unit_code"], r["member_id"] or ""), {"low_grade": False, "criteria": [], "other": []})
        if r["code"] == "C_LOW_GRADE":
            s["low_grade"] = True
        elif r["code"] == "C_LOW_SCORE":
            s["criteria"].append(r["criterion"])
        elif title_of(r["code"]) not in s["other"]:
            s["other"].append(title_of(r["code"]))
    order = {u.code: i for i, u in enumerate(campaign.units)}
    every = {group: sorted(c.name for c in campaign.criteria[group]) for group in ("org", "member")}

    def criteria(member: str, named: list[str]) -> str | None:
        """The criteria named, or "五带头各项" when they are all of the subject's criteria."""
        group = "member" if member else "org"
        return f"{campaign.criteria_titles[group]}各项" if sorted(named) == every[group] else "、".join(named) or None
    # 110 characters: one A4 portrait page wide at a readable size, four criteria on one line
    # (the member's number is in 明细表: here the name, beside the unit's)
    cols = [Col("单位名称", width=21, wrap=True), Col(label_of["name"], width=9),
            Col("建议等次", width=10), Col("低分项", width=55, wrap=True), Col("其他问题", width=15, wrap=True)]
    rows = [[campaign.unit_name(u), names.get((u, m)) if m else "（本单位）",
             suggested.get((u, m)) if s["low_grade"] else None, criteria(m, s["criteria"]), "、".join(s["other"]) or None]
            for (u, m), s in sorted(subjects.items(), key=lambda kv: (order.get(kv[0][0], 0), kv[0][1]))]
    ws.table(cols, rows)


def nomination_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    """Per unit: for each nomination kind, nominated, failed and eligible but not nominated; and the
    nominations that failed, each with its reason."""
    ws = book.sheet(campaign.workbooks["unit"].sheet("nominations").name)
    rnd = campaign.round(report.round)
    cm = campaign.commendation
    rule = f"专项表彰：须至少一个阶段评定为{cm.member_grade}且各阶段不低于{cm.special_floor_grade}" \
        if rnd.commendation_kind == "special" else \
        (f"{cm.member_kind}须评定为{cm.member_grade}；{cm.org_kind}须组织等次为{cm.org_grade}且无逾期整改；"
         f"{cm.worker_kind}须为党务工作者且评定为{cm.member_grade}")
    ws.title(f"先进推荐审核（{rnd.name}，{rule}）。名额为每单位可推荐的数量；每条推荐及符合条件而未推荐的对象见明细表",
             10, size=12)
    kinds = [cm.org_kind, cm.member_kind, cm.worker_kind]
    noms = report.nominations
    count = Counter(zip(noms["unit_code"], noms["nomination_kind"], noms["verdict"])) if len(noms) else Counter()
    refused = defaultdict(list)
    for r in records(noms):
        if r["verdict"] == commendation.NOT_OK:
            refused[r["unit_code"]].append(f"{r['name']}（{r['nomination_kind']}）：{r['reasons']}")
    cols = [Col("单位名称")]
    for k in kinds:
        cols += [Col(f"{k}\n名额", "int", 9), Col("推荐", "int", 6), Col("其中不符合\n条件", "int", 9)]
    cols.append(Col("不符合条件的推荐及理由", width=60, wrap=True))
    rows = [[campaign.unit_name(u)] + [n for k in kinds for n in
                                       (cm.quota_per_unit.get(k, 0), sum(count[(u, k, v)] for v in (commendation.OK, commendation.NOT_OK)),
                                        count[(u, k, commendation.NOT_OK)])] +
            ["；".join(refused[u]) or None] for u in _units_with_results(campaign, report)]
    rows.append([TOTAL] + [sum(r[j] for r in rows) for j in range(1, len(cols) - 1)] + [None])
    rows += [r[1:] for r in _without_results(campaign, report, len(cols) + 1)]
    failed = set(range(3, len(cols) - 1, 3))
    ws.plan(cols, rows)
    legend(ws, [("需关注：有不符合条件的推荐", ALERT)], col0=1)
    ws.skip()
    ws.table(cols, rows, bold=[r[0] == TOTAL for r in rows],
             fill=lambda row, j: ALERT if j in failed and row[0] != TOTAL and row[j] else None)


def spot_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    label_of = field_labels(campaign)
    sv = campaign.supervision
    ws = book.sheet("抽查名单")
    ws.title(f"随机抽查名单（每类单位 {sv.spot_check_units_per_kind} 个，已销号事项 {sv.spot_check_closed_items} 项）。"
             f"名单由{campaign.round(report.round).name}和基准日期 {report.as_of} 随机确定，重新运行得到同一名单。", 5, size=11)
    ws.skip()
    cols = [Col("抽查对象"), Col(label_of["unit_code"]),
            Col("单位名称"), Col("整改编号"), Col("抽查内容", width=50, wrap=True)]
    ws.table(cols, [[r["target"], r["unit_code"], r["unit_name"], r["item_id"] or None, r["detail"]]
                    for r in records(report.spot_checks)])
