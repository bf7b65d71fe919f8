"""The round's scores, grades and ranks (SPEC §6) from the accepted rows: frames in, frames out."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipeline import scoring
from pipeline.campaign import Campaign
from pipeline.findings import Finding, make, say

SCORE_COLUMNS = ["unit_code", "member_id", "form", "criterion", "n_ballots", "n_scored", "mean_points", "top2_rate"]
ORG_RESULT_COLUMNS = ["unit_code", "composite", "grade", "rank", "participation_rate"]
MEMBER_RESULT_COLUMNS = ["unit_code", "member_id", "composite", "suggested_grade", "decided_grade", "rank_in_unit",
                         "grade_note"]


@dataclass
class RoundScores:
    org_stats: pd.DataFrame  # per unit, form, criterion (with votes and shares per option)
    member_stats: pd.DataFrame
    org_forms: pd.DataFrame  # per unit and form: score
    member_forms: pd.DataFrame
    org_results: pd.DataFrame
    member_results: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)


def _missing_forms(campaign: Campaign, group: str, subjects: pd.DataFrame, form_table: pd.DataFrame,
                   files: dict[str, str], sheet: str) -> list[Finding]:
    """W_FORM_MISSING for every subject with no ballot of a configured form; a member with no ballot at
    all is not reviewed (未参评, W_NOT_REVIEWED at validation), not missing four forms. `form_table`:
    one row per subject and form with a ballot (form_scores)."""
    subjects = subjects[["unit_code", "member_id"]]
    if group == "member":  # members without any ballot are not reviewed, not missing forms
        scored = form_table[["unit_code", "member_id"]].drop_duplicates()
        subjects = subjects.merge(scored, on=["unit_code", "member_id"])
    forms = campaign.forms[group]
    grid = subjects.assign(_s=range(len(subjects))).merge(
        pd.DataFrame({"form": [f.name for f in forms], "_f": range(len(forms))}), how="cross")
    have = form_table[["unit_code", "member_id", "form"]].assign(_have=True)
    grid = grid.merge(have, on=["unit_code", "member_id", "form"], how="left").sort_values(["_s", "_f"])
    grid = grid[grid["_have"].isna()]
    by_name = {f.name: f for f in forms}
    out = []
    for unit, member, form in zip(grid["unit_code"], grid["member_id"], grid["form"]):
        if not member and not campaign.expects(unit, by_name[form]):
            continue  # a 党支部 without lower-level organisations has no upward review
        detail = say("FORM_OF_MEMBER", member=member, form=form) if member else say("FORM_OF_UNIT", unit=unit, form=form)
        out.append(make("W_FORM_MISSING", files.get(unit, ""), sheet=sheet,
                        value=member or unit, detail=detail))
    return out


def participation(roster: pd.DataFrame, member_forms: pd.DataFrame, full_kind: str) -> pd.Series:
    """参评率 per unit: full members with at least one ballot / full members (`member_forms`: one row
    per member and form with a ballot)."""
    full = roster.loc[roster["member_kind"] == full_kind, ["unit_code", "member_id"]]
    voted = member_forms[["unit_code", "member_id"]].drop_duplicates().assign(_voted=True)
    has = full.merge(voted, on=["unit_code", "member_id"], how="left")["_voted"].notna()
    return has.groupby(full["unit_code"].to_numpy()).mean()


def member_stats_by_unit(campaign: Campaign, parts) -> pd.DataFrame:
    """Member criterion stats computed one unit's long ballots at a time (memory stays one unit's)."""
    return combine_member_stats(campaign, [scoring.in_campaign_order(
        scoring.criterion_stats(part, campaign, "member", votes=False), campaign, "member") for part in parts])


def combine_member_stats(campaign: Campaign, stats: list[pd.DataFrame]) -> pd.DataFrame:
    """The units' member criterion stats as one table, in campaign order. Each part is one unit's in
    campaign order (scoring.unit_member_stats), so the parts in unit order are the table in order: the
    round sorts no table of every member's criteria. Parts that mix units are sorted whole."""
    stats = [s for s in stats if len(s)]
    if not stats:
        return scoring.criterion_stats(pd.DataFrame(columns=scoring.KEY[:3] + ["ballot_id", "criterion", "option"]),
                                       campaign, "member")
    units = [s["unit_code"].unique() for s in stats]
    if any(len(u) != 1 for u in units):
        return scoring.in_campaign_order(pd.concat(stats), campaign, "member")
    by_unit = {u[0]: s for u, s in zip(units, stats)}
    return pd.concat([by_unit[u] for u in sorted(by_unit)], ignore_index=True)


def score_round(campaign: Campaign, files: dict[str, str], org_long: pd.DataFrame, member_stats: pd.DataFrame,
                roster: pd.DataFrame, decisions: pd.DataFrame) -> RoundScores:
    """Scores of the reporting units (`files`: unit code -> its accepted file) and of their members.
    `member_stats` is `scoring.criterion_stats` of the members' ballots, in campaign order, as
    combine_member_stats gives it (see member_stats_by_unit)."""
    full_kind = campaign.roles.full_member
    reporting = sorted(files)
    org_long = org_long[org_long["unit_code"].isin(reporting)]
    org_stats = scoring.in_campaign_order(scoring.criterion_stats(org_long, campaign, "org"), campaign, "org")
    org_forms = scoring.in_campaign_order(scoring.form_scores(org_stats), campaign, "org")
    member_forms = scoring.in_campaign_order(scoring.form_scores(member_stats), campaign, "member")

    units = pd.DataFrame({"unit_code": pd.Series(reporting, dtype=object),
                          "member_id": pd.Series([""] * len(reporting), dtype=object)})
    org = units.merge(scoring.composites(org_forms, campaign, "org"), on=["unit_code", "member_id"], how="left")
    org["grade"] = scoring.band_grades(org["composite"], campaign.grades["org"])
    org["rank"] = scoring.competition_rank(org["composite"])
    org["participation_rate"] = org["unit_code"].map(participation(roster, member_forms, full_kind))

    comp = scoring.composites(member_forms, campaign, "member")
    members = scoring.member_grades(comp, member_stats, roster, campaign, full_kind)
    decided = decisions.drop_duplicates(["unit_code", "member_id"])[["unit_code", "member_id", "decided_grade"]]
    members = members.merge(decided, on=["unit_code", "member_id"], how="left")
    members["decided_grade"] = members["decided_grade"].astype(object).where(members["decided_grade"].notna(), None)
    members = members.sort_values(["unit_code", "member_id"], ignore_index=True)

    roster_sheet = campaign.workbooks["unit"].sheet("roster").name
    findings = _missing_forms(campaign, "org", units, org_forms, files, "")
    findings += _missing_forms(campaign, "member", roster[["unit_code", "member_id"]], member_forms, files,
                               roster_sheet)
    extra = ["veto_rate"] if "veto_rate" in members else []  # the veto form's pooled top-2 rate, for the report
    return RoundScores(org_stats, member_stats, org_forms, member_forms, org[ORG_RESULT_COLUMNS],
                       members[MEMBER_RESULT_COLUMNS + extra], findings)


def score_csv(stats: pd.DataFrame) -> pd.DataFrame:
    """The per-criterion table as exported: figures to four decimals, enough to redo every sum by hand."""
    out = stats[SCORE_COLUMNS].copy()
    out["mean_points"] = out["mean_points"].round(4)
    out["top2_rate"] = out["top2_rate"].round(4)
    return out
