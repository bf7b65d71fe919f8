"""Validation of one received file: read, normalise, schema, cross-sheet checks. Any error rejects
the whole submission; warnings and notes do not."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline import scoring
from pipeline.campaign import Campaign
from pipeline.findings import Finding, make
from pipeline.intake import sniff
from pipeline.intake.read import Rejected, SheetData, Workbook, read_workbook
from pipeline.layout import INFO_SHEET
from pipeline.validation import crosscheck, normalise, schemas


@dataclass
class Submission:
    file: str
    format: str | None = None
    kind: str | None = None  # "unit", "street" or None
    unit_code: str = ""
    round: str = ""
    info: dict = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # layout sheet key -> normalised rows
    workbook: Workbook | None = None
    findings: list[Finding] = field(default_factory=list)
    member_stats: pd.DataFrame | None = None  # an accepted unit's member criterion stats, for the round
    prepared: dict | None = None  # the rows as the ledger stores them, when a worker prepared them

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def accepted(self) -> bool:
        return self.kind is not None and not self.errors


def _info(wb: Workbook, campaign: Campaign, file: str) -> tuple[dict, list[Finding]]:
    """The 填报说明 values, checked: unit code and round known, required fields filled, the round the same
    as the template's and not contradicted by the 填报日期. (A date after the run's as-of date is decided
    by each run: ledger/verdicts.py.)"""
    out, findings = {}, []
    for f in campaign.workbooks[wb.identity.kind].info:
        raw, cell = wb.identity.info.get(f.key, (None, ""))
        where = dict(sheet=INFO_SHEET, cell=cell, column=f.label)
        if normalise.is_blank(raw):
            if f.key == "round" and wb.identity.meta.get("round"):
                out[f.key] = wb.identity.meta["round"]
            elif f.required:
                findings.append(make("E_REQUIRED", file, **where))
            continue
        if f.type == "date":
            value, code, detail = normalise._date(raw, wb.date1904)
            if not isinstance(value, dt.date):
                findings.append(make("E_DATE", file, value=raw, **where))
                continue
        else:
            value = normalise.nfkc(normalise._number_text(raw) if isinstance(raw, float) else str(raw))
            code, detail = None, value
            if f.enum:
                value = value.upper() if value.upper() in f.enum else value
                code = "N_NORMALISED" if value != raw else None
                chosen = normalise.unit_choices(campaign).get(re.sub(r"\s+", "", value))  # the dropdown: "FN01 丰年社区党委"
                if chosen:
                    value, code = chosen, None
                if value not in f.enum:
                    findings.append(make("E_UNKNOWN_UNIT" if f.key == "unit_code" else "E_UNKNOWN_ROUND",
                                         file, value=raw, **where))
                    continue
        if code:
            findings.append(make(code, file, value=raw, detail=detail, **where))
        out[f.key] = value
    meta_round = wb.identity.meta.get("round")
    if meta_round and out.get("round") and out["round"] != meta_round:
        # The template knows its round; a typed round that disagrees is a mistake on that cell.
        findings.append(make("E_ROUND_MISMATCH", file, sheet=INFO_SHEET, cell=wb.identity.info["round"][1],
                             value=out["round"], detail=meta_round))
        out["round"] = meta_round
    elif out.get("round"):
        raw, cell = wb.identity.info.get("round", (None, ""))
        findings += [make("E_ROUND_DATES", file, sheet=INFO_SHEET, cell=cell, column=f.label,
                          value=out["round"] if normalise.is_blank(raw) else raw, detail=why)
                     for f in campaign.workbooks[wb.identity.kind].info if f.type == "date"
                     for why in [crosscheck.other_round(campaign, out["round"], f.label, out.get(f.key))] if why]
    return out, findings


def _refs(tables: dict[str, pd.DataFrame], unit_code: str, campaign: Campaign) -> dict[str, set[str]]:
    """The ids references must name; none when the roster could not be read (one root error, not a
    cascade of unknown members)."""
    if "roster" not in tables:
        return {}
    roster = set(tables["roster"]["member_id"].dropna())
    # With the unit code itself wrong, any unit code passes here: one root error, not a cascade.
    units = {unit_code} if unit_code else {u.code for u in campaign.units}
    return {"roster": roster, "subjects": roster | units}


def _typed(df: pd.DataFrame, sd: SheetData) -> pd.DataFrame:
    """Dates as datetime.date and counts as integers, once the schema has accepted them."""
    out = df.copy()
    for col in sd.spec.columns:
        if col.key not in out:
            continue
        if col.type == "date":
            values = out[col.key].to_numpy(dtype=object)
            if all(v is None or type(v) is dt.date for v in values):  # as normalisation leaves them
                out[col.key] = values
                continue
            parsed = pd.to_datetime(out[col.key], errors="coerce")
            out[col.key] = [None if pd.isna(v) else v.date() for v in parsed]
        elif col.type == "int" and out.empty:
            out[col.key] = pd.array([], dtype="Int64")
        elif col.type == "int":
            n = pd.to_numeric(out[col.key], errors="coerce").astype("float64")
            kept = (n == n.round()) & (n.abs() <= schemas.MAX_INT)  # a fraction or a huge number was reported, not kept
            out[col.key] = n.where(kept).astype("Int64")
    return out


def validate_workbook(wb: Workbook, campaign: Campaign, file: str) -> Submission:
    sub = _checked(wb, campaign, file)
    # An Excel error value (E_FORMULA_ERROR) or a formula never calculated (E_FORMULA_NO_VALUE) reads as an
    # empty cell: one finding there, not two.
    errors = {(f.sheet, f.cell) for f in sub.findings if f.code in ("E_FORMULA_ERROR", "E_FORMULA_NO_VALUE")}
    if errors:
        sub.findings = [f for f in sub.findings if f.code != "E_REQUIRED" or (f.sheet, f.cell) not in errors]
    # A worksheet that holds two layout sheets (评定结果 beside the members) is read twice: one finding
    # for one cell, not two.
    sub.findings = list(dict.fromkeys(sub.findings))
    return sub


def _checked(wb: Workbook, campaign: Campaign, file: str) -> Submission:
    sub = Submission(file, wb.format, wb.identity.kind, workbook=wb, findings=list(wb.findings))
    sub.info, info_findings = _info(wb, campaign, file)
    sub.findings += info_findings
    sub.unit_code = sub.info.get("unit_code", "") if sub.kind == "unit" else ""
    sub.round = sub.info.get("round", wb.identity.meta.get("round", ""))
    layout = campaign.workbooks[sub.kind]
    # A sheet that lost a column (E_MISSING_COLUMN, already reported) is not checked further: its
    # rows cannot be read as the layout says, and the file is rejected anyway.
    incomplete = {f.sheet for f in wb.findings if f.code in ("E_MISSING_COLUMN", "E_OLD_TEMPLATE")}
    for spec in layout.sheets:  # layout order: the roster comes before the sheets that refer to it
        sd = wb.sheets.get(spec.key)
        if sd is None or sd.name in incomplete:
            continue
        df, notes = normalise.normalise(sd, campaign, file, wb.date1904)
        sub.findings += notes
        sub.findings += schemas.validate(df, sd, _refs(sub.tables, sub.unit_code, campaign), campaign, file)
        sub.tables[spec.key] = _typed(df, sd)
    t, s = sub.tables, wb.sheets
    if incomplete or any(spec.key not in t for spec in layout.sheets if not spec.optional):
        return sub  # the cross-sheet checks need every sheet whole; the missing part is already an error
    sub.findings += crosscheck.rating_scales(t, s, campaign, file)
    sub.findings += crosscheck.ballot_counts(t, s, campaign, file)
    sub.findings += crosscheck.tallies(t, s, campaign, file)
    if sub.kind == "unit":
        sub.findings += crosscheck.not_reviewed(t, s, campaign, file)
    sub.findings += crosscheck.date_order(t, s, file)
    sub.findings += crosscheck.ballot_rounds(t, s, campaign, sub.round, file)
    if sub.kind == "unit":
        sub.findings += crosscheck.decisions_cover_roster(t, s, campaign, file)
        sub.findings += crosscheck.nomination_subjects(t, s, campaign, sub.unit_code, file)
        if not sub.errors and "member_ballots" in t:  # suggested grades need ballots without errors
            sub.member_stats = scoring.unit_member_stats(campaign, sub.unit_code, t["member_ballots"],
                                                         t.get("member_tallies"))
            sub.findings += crosscheck.grade_decisions(t, s, campaign, sub.unit_code, file, sub.member_stats)
    return sub


def validate_file(path: Path, name: str, campaign: Campaign) -> Submission:
    """Everything the bytes of one received file say, as a Submission; never raises for a bad file."""
    s = sniff.sniff(path, campaign.limits)
    if s.code:
        return Submission(name, findings=[make(s.code, name, detail=s.detail)])
    try:
        wb = read_workbook(path, s.format, campaign, name)
    except Rejected as r:
        return Submission(name, s.format, unit_code=r.unit_code or "", findings=[r.finding])
    return validate_workbook(wb, campaign, name)
