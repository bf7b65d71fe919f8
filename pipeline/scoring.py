"""Scoring (SPEC §6): pure functions, frames in and frames out, rules from the campaign.

Ballots come in long form, one row per ballot and criterion:
`unit_code, member_id ("" for a unit), form, ballot_id, criterion, option`, and an optional `weight`: the
number of ballots the row stands for (a tally's count; 1 where it is missing).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from pipeline import grading
from pipeline.campaign import Campaign, Grading
from pipeline.findings import say

SUBJECT = ["unit_code", "member_id"]
KEY = SUBJECT + ["form", "criterion"]


def round_half_up(x: float, decimals: int) -> float:
    """Round half away from zero at `decimals` places, as a person does by hand (84.125 -> 84.13)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return math.nan
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(round(float(x), 9))).quantize(q, rounding=ROUND_HALF_UP))


def _option_tables(campaign: Campaign, group: str) -> pd.DataFrame:
    """(form, option) -> points (NaN: a vote that is not scored) and whether it is a top-2 option."""
    rows = [(f.name, o.label, np.nan if o.points is None else float(o.points), o.label in f.scale.top2)
            for f in campaign.forms[group] for o in f.scale.options]
    return pd.DataFrame(rows, columns=["form", "option", "points", "top2"])


def _trimmed_mean(points: np.ndarray, weights: np.ndarray, k: int) -> float:
    """The mean of the scored votes (`weights` of each value) without the k highest and k lowest, when
    there are at least 2k + 3 of them."""
    scored = ~np.isnan(points)
    order = np.argsort(points[scored])  # equal values are one value: their order changes no sum
    values, w = points[scored][order], weights[scored][order]
    if k and w.sum() >= 2 * k + 3:
        w = w.copy()
        for idx in (range(len(w)), range(len(w) - 1, -1, -1)):  # from the lowest up, then the highest down
            left = k
            for i in idx:
                take = min(left, w[i])
                w[i] -= take
                left -= take
                if not left:
                    break
    return float((values * w).sum() / w.sum()) if w.sum() else math.nan


def criterion_stats(ballots: pd.DataFrame, campaign: Campaign, group: str, votes: bool = True) -> pd.DataFrame:
    """Per subject, form and criterion: n_ballots, votes and vote_share per option (unless `votes` is
    False), top2_rate, mean_points."""
    table = _option_tables(campaign, group)  # one row per form and option (the loader refuses a label twice)
    df = ballots.merge(table, on=["form", "option"], how="left")
    df["weight"] = df["weight"].fillna(1).astype(np.int64) if "weight" in df else np.int64(1)
    df["scored"] = df["points"].notna() * df["weight"]
    df["top2_scored"] = (df["top2"] == True) * df["scored"]  # noqa: E712 (NaN for an unknown option)
    df["weighted"] = df["points"] * df["weight"]
    g = df.groupby(KEY)
    out = pd.DataFrame({
        "n_ballots": g["weight"].sum(),
        "n_scored": g["scored"].sum(),
        "n_top2": g["top2_scored"].sum(),
    })
    if campaign.trim:
        out["mean_points"] = g[["points", "weight"]].apply(
            lambda s: _trimmed_mean(s["points"].to_numpy(dtype=float), s["weight"].to_numpy(), campaign.trim))
    else:
        out["mean_points"] = g["weighted"].sum() / out["n_scored"]  # 0 / 0: no scored vote, no mean (NaN)
    out["top2_rate"] = out["n_top2"] / out["n_scored"]
    if not votes:
        return out.reset_index()
    votes = df.pivot_table(index=KEY, columns="option", values="weight", aggfunc="sum", fill_value=0)
    labels = list(dict.fromkeys(table["option"]))
    votes = votes.reindex(columns=[o for o in labels if o in votes.columns])
    out = out.join(votes.add_prefix("votes_"))
    for o in votes.columns:
        out[f"share_{o}"] = out[f"votes_{o}"] / out["n_ballots"]
    return out.reset_index()


def in_campaign_order(stats: pd.DataFrame, campaign: Campaign, group: str) -> pd.DataFrame:
    """Sorted by unit, member, form (campaign order) and criterion (campaign order); one copy only,
    the member table being the round's largest."""
    forms = {f.name: i for i, f in enumerate(campaign.forms[group])}
    crits = {c.name: i for i, c in enumerate(campaign.criteria[group])}

    def rank(column: str, order: dict) -> np.ndarray:  # campaign order; anything unknown last
        return np.fromiter((order.get(v, len(order)) for v in stats[column].to_numpy(dtype=object)), np.int64, len(stats))
    keys = [rank("criterion", crits)] if "criterion" in stats else []
    keys += [rank("form", forms)] + [pd.factorize(stats[k], sort=True)[0] for k in ("member_id", "unit_code")]
    order = np.lexsort(keys)  # the last key sorts first; lexsort is stable
    return stats.take(order).reset_index(drop=True)


