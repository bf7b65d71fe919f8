"""Flags (SPEC §7): pure functions over the ledger's rows, rules from the campaign."""

from __future__ import annotations

import pandas as pd

from .campaign import Campaign

COVERAGE_COLUMNS = ["unit_code", "member_id", "criterion", "code", "detail"]
LABELS = {"C_DROPPED": "整改事项遗漏"}


def dropped_items(previous: pd.DataFrame, current: pd.DataFrame, reporting_units: set[str],
                  campaign: Campaign, prev_round: str, round_code: str) -> pd.DataFrame:
    """C_DROPPED: an item (unit, 编号) open in the previous round and missing from this round's ledger
    of a unit that did report this round."""
    closed = campaign.rectification["closed_status"]
    prev = previous[(previous["status"] != closed) & previous["unit_code"].isin(reporting_units)]
    seen = set(zip(current["unit_code"], current["item_id"]))
    gone = prev[[(u, i) not in seen for u, i in zip(prev["unit_code"], prev["item_id"])]]
    rows = []
    for r in gone.itertuples(index=False):
        subject = r.subject_id if r.subject_id != r.unit_code else ""
        rows.append({"unit_code": r.unit_code, "member_id": subject, "criterion": r.criterion, "code": "C_DROPPED",
                     "detail": f"{prev_round} 整改台账第 {r.item_id} 项（{r.problem}，状态：{r.status}）未销号，"
                               f"{round_code} 台账中没有此项"})
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS).sort_values(["unit_code", "detail"], ignore_index=True)
