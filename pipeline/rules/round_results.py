"""Everything reported for one round, computed from the ledger's accepted rows: scores, flags,
commendation checks, supervision. Loading is here; the rules live in the pure modules it calls."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from pipeline import scoring
from pipeline.campaign import Campaign
from pipeline.findings import Finding, Flag
from pipeline.frames import records, values
from pipeline.ledger.store import Ledger
from pipeline.rules import commendation, flags, scores, supervision


@dataclass
class RoundReport:
    round: str
    as_of: dt.date
    scores: scores.RoundScores
    rectifications: pd.DataFrame
    coverage: pd.DataFrame
    nominations: pd.DataFrame
    eligible: pd.DataFrame
    submissions: pd.DataFrame
    missing_activities: pd.DataFrame
    activity_reports: pd.DataFrame
    spot_checks: pd.DataFrame
    roster: pd.DataFrame
    unit_counts: pd.DataFrame  # per unit: items, closed, each R_ flag, 应整改未整改 (flags.unit_counts): one home
    files: dict[str, str] = field(default_factory=dict)  # unit -> accepted file name
    street_file: str | None = None
    publish_on: dt.date | None = None  # the results' 公示 starts (`--publish-on`); else the round's date
    previous: "Previous | None" = None  # the previous round's results, from the ledger, when it has any

    @property
    def findings(self) -> list[Finding]:
        return self.scores.findings

    @property
    def flags(self) -> list[Flag]:
        """Every flag of the round as a record: each item's R_ codes, then the C_ coverage rows."""
        rect = self.rectifications
        items = [Flag(code, u, item_id=str(i)) for u, i, codes in
                 zip(values(rect, "unit_code"), values(rect, "item_id"), values(rect, "flags")) for code in codes]
        return items + [Flag(r["code"], r["unit_code"], r["member_id"] or "", r["criterion"] or "", "", r["detail"])
                        for r in records(self.coverage)]

    def for_workbooks(self) -> "RoundReport":
        """This report without the per-member, per-criterion table, which no workbook shows: what a
        second process needs to write them, at a fraction of the size."""
        return dataclasses.replace(self, scores=dataclasses.replace(self.scores,
                                                                    member_stats=self.scores.member_stats.head(0)))

    def release_member_stats(self) -> None:
        """The per-member, per-criterion table is the round's largest; once exported to
        member_scores.csv nothing else needs it, and the workbooks are written without it."""
        self.scores.member_stats = self.scores.member_stats.head(0)


@dataclass
class Previous:
    """The previous round's results as the ledger holds them (SPEC §5: comparisons never read outbox/)."""
    round: str
    org_results: pd.DataFrame
    member_results: pd.DataFrame
    rectifications: pd.DataFrame  # the ledger rows of its items (status as recorded then)


def _opinions(campaign: Campaign, rows: pd.DataFrame) -> pd.DataFrame:
    """The opinions written on `rows` (ballots or tally rows) of the public's forms (role "public")."""
    public = {f.name for g in campaign.forms.values() for f in g if f.role == "public"}
    df = rows.reindex(columns=["unit_code", "form", "opinion"])  # a sheet nobody used has no columns
    return df[df["form"].isin(public) & df["opinion"].notna() & (df["opinion"].astype(str).str.strip() != "")]


def _history(campaign: Campaign, ledger: Ledger) -> pd.DataFrame:
    parts = []
    for rnd in campaign.rounds:
        ids = [s.id for s in ledger.accepted(rnd.code, "unit")]
        if ids:
            d = ledger.rows("decisions", ids)[["unit_code", "member_id", "decided_grade"]]
            parts.append(d.assign(round=rnd.code))
    return pd.concat(parts) if parts else \
        pd.DataFrame(columns=["unit_code", "member_id", "decided_grade", "round"])  # read column by column


def _dropped(campaign: Campaign, ledger: Ledger, round_code: str) -> pd.DataFrame:
    before = campaign.round_before(round_code)
    if before is None:
        return pd.DataFrame(columns=flags.COVERAGE_COLUMNS)
    prev = [s.id for s in ledger.accepted(before.code, "unit")]
    cur = ledger.accepted(round_code, "unit")
    return flags.dropped_items(ledger.rows("rectifications", prev), ledger.rows("rectifications", [s.id for s in cur]),
                               {s.unit_code for s in cur}, campaign, before.name, campaign.round(round_code).name)


