"""The figures of the 情况通报 (SPEC §8), each computed from the tables the round writes to data/*.csv, so
that every figure in the document equals the CSVs: submissions, 参评率, grade distributions, best and
weakest units, rectification closure, 应整改未整改 by kind, nominations, missing required activities."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from pipeline.campaign import Campaign
from pipeline.findings import title_of
from pipeline.labels import SUBMITTED
from pipeline.rules.commendation import OK

SHOWN_UNITS = 3  # best and weakest units named


def percent(part: int, whole: int) -> str:
    """12.5% as a person writes it (one decimal, half up); "—" when there is no whole."""
    if not whole:
        return "—"
    tenths = (part * 1000 * 2 + whole) // (2 * whole)  # half up, in integers
    return f"{tenths // 10}.{tenths % 10}%"


@dataclass
class Facts:
    round_name: str
    expected: int
    states: dict[str, list[str]]  # submission state label -> unit names, in unit order
    street_reported: bool
    full_members: int
    reviewed_members: int
    member_grades: list[tuple[str, int]]  # decided grade -> members (every grade of the campaign, in order)
    members_graded: int
    org_grades: list[tuple[str, list[str]]]  # organisation grade -> unit names
    best: list[tuple[str, float]]
    weakest: list[tuple[str, float]]
    items: int
    closed: int
    overdue: list[tuple[str, int]]  # unit name -> overdue items
    unaddressed: list[tuple[str, int]]  # flag title -> count (应整改未整改)
    item_flags: list[tuple[str, int]]  # flag title -> count (the ledger's own problems)
    nominations: list[tuple[str, int, int]]  # kind -> (符合, 不符合)
    missing_activities: list[tuple[str, str]]  # unit name -> activity types
    problems: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # since the previous round, when its results are at hand


def _shares(campaign: Campaign, members: pd.DataFrame, orgs: pd.DataFrame, rect: pd.DataFrame) -> dict:
    """The figures compared between rounds, from a round's member_results, org_results and rectifications."""
    probationary = campaign.grades["member"].probationary_grade
    full = members[members["suggested_grade"] != probationary]
    reviewed = full["composite"].notna() & (full["composite"].astype(str) != "")
    decided = members["decided_grade"].dropna()
    decided = decided[decided.astype(str) != ""]
    cap, veto = campaign.grades["member"].cap, campaign.grades["member"].veto
    closed = int((rect["status"] == campaign.rectification.closed_status).sum()) if len(rect) else 0
    return {"参评率": (int(reviewed.sum()), len(full)),
            **({f"{cap.grade}占比": (int((decided == cap.grade).sum()), len(decided))} if cap else {}),
            **({f"{veto.grade}占比": (int((decided == veto.grade).sum()), len(decided))} if veto else {}),
            "整改销号率": (closed, len(rect)),
            "org": dict(zip(orgs["unit_code"], orgs["grade"]))}


def changes(campaign: Campaign, report) -> list[str]:
    """Sentences comparing this round with the previous one (`report.previous`, from the ledger), if any."""
    previous = report.previous
    if previous is None:
        return []
    before = _shares(campaign, previous.member_results, previous.org_results, previous.rectifications)
    now = _shares(campaign, report.scores.member_results, report.scores.org_results, report.rectifications)
    prev_round = campaign.round(previous.round).name
    parts = [f"{key}由 {percent(*before[key])} 变为 {percent(*now[key])}" for key in before if key != "org"]
    grades = list(campaign.grades["org"].grades)
    up = [campaign.unit_name(u) for u, g in sorted(now["org"].items())
          if before["org"].get(u) in grades and g in grades and grades.index(g) < grades.index(before["org"][u])]
    down = [campaign.unit_name(u) for u, g in sorted(now["org"].items())
            if before["org"].get(u) in grades and g in grades and grades.index(g) > grades.index(before["org"][u])]
    out = [f"与{prev_round}相比：" + "；".join(parts) + "。"]
    out.append(f"组织等次提高的单位：{'、'.join(up) or '无'}；降低的单位：{'、'.join(down) or '无'}。")
    return out


