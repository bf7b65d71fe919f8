"""What the ledger holds per round: units accepted, sent back, missing (for `run.py status`)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.campaign import Campaign, Unit
from pipeline.ledger.store import Ledger


@dataclass
class RoundStatus:
    round: str
    expected: int
    accepted: list[Unit]
    rejected: list[Unit]  # only rejected submissions so far: 退回修改
    missing: list[Unit]
    street: bool
    last_run: str | None


def by_round(campaign: Campaign, ledger: Ledger) -> list[RoundStatus]:
    subs = ledger.all_submissions()
    out = []
    for rnd in campaign.rounds:
        mine = [s for s in subs if s.round == rnd.code]
        accepted = {s.unit_code for s in mine if s.kind == "unit" and s.status == "accepted"}
        rejected = {s.unit_code for s in mine if s.kind == "unit" and s.status == "rejected"} - accepted
        last = ledger.last_run(rnd.code)
        out.append(RoundStatus(
            rnd.code, len(campaign.units),
            [u for u in campaign.units if u.code in accepted], [u for u in campaign.units if u.code in rejected],
            [u for u in campaign.units if u.code not in accepted | rejected],
            any(s.kind == "street" and s.status == "accepted" for s in mine),
            f"{last[0]}（基准日期 {last[1]}）" if last else None))
    return out
