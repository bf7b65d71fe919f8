"""Supervision (督查, SPEC §7): 报送情况 against the deadline, required activities, 信息上报 counts
and a reproducible 随机抽查 list. Pure functions; dates and sizes from the campaign."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pandas as pd

from pipeline.campaign import Campaign, Round
from pipeline.findings import say
from pipeline import frames
from pipeline.labels import SUBMITTED

SUBMISSION_COLUMNS = ["unit_code", "unit_name", "unit_kind", "state", "filled_on", "overdue"]
MISSING_ACTIVITY_COLUMNS = ["unit_code", "activity_type", "due"]
REPORT_COLUMNS = ["unit_code", "month", "activities", "reported"]
SPOT_CHECK_COLUMNS = ["target", "unit_code", "unit_name", "item_id", "detail"]


def unit_states(submissions, round_code: str) -> dict[str, tuple[str, dt.date | None]]:
    """Each unit's 报送 state in a round from the ledger's submissions: its accepted file when it has one, else
    its first rejected one, as (status, 填报日期)."""
    states: dict[str, tuple] = {}
    for s in submissions:
        if s.round != round_code or s.kind != "unit" or s.status not in ("accepted", "rejected"):
            continue
        if s.status == "accepted" or s.unit_code not in states:
            states[s.unit_code] = (s.status, dt.date.fromisoformat(s.filled_on) if s.filled_on else None)
    return states


def submissions(campaign: Campaign, rnd: Round, as_of: dt.date, states: dict[str, tuple[str, dt.date | None]]
                ) -> pd.DataFrame:
    """One row per unit: 已报 / 退回修改 / 未报 (`state`, and its key in `status`), with 逾期报送 (填报日期
    after the deadline) or 逾期未报 (nothing accepted and the deadline passed). `states`: unit -> (status, filled_on)."""
    rows = []
    for u in campaign.units:
        status, filled = states.get(u.code, (None, None))
        status = status or "missing"
        overdue = ""
        if status == "accepted" and filled and filled > rnd.submission_due:
            overdue = say("SUP_FILED_LATE")
        elif status != "accepted" and as_of > rnd.submission_due:
            overdue = say("SUP_NOT_FILED")
        rows.append((u.code, u.name, u.kind, SUBMITTED[status], filled.isoformat() if filled else "", overdue, status))
    return pd.DataFrame(rows, columns=SUBMISSION_COLUMNS + ["status"])


def missing_activities(rnd: Round, as_of: dt.date, activities: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    """A required activity (制定实施方案, 动员大会...) not held by its due date, once that date has passed."""
    first: dict[tuple, dt.date] = {}  # (unit, activity type) -> the first day it was held: one pass
    for unit, kind, day in zip(activities["unit_code"], activities["activity_type"], activities["held_on"]):
        day = frames.day(day)
        if day < first.get((unit, kind), dt.date.max):
            first[(unit, kind)] = day
    rows = []
    for req in rnd.required_activities:
        if req.due > as_of:
            continue
        for unit in units:
            if first.get((unit, req.type), dt.date.max) > req.due:
                rows.append((unit, req.type, req.due.isoformat()))
    return pd.DataFrame(rows, columns=MISSING_ACTIVITY_COLUMNS)


def activity_reports(activities: pd.DataFrame, yes: str) -> pd.DataFrame:
    """信息上报 per unit and month: activities held, and how many were reported."""
    if activities.empty:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    df = activities.assign(month=[frames.day(d).strftime("%Y-%m") for d in activities["held_on"]],
                           is_reported=activities["reported"] == yes)
    g = df.groupby(["unit_code", "month"])
    out = pd.DataFrame({"activities": g.size(), "reported": g["is_reported"].sum().astype(int)}).reset_index()
    return out[REPORT_COLUMNS]


def spot_check_seed(campaign: Campaign, rnd: Round, as_of: dt.date) -> int:
    """The documented seed: sha256 of '<spot_check_seed>|<round>|<as-of>' read as an integer."""
    text = f"{campaign.supervision.spot_check_seed}|{rnd.code}|{as_of.isoformat()}"
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


def spot_checks(campaign: Campaign, rnd: Round, as_of: dt.date, units: list[str], closed_items: pd.DataFrame
                ) -> pd.DataFrame:
    """随机抽查: units of each kind and 已销号 items to verify on site; same round and as-of, same list."""
    rng = random.Random(spot_check_seed(campaign, rnd, as_of))
    per_kind = campaign.supervision.spot_check_units_per_kind
    rows = []
    for kind in campaign.enums["unit_kind"]:
        pool = sorted(u.code for u in campaign.units if u.kind == kind and u.code in units)
        for code in sorted(rng.sample(pool, min(per_kind, len(pool)))):
            rows.append((say("SPOT_UNIT"), code, campaign.unit_name(code), "", say("SPOT_UNIT_WHY", kind=kind)))
    items = closed_items.sort_values(["unit_code", "item_id"])  # read by position
    n = min(campaign.supervision.spot_check_closed_items, len(items))
    for i in sorted(rng.sample(range(len(items)), n)):
        r = items.iloc[i]
        rows.append((say("SPOT_ITEM"), r["unit_code"], campaign.unit_name(r["unit_code"]), r["item_id"],
                     say("SPOT_ITEM_WHY", problem=r["problem"])))
    return pd.DataFrame(rows, columns=SPOT_CHECK_COLUMNS)
