"""pandera schemas built at run time from the campaign's workbook layouts, and their failure
cases mapped back to Excel cells as findings."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.campaign import Campaign, Column, Sheet
from pipeline.findings import Finding, make
from pipeline.intake.read import SheetData

if TYPE_CHECKING:
    import pandera.pandas as pa

def _pandera():
    """pandera, imported when a sheet first needs it: most sheets never do (surely_valid), and the
    import costs every process (the main one and each validation worker) about a tenth of a second."""
    import pandera.pandas
    return pandera.pandas


# Names of the checks built here, mapped to the finding they raise.
IN_ROSTER, KNOWN_SUBJECT, IN_RANGE = "in_roster", "known_subject", "in_range"
WHOLE, A_DATE = "whole_number", "a_date"


MAX_INT = 10**15  # no count is larger: 1e308 or 2**63 in a count cell is refused at the cell, never read


def bounds(col: Column) -> tuple[float, float]:
    """The range a number column accepts: its own min and max, and never past MAX_INT either way."""
    return (-MAX_INT if col.min is None else col.min), (MAX_INT if col.max is None else col.max)


def _in_range(lo, hi) -> pa.Check:
    pa = _pandera()

    def check(s: pd.Series) -> pd.Series:
        n = pd.to_numeric(s, errors="coerce")  # text that is not a number is the coercion's finding
        inside = pd.Series(True, index=s.index)
        if lo is not None:
            inside &= n >= lo
        if hi is not None:
            inside &= n <= hi
        return n.isna() | inside
    return pa.Check(check, name=IN_RANGE)


def _column(col: Column, refs: dict[str, set[str]]) -> pa.Column:
    pa = _pandera()
    checks = []
    dtype = None
    coerce = False
    if col.enum:
        checks.append(pa.Check.isin(list(col.enum)))
    # Normalisation turned every acceptable form into an int or a date: anything else was typed so
    # (12.5 in a count, "2010-08" as a date) and is reported, never guessed by a coercion.
    if col.type == "int":
        checks.append(pa.Check(lambda s: s.map(lambda v: type(v) is int), name=WHOLE))
        checks.append(_in_range(*bounds(col)))
    elif col.type == "date":
        checks.append(pa.Check(lambda s: s.map(lambda v: type(v) is dt.date), name=A_DATE))
    if col.ref == "roster" and "roster" in refs:  # no reference check against a roster that could not be read
        checks.append(pa.Check(lambda s, ids=frozenset(refs.get("roster", ())): s.isin(ids), name=IN_ROSTER))
    elif col.ref == "@subjects" and "subjects" in refs:
        checks.append(pa.Check(lambda s, ids=frozenset(refs.get("subjects", ())): s.isin(ids), name=KNOWN_SUBJECT))
    return pa.Column(dtype, checks=checks, nullable=not col.required, unique=col.unique, coerce=coerce,
                     required=False, name=col.key)


def build(sheet: Sheet, refs: dict[str, set[str]]) -> pa.DataFrameSchema:
    """The schema of one layout sheet; `refs` holds the ids that references must name."""
    return _pandera().DataFrameSchema({c.key: _column(c, refs) for c in sheet.columns if c.type != "preview"}, strict=False)


def _code(col: Column, check: str, value) -> str | None:
    if check.startswith("dtype("):
        return None  # repeats a coercion failure
    if check == "not_nullable":
        return "E_REQUIRED"
    if check == "field_uniqueness":
        return "E_DUPLICATE_ID"
    if check.startswith("coerce_dtype") or check in (WHOLE, A_DATE):
        return "E_DATE" if col.type == "date" else "E_TYPE"
    if check == IN_ROSTER:
        return "E_UNKNOWN_MEMBER"
    if check == KNOWN_SUBJECT:
        return "E_UNKNOWN_SUBJECT"
    if check == IN_RANGE:
        return "E_RANGE"
    if check.startswith("isin"):
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        return "E_RANGE" if col.type == "rating" and numeric else "E_ENUM"
    return "E_TYPE"


def _detail(col: Column, code: str, campaign: Campaign, form: str | None = None) -> str:
    """What the cell may hold: a rating on a ballot of a known form, that form's own options only."""
    own = next((f.scale for g in campaign.forms.values() for f in g if f.name == form), None) \
        if col.type == "rating" else None
    if code == "E_ENUM":
        return "、".join(own.labels if own else col.enum)
    if code == "E_RANGE" and col.type == "rating":
        scales = [own] if own else [s for s in campaign.scales.values() if set(s.labels) & set(col.enum)]
        return "；".join("、".join(f"{o.label}或{o.points:g}" for o in s.scored) for s in scales)
    if code == "E_RANGE":
        lo, hi = bounds(col)
        if col.max is None:
            return f"{lo:g} 以上、不超过 15 位的整数" if col.min is not None else "不超过 15 位的整数"
        return f"{lo:g} 到 {hi:g}"
    if code == "E_TYPE":
        return "整数" if col.type == "int" else "文字"
    return ""


