"""Live verdicts (SPEC §4, §5): what each stored receipt counts as in this run.

The ledger stores what depends on a file's bytes once (its findings, its rows, whether they hold an error).
Everything that depends on the run is decided here again by every run, from the stored facts:
- a 填报日期 after the run's as-of date (or after the day the file came) rejects the file for this run only;
- a round is closed once a later round is being collected (a run reported a later round, or the ledger
  holds a file of a later round without errors); a file of a closed round that came after it closed is
  `late`: it never changes that round, until the clerk reopens the round (`--reopen`);
- of the files of one unit and round that count, the latest 填报日期 wins, then the one received later;
- a rejected file that a later received counted file replaced is superseded (nothing goes back);
- the bytes of a rejected file received again (any name, any sender) are a new receipt, rejected again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from pipeline.campaign import Campaign
from pipeline.findings import Finding, make
from pipeline.layout import INFO_FIRST_ROW, INFO_SHEET

BYTE_VALID = ("accepted", "superseded")  # stored: no error in the bytes ('superseded': ledgers before schema 4)
FILLED_ON = "filled_on"  # the info field whose date no run's as-of may precede
FUTURE_AS_OF, FUTURE_RECEIVED = "本次汇总的基准日期", "收到此文件的日期"  # what a 填报日期 came after


@dataclass(frozen=True)
class RunContext:
    """What a run decides with: its as-of date, its row in `runs` (None: no run, e.g. `status`), the round
    it reports and the closed rounds the clerk reopened."""
    as_of: dt.date
    run: int | None = None
    round: str | None = None
    reopen: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Receipt:
    """A submission as the ledger stores it, with the row of the run that received it."""
    id: int
    name: str
    kind: str | None
    unit_code: str
    round: str
    filled_on: str | None
    filled_on_cell: str
    status: str  # stored: accepted (no error in the bytes), rejected, duplicate
    run: int
    mtime_ns: int
    duplicate_of: int | None
    received_on: dt.date


@dataclass(frozen=True)
class PastRun:
    run: int  # rowid
    round: str  # the round it reported ('' while unfinished)
    reopened: frozenset[str]


@dataclass
class Live:
    """A receipt's verdict in this run, and the findings this run decided for it."""
    status: str
    findings: list[Finding] = field(default_factory=list)
    resent_of: int | None = None  # the bytes were rejected before: that receipt's findings are this one's too


def _key(r: Receipt) -> tuple | None:
    """Which receipts compete: one kind, unit and round (the street's workbook has no unit)."""
    if r.kind is None or not r.round or (r.kind != "street" and not r.unit_code):
        return None
    return r.kind, r.unit_code, r.round


def _order(r: Receipt) -> tuple:
    """Received later: a later run; in one run, the later saved file; then the later stored."""
    return r.run, r.mtime_ns, r.id


def _future(campaign: Campaign, r: Receipt, ctx: RunContext) -> Finding | None:
    """E_FUTURE_DATE when the 填报日期 lies after the as-of date or after the day the file came."""
    if not r.filled_on or r.kind is None:
        return None
    filled = dt.date.fromisoformat(r.filled_on)
    limit, what = min((ctx.as_of, FUTURE_AS_OF), (r.received_on, FUTURE_RECEIVED))
    if filled <= limit:
        return None
    info = campaign.workbooks[r.kind].info
    index = next(i for i, f in enumerate(info) if f.key == FILLED_ON)
    return make("E_FUTURE_DATE", r.name, sheet=INFO_SHEET, cell=r.filled_on_cell or f"B{INFO_FIRST_ROW + index}",
                column=info[index].label, value=r.filled_on, detail=f"{what} {limit.isoformat()}")


