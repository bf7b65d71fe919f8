"""Flags (SPEC §7): pure functions over the round's rows, rules and thresholds from the campaign."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from pipeline.campaign import Campaign
from pipeline.findings import say
from pipeline import frames
from pipeline.frames import values

COVERAGE_COLUMNS = ["unit_code", "member_id", "criterion", "code", "detail"]


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def _day(v) -> dt.date | None:
    if _blank(v):
        return None
    return frames.day(v)


def item_flags(item: dict, as_of: dt.date, campaign: Campaign) -> list[str]:
    """The R_ codes of one 整改台账 item on the as-of date."""
    rule = campaign.rectification
    closed = item.get("status") == rule.closed_status
    deadline = _day(item.get("deadline"))
    # The 应填 columns of the ledger (campaign.toml `expect`): a blank one gets its flag, as the template says.
    out = [c.expect for c in campaign.workbooks["unit"].sheet("rectifications").columns
           if c.expect and _blank(item.get(c.key))]
    if deadline and not closed and deadline < as_of:
        out.append("R_OVERDUE")
    if deadline and not closed and as_of <= deadline <= as_of + dt.timedelta(days=rule.due_soon_days):
        out.append("R_DUE_SOON")
    if closed and (_day(item.get("closed_on")) is None or _blank(item.get("outcome"))
                   or item.get("satisfaction") == rule.unsatisfied):
        out.append("R_FALSE_CLOSE")
    return out


def rectifications(items: pd.DataFrame, as_of: dt.date, campaign: Campaign) -> pd.DataFrame:
    """Every item with its flags (a tuple of codes per item), in unit and ledger order."""
    out = items.copy()
    out["flags"] = [tuple(item_flags(r, as_of, campaign)) for r in out.to_dict("records")]
    return out.sort_values(["unit_code", "row_no"], ignore_index=True)  # one row per key


ITEM_CODES = ("R_NO_MEASURE", "R_NO_OWNER", "R_NO_DEADLINE", "R_OVERDUE", "R_DUE_SOON", "R_FALSE_CLOSE")
UNIT_COUNT_COLUMNS = ["unit_code", "items", "closed", *ITEM_CODES, "unaddressed"]


def unit_counts(campaign: Campaign, units: list[str], rect: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """Per unit (the reporting units, in campaign order): its 整改 items, those closed, the items carrying each
    R_ flag, and its coverage flags (应整改未整改). Every document reads these counts from here."""
    rows = {u: dict.fromkeys(UNIT_COUNT_COLUMNS[1:], 0) for u in units}
    closed_status = campaign.rectification.closed_status
    for u, status, codes in zip(values(rect, "unit_code"), values(rect, "status"), values(rect, "flags")):
        if u in rows:
            rows[u]["items"] += 1
            rows[u]["closed"] += status == closed_status
            for c in codes:
                rows[u][c] += 1
    for u in values(coverage, "unit_code"):
        if u in rows:
            rows[u]["unaddressed"] += 1
    return pd.DataFrame([{"unit_code": u, **counts} for u, counts in rows.items()], columns=UNIT_COUNT_COLUMNS)


def criterion_scores(stats: pd.DataFrame, campaign: Campaign, group: str) -> pd.DataFrame:
    """Per subject and criterion: the weighted mean of the forms' criterion means, weights renormalised
    over the forms that scored it (the same rule as the composite, one criterion at a time)."""
    weights = {f.name: f.weight for f in campaign.forms[group]}
    df = stats.loc[stats["mean_points"].notna(), ["unit_code", "member_id", "criterion", "form", "mean_points"]]
    codes, forms = pd.factorize(df["form"])  # a few forms over every member's criteria: look each up once
    df = df.assign(w=np.array([weights.get(f, math.nan) for f in forms] + [math.nan])[codes])
    df["ws"] = df["w"] * df["mean_points"]
    g = df.groupby(["unit_code", "member_id", "criterion"])
    return (g["ws"].sum() / g["w"].sum()).rename("score").reset_index()


def _items_on(items: pd.DataFrame) -> tuple[set, set, set, set]:
    on_criterion = set(zip(items["unit_code"], items["subject_id"], items["criterion"]))
    on_subject = set(zip(items["unit_code"], items["subject_id"]))
    by_source = set(zip(items["unit_code"], items["source"]))
    on_unit = items[items["subject_id"] == items["unit_code"]]  # items about the unit itself
    unit_by_source = set(zip(on_unit["unit_code"], on_unit["source"]))
    return on_criterion, on_subject, by_source, unit_by_source


def coverage(campaign: Campaign, items: pd.DataFrame, org_stats: pd.DataFrame, member_stats: pd.DataFrame,
             members: pd.DataFrame, reviews: pd.DataFrame, opinions: pd.DataFrame) -> pd.DataFrame:
    """C_ flags: low scores and grades without an item, review problems and public opinions unanswered.

    `members`: unit_code, member_id, name, suggested_grade; `reviews`: the street's 组织点评 rows
    (unit_code, reviewer, problems); `opinions`: 群众评议 ballots with an opinion (unit_code, form, opinion).
    """
    rule = campaign.rectification
    threshold = rule.low_score_threshold
    on_criterion, on_subject, by_source, unit_by_source = _items_on(items)
    rows = []
    # 党员编号 is unique within a unit only: every lookup is by unit and member
    names = dict(zip(zip(values(members, "unit_code"), values(members, "member_id")), values(members, "name"))) \
        if len(members) else {}
    for group, stats in (("org", org_stats), ("member", member_stats)):
        if stats.empty:
            continue
        scores = criterion_scores(stats, campaign, group)
        low = scores[scores["score"] < threshold]
        for unit, member, criterion, score in zip(*(values(low, c) for c in ("unit_code", "member_id", "criterion", "score"))):
            if (unit, member or unit, criterion) in on_criterion:
                continue
            who = say("WHO_MEMBER", member=member, name=names.get((unit, member), "")).strip() if member else \
                say("WHO_UNIT", unit=unit)
            rows.append((unit, member, criterion, "C_LOW_SCORE",
                         say("COV_LOW_SCORE", who=who, criterion=criterion, score=score, threshold=threshold)))
    low = members[members["suggested_grade"].isin(rule.low_grades)]
    for r in low.itertuples():
        if (r.unit_code, r.member_id) not in on_subject:
            rows.append((r.unit_code, r.member_id, "", "C_LOW_GRADE",
                         say("COV_LOW_GRADE", member=r.member_id, name=r.name, grade=r.suggested_grade)))
    street_form = campaign.form_by_role("org", "street").name
    with_problems = reviews[~reviews["problems"].map(_blank)] if len(reviews) else reviews
    for unit, part in (with_problems.groupby("unit_code") if len(with_problems) else []):
        if (unit, street_form) not in unit_by_source:  # the street reviewed the unit: an item on the unit answers
            leaders = "、".join(sorted(set(part["reviewer"])))
            problems = "；".join(dict.fromkeys(p.rstrip("。；; ") for p in part["problems"]))
            rows.append((unit, "", "", "C_REVIEW_UNADDRESSED",
                         say("COV_REVIEW", form=street_form, leaders=leaders, problems=problems, unit=unit)))
    for unit, part in (opinions.groupby("unit_code") if len(opinions) else []):
        forms = sorted(set(part["form"]))  # the public's forms (role "public") these opinions came from
        if not any((unit, form) in by_source for form in forms):
            public = "/".join(forms)
            rows.append((unit, "", "", "C_OPINION_UNANSWERED", say("COV_OPINION", unit=unit, forms=public, n=len(part))))
    out = pd.DataFrame(rows, columns=COVERAGE_COLUMNS)
    return out.sort_values(["unit_code", "code", "member_id", "criterion"])  # one row per key


def dropped_items(previous: pd.DataFrame, current: pd.DataFrame, reporting_units: set[str],
                  campaign: Campaign, prev_round: str, round_name: str) -> pd.DataFrame:
    """C_DROPPED: an item (unit, 编号) open in the previous round and missing from this round's ledger
    of a unit that did report this round."""
    closed = campaign.rectification.closed_status
    prev = previous[(previous["status"] != closed) & previous["unit_code"].isin(reporting_units)]
    seen = set(zip(current["unit_code"], current["item_id"]))
    gone = prev[[(u, i) not in seen for u, i in zip(prev["unit_code"], prev["item_id"])]]
    rows = []
    for r in gone.itertuples():
        subject = r.subject_id if r.subject_id != r.unit_code else ""
        rows.append({"unit_code": r.unit_code, "member_id": subject, "criterion": r.criterion, "code": "C_DROPPED",
                     "detail": say("COV_DROPPED", previous=prev_round, item=r.item_id, problem=r.problem,
                                   status=r.status, current=round_name)})
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS).sort_values(["unit_code", "detail"], ignore_index=True)