def _scored(campaign: Campaign, ledger: Ledger, units: list, street: list,
            known_stats: dict[int, pd.DataFrame] | None = None) -> tuple[scores.RoundScores, dict]:
    """The round's scores from the accepted rows, and the frames the flags read again. `known_stats`:
    submission id -> that unit's member criterion stats, as validation computed them in this run."""
    files = {s.unit_code: s.original_name for s in units}
    ids = [s.id for s in units]
    street_form = campaign.form_by_role("org", "street").name
    org_wide = ledger.rows("org_ballots", ids)
    reviews = ledger.rows("street_reviews", [s.id for s in street]).assign(form=street_form)
    org_long = pd.concat([scoring.long_ballots(org_wide, campaign, "org"),
                          scoring.long_ballots(reviews, campaign, "org"),
                          scoring.tally_ballots(ledger.rows("org_tallies", ids), campaign, "org")])
    units_of = {s.id: s.unit_code for s in units}
    known = known_stats or {}

    def member_stats_of(sid: int) -> pd.DataFrame:
        """One unit's member stats: as validation computed them in this run, else from its stored
        rows (one unit at a time: the district's ballots are never all in memory)."""
        if sid in known:
            return known[sid]
        return scoring.unit_member_stats(campaign, units_of[sid], ledger.rows("member_ballots", [sid]),
                                         ledger.rows("member_tallies", [sid]))
    member_stats = scores.combine_member_stats(campaign, [member_stats_of(sid) for sid in ids])
    roster = ledger.rows("roster", ids)
    scored = scores.score_round(campaign, files, org_long, member_stats, roster, ledger.rows("decisions", ids))
    return scored, {"org_wide": org_wide, "reviews": reviews, "roster": roster}


def previous(campaign: Campaign, ledger: Ledger, round_code: str) -> Previous | None:
    """The round before `round_code` as the ledger holds it (as this run sees it), or None when it has none."""
    before = campaign.round_before(round_code)
    units = ledger.accepted(before.code, "unit") if before else []
    if not units:
        return None
    scored, _ = _scored(campaign, ledger, units, ledger.accepted(before.code, "street"))
    return Previous(before.code, scored.org_results, scored.member_results,
                    ledger.rows("rectifications", [s.id for s in units]))


def build(campaign: Campaign, ledger: Ledger, round_code: str, as_of: dt.date,
          known_stats: dict[int, pd.DataFrame] | None = None) -> RoundReport:
    """The round's report from the ledger's accepted submissions. `known_stats`: submission id ->
    that unit's member criterion stats, as validation computed them in this run (not recomputed)."""
    rnd = campaign.round(round_code)
    units = ledger.accepted(round_code, "unit")
    street = ledger.accepted(round_code, "street")
    files = {s.unit_code: s.original_name for s in units}
    ids = [s.id for s in units]
    scored, read = _scored(campaign, ledger, units, street, known_stats)
    org_wide, reviews, roster = read["org_wide"], read["reviews"], read["roster"]
    # Opinions written on ballots, and those a tallied unit recorded beside its tallies: alike.
    opinions = pd.concat([_opinions(campaign, org_wide)] + [
        _opinions(campaign, ledger.rows(sheet, ids, ["form", "opinion"], filled="opinion"))
        for sheet in ("member_ballots", "member_tallies", "org_tallies")])  # grouped: no index read

    items = ledger.rows("rectifications", ids)
    rect = flags.rectifications(items, as_of, campaign)
    members = scored.member_results.merge(roster[["unit_code", "member_id", "name", "is_worker"]],
                                          on=["unit_code", "member_id"], how="left")
    coverage = pd.concat([flags.coverage(campaign, items, scored.org_stats, scored.member_stats, members,
                                         reviews[reviews["unit_code"].isin(files)], opinions),
                          _dropped(campaign, ledger, round_code)], ignore_index=True)

    counts = flags.unit_counts(campaign, [u.code for u in campaign.units], rect, coverage)
    overdue = dict(zip(counts["unit_code"], counts["R_OVERDUE"]))
    nominations, eligible = commendation.check(campaign, rnd, ledger.rows("nominations", ids), scored.org_results,
                                               members, _history(campaign, ledger), overdue)

    states = supervision.unit_states(ledger.all_submissions(), round_code)
    activities = ledger.rows("activities", ids)
    closed = items[items["status"] == campaign.rectification.closed_status]
    return RoundReport(
        round_code, as_of, scored, rect, coverage, nominations, eligible,
        supervision.submissions(campaign, rnd, as_of, states),
        supervision.missing_activities(rnd, as_of, activities, sorted(files)),
        supervision.activity_reports(activities, campaign.roles.yes),
        supervision.spot_checks(campaign, rnd, as_of, sorted(files), closed),
        roster, counts, files, street[0].original_name if street else None)