def closing_runs(campaign: Campaign, receipts: list[Receipt], runs: list[PastRun], ctx: RunContext) -> dict[str, int]:
    """Round -> the first run in which a later round was being collected: a run reported it, a file of it
    without errors came, or this run reports it."""
    order = {r.code: i for i, r in enumerate(campaign.rounds)}
    events = [(p.run, order[p.round]) for p in runs if p.round in order]
    events += [(r.run, order[r.round]) for r in receipts if r.status in BYTE_VALID and r.kind and r.round in order]
    if ctx.run is not None and ctx.round in order:
        events.append((ctx.run, order[ctx.round]))
    out = {}
    for code, i in order.items():
        later = [run for run, j in events if j > i]
        if later:
            out[code] = min(later)
    return out


def _released(runs: list[PastRun], ctx: RunContext) -> dict[str, int]:
    """Round -> the last run that reopened it: files received up to that run count for it."""
    out: dict[str, int] = {}
    for p in runs:
        for code in p.reopened:
            out[code] = max(out.get(code, 0), p.run)
    if ctx.run is not None:
        for code in ctx.reopen:
            out[code] = ctx.run
    return out


def decide(campaign: Campaign, receipts: list[Receipt], runs: list[PastRun], ctx: RunContext) -> dict[int, Live]:
    """Every receipt's live verdict."""
    names = {r.code: r.name for r in campaign.rounds}
    closing, released = closing_runs(campaign, receipts, runs, ctx), _released(runs, ctx)
    live: dict[int, Live] = {}
    counted: dict[tuple, list[Receipt]] = defaultdict(list)
    for r in receipts:
        if r.status == "duplicate":
            continue
        future = _future(campaign, r, ctx)
        if r.status not in BYTE_VALID or future:  # an error in the bytes, or a date this run cannot accept
            live[r.id] = Live("rejected", [future] if future else [])
        elif r.round in closing and r.run >= closing[r.round] and r.run > released.get(r.round, 0):
            live[r.id] = Live("late", [make("W_ROUND_CLOSED", r.name, value=r.round, detail=names[r.round])])
        elif _key(r) is None:
            live[r.id] = Live("accepted")
        else:
            counted[_key(r)].append(r)
    for group in counted.values():
        winner = max(group, key=lambda r: (r.filled_on or "",) + _order(r))
        for r in group:
            live[r.id] = Live("accepted" if r is winner else "superseded")
        for r in group:
            if r is not winner and r.filled_on and r.filled_on == winner.filled_on:
                live[winner.id].findings.append(_same_date(winner, r, winner))
                live[r.id].findings.append(_same_date(r, winner, winner))

    def replaced(r: Receipt) -> bool:
        """A file of the same unit and round that counts came later: this rejected one goes nowhere."""
        return _key(r) is not None and any(_order(a) > _order(r) for a in counted.get(_key(r), ()))

    for r in receipts:
        if r.id in live and live[r.id].status == "rejected" and replaced(r):
            live[r.id].status = "superseded"
    by_id = {r.id: r for r in receipts}
    for r in receipts:
        if r.status != "duplicate":
            continue
        first = by_id.get(r.duplicate_of)
        if first is None or (first.status in BYTE_VALID and not _future(campaign, first, ctx)):
            live[r.id] = Live("duplicate")
            continue
        # The bytes of a rejected file, received again: a receipt of its own, answered again ("resent" when an
        # earlier run returned them; two senders' identical files in one run, e.g. two empty ones, are not).
        again = dataclasses.replace(first, id=r.id, name=r.name, run=r.run, mtime_ns=r.mtime_ns,
                                    received_on=r.received_on)
        findings = [make("N_RESENT", r.name, detail=first.name)] if first.run < r.run else []
        findings += [f for f in [_future(campaign, again, ctx)] if f]
        live[r.id] = Live("superseded" if replaced(again) else "rejected", findings, first.id)
    return live


def _same_date(row: Receipt, other: Receipt, winner: Receipt) -> Finding:
    """W_SAME_FILLED_ON on `row`, naming `other` and the file that counts."""
    return make("W_SAME_FILLED_ON", row.name, sheet=INFO_SHEET, value=row.filled_on,
                detail=f"另一份为“{other.name}”，现采用较晚收到的“{winner.name}”")