def facts(campaign: Campaign, report) -> Facts:
    name = campaign.unit_name
    subs = report.submissions
    states = {label: [name(u) for u in subs.loc[subs["state"] == label, "unit_code"]] for label in SUBMITTED.values()}
    members = report.scores.member_results
    roster = report.roster
    full = roster[roster["member_kind"] == campaign.roles.full_member][["unit_code", "member_id"]]
    reviewed = full.merge(members[members["composite"].notna()][["unit_code", "member_id"]], how="inner")
    member_grades = campaign.enums["@member_grades_decided"]
    decided = Counter(members["decided_grade"].dropna())
    orgs = report.scores.org_results.dropna(subset=["composite"]).sort_values(["composite", "unit_code"],
                                                                               ascending=[False, True])
    shown = min(SHOWN_UNITS, len(orgs) // 2)  # best and weakest never overlap
    org_grades = [(g, [name(u) for u in orgs.loc[orgs["grade"] == g, "unit_code"]]) for g in campaign.grades["org"].grades]
    rect = report.rectifications
    flags = [code for codes in rect["flags"] for code in codes] if len(rect) else []
    counts = report.unit_counts
    coverage = Counter(report.coverage["code"]) if len(report.coverage) else Counter()
    noms = report.nominations
    kinds = [campaign.commendation.org_kind, campaign.commendation.member_kind, campaign.commendation.worker_kind]
    missing = report.missing_activities
    return Facts(
        round_name=campaign.round(report.round).name, expected=len(campaign.units), states=states,
        street_reported=bool(report.street_file), full_members=len(full), reviewed_members=len(reviewed),
        member_grades=[(g, decided.get(g, 0)) for g in member_grades], members_graded=sum(decided.values()),
        org_grades=org_grades,
        best=[(name(u), c) for u, c in zip(orgs["unit_code"][:shown], orgs["composite"][:shown])],
        weakest=[(name(u), c) for u, c in zip(orgs["unit_code"][::-1][:shown], orgs["composite"][::-1][:shown])],
        items=int(counts["items"].sum()), closed=int(counts["closed"].sum()),
        overdue=[(name(u), int(n)) for u, n in sorted(zip(counts["unit_code"], counts["R_OVERDUE"])) if n],
        unaddressed=[(title_of(c), n) for c, n in sorted(coverage.items())],
        item_flags=[(title_of(c), n) for c, n in sorted(Counter(flags).items())],
        nominations=[(k, int(((noms["nomination_kind"] == k) & (noms["verdict"] == OK)).sum()),
                      int(((noms["nomination_kind"] == k) & (noms["verdict"] != OK)).sum())) for k in kinds],
        missing_activities=[(name(u), "、".join(part["activity_type"]))
                            for u, part in missing.groupby("unit_code", sort=True)] if len(missing) else [],
        problems=_problems(states, coverage, Counter(flags), missing, campaign),
        changes=changes(campaign, report),
    )


def _problems(states, coverage: Counter, flags: Counter, missing: pd.DataFrame, campaign: Campaign) -> list[str]:
    """存在问题, one sentence a kind of problem, the most frequent first."""
    out = []
    late = states.get(SUBMITTED["missing"], []) + states.get(SUBMITTED["rejected"], [])
    if late:
        out.append(f"{len(late)} 个单位的评议材料尚未报送或退回修改后未重新报送，影响了本阶段评议的完整性。")
    if coverage:
        total = sum(coverage.values())
        top = "、".join(f"{title_of(c)} {n} 项" for c, n in coverage.most_common(3))
        out.append(f"应整改未整改的问题 {total} 项（{top}），评议发现的问题没有全部纳入整改台账。")
    if flags.get("R_OVERDUE"):
        out.append(f"{flags['R_OVERDUE']} 项整改事项超过整改时限仍未销号。")
    gaps = sum(flags.get(c, 0) for c in ("R_NO_MEASURE", "R_NO_OWNER", "R_NO_DEADLINE"))
    if gaps:
        out.append(f"{gaps} 处整改事项缺少整改措施、责任人或整改时限，“三定”没有完全落实。")
    if flags.get("R_FALSE_CLOSE"):
        out.append(f"{flags['R_FALSE_CLOSE']} 项已销号事项缺少完成日期、整改成效或群众不满意，存在销号不实。")
    if len(missing):
        out.append(f"{missing['unit_code'].nunique()} 个单位未按期开展规定的活动。")
    return out
