"""Which round a run reports (SPEC §9): the one the clerk names, else the round the inbox's workbooks are
filled for, else the calendar's."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pipeline.campaign import Campaign


class UnknownRound(ValueError):
    """A round the campaign file does not have."""


def choose_round(campaign: Campaign, requested: str | None, as_of: dt.date, inbox_rounds: list[str]) -> str:
    """`requested` if given; else the round most of this inbox's workbooks name (of two as common, the
    later); else the round whose dates hold `as_of`; else the last round that has begun (the first when
    none has)."""
    codes = [r.code for r in campaign.rounds]
    if requested:
        if requested not in codes:
            raise UnknownRound(f"评议阶段“{requested}”不在活动配置中（可选：{'、'.join(codes)}）")
        return requested
    counts = Counter(r for r in inbox_rounds if r in codes)
    if counts:
        return max(counts, key=lambda code: (counts[code], codes.index(code)))
    rnd = campaign.round_for(as_of)
    if rnd:
        return rnd.code
    begun = [r for r in campaign.rounds if r.start <= as_of]
    return max(begun, key=lambda r: r.start).code if begun else min(campaign.rounds, key=lambda r: r.start).code


def why(campaign: Campaign, requested: str | None, as_of: dt.date, inbox_rounds: list[str], code: str) -> str:
    """How the round was chosen, in words for the clerk."""
    if requested:
        return "按指定"
    n = sum(r == code for r in inbox_rounds)
    if n:
        return f"按收件箱中 {n} 份工作簿所填的评议阶段"
    return "收件箱中没有可识别的工作簿，按基准日期所在阶段"
