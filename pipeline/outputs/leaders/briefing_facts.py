"""The figures of the 情况通报 (SPEC §8), each computed from the tables the round writes to data/*.csv (so that
every figure in the document equals the CSVs), and the sentences made of them. A total given with its parts is
made from one list of those parts, so it always adds up; a long list of units becomes a count with the few
that matter named, most first ("等 N 个单位"); a share says its base; a change since the previous round is
持平, 上升 or 下降 so many 个百分点; flags are said in the campaign's plain phrases."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from pipeline.campaign import Campaign
from pipeline.labels import SUBMITTED
from pipeline.rules.commendation import OK

SHOWN_UNITS = 3  # units named in a sentence; the rest are counted ("等 N 个单位"), the full lists are in 明细表
COVERAGE = ("C_LOW_SCORE", "C_LOW_GRADE", "C_REVIEW_UNADDRESSED", "C_OPINION_UNANSWERED", "C_DROPPED")
THREE_FIXED = ("R_NO_MEASURE", "R_NO_OWNER", "R_NO_DEADLINE")  # 三定: measure, owner, deadline


def tenths(part: int, whole: int) -> int:
    """A share in tenths of a per cent, half up, in integers."""
    return (part * 1000 * 2 + whole) // (2 * whole)


def percent(part: int, whole: int) -> str:
    """12.5% as a person writes it (one decimal, half up); "—" when there is no whole."""
    if not whole:
        return "—"
    t = tenths(part, whole)
    return f"{t // 10}.{t % 10}%"


def named(names: list[str], unit: str = "个单位") -> str:
    """Up to SHOWN_UNITS names; more are counted: "甲、乙、丙等 12 个单位"."""
    if len(names) <= SHOWN_UNITS:
        return "、".join(names)
    return "、".join(names[:SHOWN_UNITS]) + f"等 {len(names)} {unit}"


def counted(parts: list[tuple[str, int]], unit: str) -> tuple[int, str]:
    """(the total, "phrase a 项、phrase b 项") of the parts that are not zero: the total is their sum."""
    parts = [(p, n) for p, n in parts if n]
    return sum(n for _, n in parts), "、".join(f"{p} {n} {unit}" for p, n in parts)


@dataclass
class Facts:
    round_name: str
    expected: int
    states: dict[str, list[str]]  # submission state label -> unit names, in unit order
    street_reported: bool
    full_members: int  # 正式党员 of the reporting units
    reviewed_members: int  # of them, those reviewed (with a composite): the base of the grade shares
    probationary: int  # 预备党员 reviewed, not graded (不定等次)
    member_grades: list[tuple[str, int]]  # each band's grade -> reviewed full members decided so
    org_grades: list[tuple[str, list[str]]]  # organisation grade -> unit names, lowest score first
    best: list[tuple[str, float]]
    weakest: list[tuple[str, float]]
    items: int
    closed: int
    overdue: list[tuple[str, int]]  # unit name -> overdue items, most first
    flags: dict[str, int]  # flag code -> count (items' R_ and coverage C_)
    nominations: list[tuple[str, int, int]]  # kind -> (nominated, passed)
    missing_activities: list[tuple[str, str]]  # unit name -> activity types
    phrases: dict[str, str] = field(default_factory=dict)  # flag code -> its plain words (campaign.toml)
    changes: list[str] = field(default_factory=list)  # since the previous round, when the ledger holds one

    @property
    def not_graded(self) -> int:
        """Reviewed full members whose decision is none of the bands' grades."""
        return self.reviewed_members - sum(n for _, n in self.member_grades)

    def coverage(self) -> tuple[int, str]:
        """应整改未整改: every kind, its plain words and count, and their sum."""
        return counted([(self.phrases[c], self.flags.get(c, 0)) for c in COVERAGE], "项")

    def three_fixed(self) -> tuple[int, str]:
        """三定 gaps: a field missing from an item is one gap (an item may have several)."""
        return counted([(self.phrases[c], self.flags.get(c, 0)) for c in THREE_FIXED], "处")


def _shares(campaign: Campaign, members: pd.DataFrame, orgs: pd.DataFrame, rect: pd.DataFrame) -> dict:
    """The figures compared between rounds (part, whole), from a round's member_results, org_results and
    rectifications; the grade shares on the base the rules use (reviewed full members)."""
    g = campaign.grades["member"]
    full = members[members["suggested_grade"] != g.probationary_grade]
    reviewed = full[full["composite"].notna() & (full["composite"].astype(str) != "")]
    closed = int((rect["status"] == campaign.rectification.closed_status).sum()) if len(rect) else 0
    out = {"参评率": (len(reviewed), len(full))}
    for rule in (g.cap, g.veto):
        if rule:
            out[f"{rule.grade}占比"] = (int((reviewed["decided_grade"] == rule.grade).sum()), len(reviewed))
    return {**out, "整改销号率": (closed, len(rect)), "org": dict(zip(orgs["unit_code"], orgs["grade"]))}


def _change(before: tuple[int, int], now: tuple[int, int]) -> str:
    if not before[1] or not now[1]:
        return "无法比较"
    diff = tenths(*now) - tenths(*before)
    return "持平" if diff == 0 else f"{'上升' if diff > 0 else '下降'} {abs(diff) // 10}.{abs(diff) % 10} 个百分点"