def form_scores(stats: pd.DataFrame) -> pd.DataFrame:
    """Per subject and form: the mean of its criterion means (criteria without a scored vote left out)."""
    g = stats.groupby(SUBJECT + ["form"])
    return pd.DataFrame({"score": g["mean_points"].mean(), "n_ballots": g["n_ballots"].max()}).reset_index()


def composites(scores: pd.DataFrame, campaign: Campaign, group: str) -> pd.DataFrame:
    """Per subject: sum(w_f * score_f) / sum(w_f) over the forms that have a score, rounded half-up."""
    weights = {f.name: f.weight for f in campaign.forms[group]}
    df = scores.dropna(subset=["score"]).copy()
    df["w"] = df["form"].map(weights)
    df["ws"] = df["w"] * df["score"]
    g = df.groupby(SUBJECT)
    out = (g["ws"].sum() / g["w"].sum()).rename("raw").reset_index()
    out["composite"] = [round_half_up(x, campaign.decimals) for x in out["raw"]]
    return out.drop(columns="raw")


def competition_rank(values: pd.Series) -> pd.Series:
    """1, 2, 2, 4 ranking, highest first; missing values get no rank."""
    return values.rank(method="min", ascending=False).astype("Int64")


def band_grades(values: pd.Series, grading: Grading) -> pd.Series:
    return values.map(lambda v: None if pd.isna(v) else grading.grade_for(v))


def pooled_top2(stats: pd.DataFrame, form: str) -> pd.DataFrame:
    """Per subject: top-2 votes over scored votes of `form`, pooled over all criteria."""
    df = stats[stats["form"] == form]
    g = df.groupby(SUBJECT)
    out = (g["n_top2"].sum() / g["n_scored"].sum()).rename("pooled_top2")  # 0 / 0: no rate (NaN)
    return out.reset_index()


def reviewed_full(graded: pd.DataFrame, full_kind: str) -> pd.Series:
    """The full members with a composite: the cap's N counts exactly these (SPEC §6)."""
    return (graded["member_kind"] == full_kind) & graded["composite"].notna()


def member_grades(comp: pd.DataFrame, stats: pd.DataFrame, roster: pd.DataFrame, campaign: Campaign,
                  full_kind: str) -> pd.DataFrame:
    """Suggested grades by the grading rules (grading.py): the cases in their order, then the per-unit cap.

    `roster` has unit_code, member_id, member_kind (and absence_reason, if read); `full_kind` is the
    label of a full member. Returns unit_code, member_id, composite, suggested_grade, grade_note, rank_in_unit.
    """
    g = campaign.grades["member"]
    cols = SUBJECT + ["member_kind"] + (["absence_reason"] if "absence_reason" in roster else [])
    df = roster[cols].merge(comp, on=SUBJECT, how="left")
    full = reviewed_full(df, full_kind)
    holds = {grading.PROBATIONARY: df["member_kind"] != full_kind,
             grading.NOT_REVIEWED: (df["member_kind"] == full_kind) & df["composite"].isna()}
    if g.veto:
        df = df.merge(pooled_top2(stats, g.veto.form), on=SUBJECT, how="left").rename(columns={"pooled_top2": "veto_rate"})
        holds[grading.VETOED] = grading.vetoed(g.veto, df["veto_rate"])
    df["suggested_grade"] = grading.pre_grades(g, holds, df["composite"])
    df["grade_note"] = _notes(g, df, holds)
    if g.cap:
        for unit, idx in df[full].groupby("unit_code").groups.items():
            over = grading.over_cap(g.cap, df.loc[idx])
            df.loc[over, "suggested_grade"] = g.cap.demote_to
            df.loc[over, "grade_note"] = say("G_CAP", full=full_kind, n_full=len(idx), grade=g.cap.grade,
                                             allowed=grading.cap_allowed(g.cap, len(idx)),
                                             denominator=g.cap.denominator, demote_to=g.cap.demote_to)
    # ranked among the unit's reviewed full members; the others have no rank
    df["rank_in_unit"] = df["composite"].where(full).groupby(df["unit_code"]).transform(competition_rank).astype("Int64")
    return df


