"""Which round a run reports (SPEC §9): the one being collected. The round the clerk names; else the round
whose dates hold the as-of date when the inbox has workbooks of it; else the latest round the inbox's new
workbooks are filled for; else the latest the inbox's workbooks name; else the calendar's."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from pipeline.campaign import Campaign


class UnknownRound(ValueError):
    """A round the campaign file does not have."""


class NoWorkbooks(ValueError):
    """The round asked for has no workbook, in the inbox or the ledger: there is nothing to report."""


@dataclass(frozen=True)
class InboxWorkbook:
    round: str
    new: bool  # received by this run (not already in the ledger)


@dataclass(frozen=True)
class Choice:
    code: str
    reason: str  # why this round, in words for the clerk
    others: tuple[tuple[str, int, int], ...] = ()  # other rounds in the inbox: (code, already in the ledger, new)
    outside: bool = False  # the as-of date lies outside the round's dates


def check_known(campaign: Campaign, requested: str | None) -> None:
    codes = [r.code for r in campaign.rounds]
    if requested and requested not in codes:
        raise UnknownRound(f"评议阶段“{requested}”不在活动配置中（可选：{'、'.join(codes)}）")


def _latest(campaign: Campaign, codes) -> str | None:
    order = [r.code for r in campaign.rounds]
    known = [c for c in codes if c in order]
    return max(known, key=order.index) if known else None


def _pick(campaign: Campaign, requested: str | None, as_of: dt.date, inbox: list[InboxWorkbook],
          ledger_rounds: set[str]) -> tuple[str, str]:
    """(round, why)."""
    if requested:
        if requested not in ledger_rounds:
            held = Counter(w.round for w in inbox)
            found = "、".join(f"{campaign.round(c).name} {n} 份" for c, n in sorted(held.items()) if c in
                             {r.code for r in campaign.rounds}) or "无"
            raise NoWorkbooks(f"指定的评议阶段 {requested}（{campaign.round(requested).name}）在收件箱和台账中都没有工作簿"
                              f"（收件箱中的工作簿：{found}），没有生成汇总报告。请核对评议阶段；直接回车或不指定阶段，"
                              "程序会按收件箱中的工作簿确定。")
        return requested, "按指定"
    window = campaign.round_for(as_of)
    n = sum(w.round == window.code for w in inbox) if window else 0
    if n:
        return window.code, f"基准日期在{window.name}内，收件箱中有该阶段的工作簿 {n} 份"
    new = _latest(campaign, [w.round for w in inbox if w.new])
    if new:
        return new, f"按收件箱中新收到的工作簿所填的评议阶段（{sum(w.new and w.round == new for w in inbox)} 份）"
    seen = _latest(campaign, [w.round for w in inbox])
    if seen:
        return seen, f"按收件箱中工作簿所填的评议阶段（{sum(w.round == seen for w in inbox)} 份）"
    if window:
        return window.code, "收件箱中没有可识别的工作簿，按基准日期所在阶段"
    begun = [r for r in campaign.rounds if r.start <= as_of]
    rnd = max(begun, key=lambda r: r.start) if begun else min(campaign.rounds, key=lambda r: r.start)
    return rnd.code, "收件箱中没有可识别的工作簿，按基准日期最近的阶段"


def choose(campaign: Campaign, requested: str | None, as_of: dt.date, inbox: list[InboxWorkbook],
           ledger_rounds: set[str]) -> Choice:
    """The round this run reports, why, and what else the inbox holds. `inbox`: the inbox's workbooks (of
    any round); `ledger_rounds`: the rounds the ledger holds workbooks of, this inbox's included."""
    check_known(campaign, requested)
    code, reason = _pick(campaign, requested, as_of, inbox, ledger_rounds)
    others = tuple((r.code, sum(w.round == r.code and not w.new for w in inbox),
                    sum(w.round == r.code and w.new for w in inbox))
                   for r in campaign.rounds if r.code != code and any(w.round == r.code for w in inbox))
    return Choice(code, reason, others, not campaign.round(code).contains(as_of))


def lines(campaign: Campaign, choice: Choice, as_of: dt.date) -> list[str]:
    """The first lines of a run, once the inbox is read: the round, why, what else the inbox holds, and an
    as-of date outside the round's dates."""
    rnd = campaign.round(choice.code)
    out = [f"评议阶段：{rnd.name}（{choice.reason}）。"]
    for code, known, new in choice.others:
        parts = ([f"已入台账 {known} 份"] if known else []) + ([f"新收到 {new} 份"] if new else [])
        out.append(f"收件箱中另有{campaign.round(code).name}的文件 {known + new} 份（{'，'.join(parts)}），"
                   f"不计入{rnd.name}。")
    if choice.outside:
        out.append(outside(campaign, choice.code, as_of))
    return out


def outside(campaign: Campaign, code: str, as_of: dt.date) -> str:
    """An as-of date outside the reported round's dates, said."""
    return (f"注意：基准日期 {as_of} 不在{campaign.round(code).span}内，逾期、截止等判断都按这个日期，"
            "请核对基准日期是否有误。")
