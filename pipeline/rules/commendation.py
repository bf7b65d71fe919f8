"""Commendation checks (SPEC §7): each nomination against the rules of its kind, the quota per
unit, and the eligible candidates nobody nominated. Pure functions; rules from the campaign."""

from __future__ import annotations

import pandas as pd

from pipeline.campaign import Campaign, Round
from pipeline.findings import say

NOMINATION_COLUMNS = ["unit_code", "nomination_kind", "subject_id", "name", "verdict", "reasons"]
ELIGIBLE_COLUMNS = ["unit_code", "nomination_kind", "subject_id", "name", "basis"]
OK, NOT_OK = say("NOM_OK"), say("NOM_NOT_OK")


def _member_reasons(campaign: Campaign, rnd: Round, member: dict | None, history: dict[tuple, list],
                    need_worker: bool) -> list[str]:
    cm = campaign.commendation
    if member is None:
        return [say("NOM_NOT_A_MEMBER")]
    reasons = []
    absent = campaign.grades["member"].not_reviewed_grade
    if absent and member.get("suggested_grade") == absent:  # took no part this round: never commended for it
        reasons.append(say("NOM_NOT_REVIEWED", grade=absent))
    if need_worker and member.get("is_worker") != campaign.roles.yes:
        reasons.append(say("NOM_NOT_A_WORKER"))
    grade = member.get("decided_grade")
    if rnd.commendation_kind == "special" and not need_worker:
        grades = campaign.grades["member"].grades
        floor = grades.index(cm.special_floor_grade)
        graded = [(r, g) for r, g in history.get((member["unit_code"], member["member_id"]), ()) if g in grades]
        if not any(g == cm.member_grade for _, g in graded):
            reasons.append(say("NOM_NEVER_GRADE", grade=cm.member_grade))
        below = [f"{campaign.round(r).name}{g}" for r, g in graded if grades.index(g) > floor]
        if below:
            reasons.append(say("NOM_BELOW_FLOOR", floor=cm.special_floor_grade, rounds="、".join(below)))
    elif grade != cm.member_grade:
        reasons.append(say("NOM_GRADE", grade=grade or say("NOM_NO_GRADE"), need=cm.member_grade))
    return reasons


def _org_reasons(campaign: Campaign, unit: str, subject: str, org: dict | None, overdue: dict[str, int]) -> list[str]:
    cm = campaign.commendation
    if subject != unit:
        return [say("NOM_ORG_ONLY_ITSELF", kind=cm.org_kind)]
    reasons = []
    if org is None or org.get("grade") is None or org.get("grade") != org.get("grade"):
        reasons.append(say("NOM_ORG_NO_RESULT"))
    elif org["grade"] != cm.org_grade:
        reasons.append(say("NOM_ORG_GRADE", grade=org["grade"], need=cm.org_grade))
    if overdue.get(unit):
        reasons.append(say("NOM_ORG_OVERDUE", n=overdue[unit]))
    return reasons


def check(campaign: Campaign, rnd: Round, nominations: pd.DataFrame, org_results: pd.DataFrame,
          members: pd.DataFrame, history: pd.DataFrame, overdue: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every nomination with verdict and reasons, eligible candidates not nominated).

    `members`: unit_code, member_id, name, is_worker, decided_grade of the round; `history`:
    unit_code, member_id, round, decided_grade of every round in the ledger; `overdue`: unit ->
    number of items overdue on the as-of date.
    """
    cm = campaign.commendation
    quota = cm.quota_per_unit
    people = {(r["unit_code"], r["member_id"]): r for r in members.to_dict("records")}
    rounds: dict[tuple, list] = {}  # (unit, member) -> [(round, decided grade)]: the history grouped once
    for unit, mid, rnd_code, grade in zip(history["unit_code"], history["member_id"], history["round"],
                                          history["decided_grade"]):
        rounds.setdefault((unit, mid), []).append((rnd_code, grade))
    orgs = {r["unit_code"]: r for r in org_results.to_dict("records")}
    used: dict[tuple, int] = {}
    rows = []
    for n in nominations.sort_values(["unit_code", "row_no"]).to_dict("records"):  # one row per key
        unit, kind, subject = n["unit_code"], n["nomination_kind"], n["subject_id"]
        member = people.get((unit, subject))
        if kind == cm.org_kind:
            reasons, name = _org_reasons(campaign, unit, subject, orgs.get(unit), overdue), \
                campaign.unit_name(unit, unit)
        else:
            reasons = _member_reasons(campaign, rnd, member, rounds, need_worker=kind == cm.worker_kind)
            name = member["name"] if member else ""
        used[(unit, kind)] = used.get((unit, kind), 0) + 1
        if used[(unit, kind)] > quota.get(kind, 0):
            reasons.append(say("NOM_OVER_QUOTA", kind=kind, n=quota.get(kind, 0)))
        rows.append((unit, kind, subject, name, NOT_OK if reasons else OK, "；".join(reasons)))
    checked = pd.DataFrame(rows, columns=NOMINATION_COLUMNS)
    nominated = set(zip(checked["unit_code"], checked["nomination_kind"], checked["subject_id"]))
    eligible = []
    for unit, org in sorted(orgs.items()):
        if not _org_reasons(campaign, unit, unit, org, overdue) and (unit, cm.org_kind, unit) not in nominated:
            name = campaign.unit_name(unit, unit)
            eligible.append((unit, cm.org_kind, unit, name, say("NOM_ORG_ELIGIBLE", grade=cm.org_grade)))
    for (unit, mid), m in sorted(people.items()):
        for kind, worker in ((cm.member_kind, False), (cm.worker_kind, True)):
            if not _member_reasons(campaign, rnd, m, rounds, worker) and (unit, kind, mid) not in nominated:
                eligible.append((unit, kind, mid, m["name"], say("NOM_WORKER_ELIGIBLE" if worker else
                                                                 "NOM_MEMBER_ELIGIBLE", grade=m["decided_grade"])))
    return checked, pd.DataFrame(eligible, columns=ELIGIBLE_COLUMNS)