def _notes(g, df: pd.DataFrame, holds: dict[str, pd.Series]) -> list[str]:
    """Why a member's grade is not its band's: vetoed (with the rate) or not reviewed (with the reason)."""
    reasons = df["absence_reason"] if "absence_reason" in df else pd.Series(None, index=df.index, dtype=object)
    vetoed = holds.get(grading.VETOED, pd.Series(False, index=df.index)) & ~holds[grading.PROBATIONARY] & \
        ~holds[grading.NOT_REVIEWED]  # the veto decides only a reviewed full member's grade
    out = []
    for i, absent, veto, reason in zip(df.index, holds[grading.NOT_REVIEWED], vetoed, reasons):
        if absent:
            out.append(say("G_NOT_REVIEWED", grade=g.not_reviewed_grade,
                           reason=reason if isinstance(reason, str) and reason.strip() else say("G_NO_BALLOTS")))
        elif veto:
            out.append(say("G_VETO", form=g.veto.form, rate=df.at[i, "veto_rate"], min_rate=g.veto.min_rate,
                           grade=g.veto.grade))
        else:
            out.append("")
    return out


def long_ballots(wide: pd.DataFrame, campaign: Campaign, group: str, unit_code: str | None = None) -> pd.DataFrame:
    """Wide ballots (one column per criterion code) to the long form used here; blank ratings dropped."""
    crits = campaign.criteria[group]
    base = wide.copy()
    if unit_code is not None:
        base["unit_code"] = unit_code
    if "member_id" not in base:
        base["member_id"] = ""
    parts = []
    for c in crits:
        part = base[["unit_code", "member_id", "form", "ballot_id"]].copy()
        part["criterion"] = c.name
        part["option"] = base[c.code]
        parts.append(part)
    out = pd.concat(parts)  # merged next: no index read
    return out[out["option"].notna()]


def tally_ballots(tallies: pd.DataFrame, campaign: Campaign, group: str, unit_code: str | None = None) -> pd.DataFrame:
    """A tally (得票汇总) as the long ballots it counts, weighted: per row, one line per counted option
    carrying its count, and one line without an option carrying the ballots that left the criterion blank
    (票数 minus the counts). Scored by criterion_stats, it gives exactly the statistics of those ballots
    (n_ballots, votes, top2_rate, mean), in memory proportional to the tally's rows, not its votes."""
    columns = ["unit_code", "member_id", "form", "ballot_id", "criterion", "option", "weight"]
    if tallies is None or tallies.empty:
        return pd.DataFrame(columns=columns)
    base = tallies.reset_index(drop=True).copy()
    if unit_code is not None:
        base["unit_code"] = unit_code
    if "member_id" not in base:
        base["member_id"] = ""
    options = campaign.tally_options(group)
    counts = base.reindex(columns=[key for key, _ in options]).apply(pd.to_numeric, errors="coerce").fillna(0)
    counts = counts.clip(lower=0)
    blank = (pd.to_numeric(base["n_ballots"], errors="coerce").fillna(0).astype(int) - counts.sum(axis=1)).clip(lower=0)
    weights = [counts[key].to_numpy() for key, _ in options] + [blank.to_numpy()]
    labels = [label for _, label in options] + [None]
    which = [np.flatnonzero(w > 0) for w in weights]
    row = np.concatenate(which)
    out = base.loc[row, ["unit_code", "member_id", "form", "criterion"]].reset_index(drop=True)
    out["option"] = np.concatenate([np.full(len(i), label) for i, label in zip(which, labels)])
    out["weight"] = np.concatenate([w[i] for i, w in zip(which, weights)]).astype(np.int64)
    out["ballot_id"] = [f"tally-{r + 1}" for r in row]  # the tally row it comes from
    return out[columns]


def unit_member_stats(campaign: Campaign, unit_code: str, ballots: pd.DataFrame,
                      tallies: pd.DataFrame | None = None) -> pd.DataFrame:
    """criterion_stats (without votes per option) of one unit's members, from its wide member ballots
    and tallies, in campaign order: what the round uses for that unit's members."""
    long = pd.concat([long_ballots(ballots, campaign, "member", unit_code),
                      tally_ballots(tallies, campaign, "member", unit_code)])  # merged: no index read
    return in_campaign_order(criterion_stats(long, campaign, "member", votes=False), campaign, "member")


def unit_member_grades(campaign: Campaign, unit_code: str, roster: pd.DataFrame, ballots: pd.DataFrame,
                       tallies: pd.DataFrame | None = None, stats: pd.DataFrame | None = None) -> pd.DataFrame:
    """Suggested grades of one unit's members from its own wide member ballots and tallies (or their
    `stats`, when already computed)."""
    if stats is None:
        stats = unit_member_stats(campaign, unit_code, ballots, tallies)
    comp = composites(form_scores(stats), campaign, "member")
    people = roster[["member_id", "member_kind"]].assign(unit_code=unit_code)
    return member_grades(comp, stats, people, campaign, campaign.roles.full_member)