def _clean_column(s: pd.Series, col: Column, refs: dict[str, set[str]]) -> bool:
    """True only when the column's schema surely passes; when in doubt False (pandera then decides).
    Plain Python over the column's values: a few set operations, no pandas call per check."""
    values = s.to_numpy(dtype=object)
    null = pd.isna(values)
    if col.required and null.any():
        return False
    v = values[~null].tolist()
    distinct = set(v)
    if col.unique and (null.sum() > 1 or len(distinct) < len(v)):  # blanks counted as duplicates too: in doubt
        return False
    if col.enum and not distinct <= set(col.enum):
        return False
    if col.type == "int":
        lo, hi = bounds(col)
        if set(map(type, v)) - {int} or (v and (min(distinct) < lo or max(distinct) > hi)):
            return False
    elif col.type == "date":
        if set(map(type, v)) - {dt.date} or not all(1700 < d.year < 2200 for d in distinct):
            return False
    if col.ref == "roster" and "roster" in refs and not distinct <= refs["roster"]:
        return False
    if col.ref == "@subjects" and "subjects" in refs and not distinct <= refs["subjects"]:
        return False
    return True


def surely_valid(df: pd.DataFrame, sheet: Sheet, refs: dict[str, set[str]]) -> bool:
    """A cheap look at the normalised rows: True when the sheet's pandera schema would find nothing.
    Most sheets are clean, and this costs a fraction of building and running the schema; a sheet with
    any doubt goes through pandera, which alone finds and places the problems."""
    if df.empty:  # an optional sheet left empty (得票汇总): every check holds vacuously
        return True
    return all(_clean_column(df[c.key], c, refs) for c in sheet.columns if c.type != "preview" and c.key in df)


def validate(df: pd.DataFrame, sd: SheetData, refs: dict[str, set[str]], campaign: Campaign,
             file: str) -> list[Finding]:
    """Run the sheet's schema lazily and turn every failure case into a finding at its cell."""
    if surely_valid(df, sd.spec, refs):
        return []
    schema = build(sd.spec, refs)
    try:
        schema.validate(df.drop(columns="_row"), lazy=True)
        return []
    except _pandera().errors.SchemaErrors as err:
        return failure_findings(err.failure_cases, df, sd, campaign, file)


def failure_findings(cases: pd.DataFrame, df: pd.DataFrame, sd: SheetData, campaign: Campaign,
                     file: str) -> list[Finding]:
    """pandera's failure cases (column, check, failure_case, index) as findings at Excel cells."""
    data = df.drop(columns="_row")
    findings, seen = [], set()
    for case in cases.itertuples(index=False):
        key = case.column
        if key not in sd.letters:
            continue
        col = sd.spec.column(key)
        code = _code(col, str(case.check), case.failure_case)
        if code is None:
            continue
        if pd.isna(case.index):
            # pandera leaves the index empty for some dtype failures: locate the value instead.
            rows = data.index[data[key].astype(str) == str(case.failure_case)].tolist()
        else:
            rows = [int(case.index)]
        for i in rows:
            value = data.at[i, key]
            if code == "E_DUPLICATE_ID":  # report the later rows, pointing at the first
                first = data.index[data[key].astype(str) == str(value)].min()
                if first == i:
                    continue
                detail = sd.cell(key, df.at[first, "_row"])
            else:
                detail = _detail(col, code, campaign, data.at[i, "form"] if "form" in data else None)
            cell = sd.cell(key, df.at[i, "_row"])
            if (cell, code) in seen:
                continue
            seen.add((cell, code))
            findings.append(make(code, file, sheet=sd.name, cell=cell, column=col.label,
                                 value="" if value is None else value, detail=detail))
    return findings