def changes(campaign: Campaign, report) -> list[str]:
    """Sentences comparing this round with the previous one (`report.previous`, from the ledger), if any."""
    previous = report.previous
    if previous is None:
        return []
    before = _shares(campaign, previous.member_results, previous.org_results, previous.rectifications)
    now = _shares(campaign, report.scores.member_results, report.scores.org_results, report.rectifications)
    prev_round = campaign.round(previous.round).name
    parts = [f"{key} {percent(*now[key])}，{_change(before[key], now[key])}" for key in now if key != "org"]
    grades = list(campaign.grades["org"].grades)
    moved = {u: grades.index(before["org"][u]) - grades.index(g) for u, g in now["org"].items()
             if before["org"].get(u) in grades and g in grades and before["org"][u] != g}
    up = [campaign.unit_name(u) for u, d in sorted(moved.items(), key=lambda x: (-x[1], x[0])) if d > 0]
    down = [campaign.unit_name(u) for u, d in sorted(moved.items(), key=lambda x: (x[1], x[0])) if d < 0]
    out = [f"与{prev_round}相比：" + "；".join(parts) + "。"]
    out.append("组织等次提高的单位" + (f" {len(up)} 个（{named(up)}）" if up else "：无") + "；降低的单位" +
               (f" {len(down)} 个（{named(down)}）" if down else "：无") + "。")
    return out


def facts(campaign: Campaign, report) -> Facts:
    name = campaign.unit_name
    subs = report.submissions
    states = {label: [name(u) for u in subs.loc[subs["state"] == label, "unit_code"]] for label in SUBMITTED.values()}
    members = report.scores.member_results
    roster = report.roster
    full = roster[roster["member_kind"] == campaign.roles.full_member][["unit_code", "member_id"]]
    graded = members[members["composite"].notna()]
    reviewed = full.merge(graded[["unit_code", "member_id", "decided_grade"]], how="inner")
    decided = Counter(reviewed["decided_grade"].dropna())
    orgs = report.scores.org_results.dropna(subset=["composite"]).sort_values(["composite", "unit_code"],
                                                                               ascending=[False, True])
    shown = min(SHOWN_UNITS, len(orgs) // 2)  # best and weakest never overlap
    org_grades = [(g, [name(u) for u in orgs.loc[orgs["grade"] == g, "unit_code"]][::-1])
                  for g in campaign.grades["org"].grades]
    rect = report.rectifications
    flags = Counter(code for codes in rect["flags"] for code in codes) if len(rect) else Counter()
    flags.update(report.coverage["code"] if len(report.coverage) else [])
    counts = report.unit_counts
    overdue = sorted(((name(u), int(n)) for u, n in zip(counts["unit_code"], counts["R_OVERDUE"]) if n),
                     key=lambda x: -x[1])
    noms = report.nominations
    kinds = [campaign.commendation.org_kind, campaign.commendation.member_kind, campaign.commendation.worker_kind]
    missing = report.missing_activities
    return Facts(
        round_name=campaign.round(report.round).name, expected=len(campaign.units), states=states,
        street_reported=bool(report.street_file), full_members=len(full), reviewed_members=len(reviewed),
        probationary=int((members["suggested_grade"] == campaign.grades["member"].probationary_grade).sum()),
        member_grades=[(g, decided.get(g, 0)) for g in campaign.grades["member"].grades], org_grades=org_grades,
        best=[(name(u), c) for u, c in zip(orgs["unit_code"][:shown], orgs["composite"][:shown])],
        weakest=[(name(u), c) for u, c in zip(orgs["unit_code"][::-1][:shown], orgs["composite"][::-1][:shown])],
        items=int(counts["items"].sum()), closed=int(counts["closed"].sum()), overdue=overdue, flags=dict(flags),
        nominations=[(k, int((noms["nomination_kind"] == k).sum()),
                      int(((noms["nomination_kind"] == k) & (noms["verdict"] == OK)).sum())) for k in kinds],
        missing_activities=[(name(u), "、".join(part["activity_type"]))
                            for u, part in missing.groupby("unit_code", sort=True)] if len(missing) else [],
        phrases=campaign.documents.phrases, changes=changes(campaign, report),
    )


def problems(f: Facts) -> list[str]:
    """存在问题, one sentence a kind of problem; a total with parts says all the parts, from one list."""
    out = []
    late = f.states.get(SUBMITTED["missing"], []) + f.states.get(SUBMITTED["rejected"], [])
    if late:
        out.append(f"评议材料尚未报送或退回修改后未重新报送的单位有 {len(late)} 个，影响了本阶段评议的完整性。")
    total, parts = f.coverage()
    if total:
        out.append(f"应整改未整改的问题 {total} 项，其中{parts}，评议发现的问题没有全部纳入整改台账。")
    if f.flags.get("R_OVERDUE"):
        out.append(f"整改事项{f.phrases['R_OVERDUE']}的有 {f.flags['R_OVERDUE']} 项，涉及 {len(f.overdue)} 个单位。")
    total, parts = f.three_fixed()
    if total:
        out.append(f"整改事项“三定”没有完全落实，缺项 {total} 处，其中{parts}。")
    if f.flags.get("R_FALSE_CLOSE"):
        out.append(f"整改事项{f.phrases['R_FALSE_CLOSE']}的有 {f.flags['R_FALSE_CLOSE']} 项，存在销号不实。")
    if f.missing_activities:
        out.append(f"未按期开展规定活动的单位有 {len(f.missing_activities)} 个。")
    return out
