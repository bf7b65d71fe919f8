"""Normalisation (SPEC §4): forgiving in what it accepts, exact in what it reports.

Each accepted change of a value is a note (N_...) at its cell. A value that cannot be read is
left as it was, so that the schema reports it at the same cell.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import numpy as np
import pandas as pd
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel

from pipeline.layout import unit_choice
from pipeline.campaign import Campaign, Column, Scale
from pipeline.findings import Finding, make
from pipeline.intake.read import SheetData

# The documented text dates (README, 填报说明): 2010-6-1, 2010/6/1, 2010.6.1, 2010年6月1日. Nothing else is
# guessed: 2010-08, 12.08.2010 or "today" stay text and are E_DATE at their cell.
_DATE_TEXT = [
    re.compile(r"^(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*(年)\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$"),
]
_POINTS = re.compile(r"^(\d+(?:\.\d+)?)\s*分?$")
_INT = re.compile(r"^[+-]?\d+$")
MIN_YEAR, MAX_YEAR = 1900, 2100


def is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _number_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def parse_date_text(text: str) -> dt.date | None:
    t = nfkc(text)
    for pattern in _DATE_TEXT:
        m = pattern.match(t)
        if m:
            try:
                d = dt.date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
            except ValueError:
                return None
            return d if MIN_YEAR <= d.year <= MAX_YEAR else None
    return None


def _date(v, date1904: bool = False):
    """(value, note code, detail): a date from a date, a whole Excel serial (counted from the workbook's
    own epoch, Excel's 1900 leap-year quirk included) or a text date in a documented form. Anything
    else is left as it is, for the schema to report at its cell."""
    if isinstance(v, dt.datetime):
        return v.date(), None, ""
    if isinstance(v, dt.date):
        return v, None, ""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer() and 1 <= v < 73051:
        d = from_excel(v, CALENDAR_MAC_1904 if date1904 else WINDOWS_EPOCH).date()
        return d, "N_NORMALISED", d.isoformat()
    if isinstance(v, str):
        d = parse_date_text(v)
        if d:
            return d, "N_DATE_TEXT", d.isoformat()
    return v, None, ""


def _int(v):
    if isinstance(v, bool):
        return v, None, ""
    if isinstance(v, int):
        return v, None, ""
    if isinstance(v, float) and v.is_integer():
        return int(v), None, ""
    if isinstance(v, str):
        t = nfkc(v).replace(",", "")
        if _INT.match(t):
            return int(t), "N_NORMALISED", str(int(t))
    return v, None, ""


def _enum(v, column: Column, aliases: dict[str, str], choices: dict[str, str] | None = None):
    """An option as typed or chosen; `choices`: what a dropdown shows -> the option it means (a unit's code and
    name -> its code), taken without a note."""
    text = nfkc(_number_text(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v))
    text = re.sub(r"\s+", "", text)
    if choices and text in choices:
        return choices[text], None, ""
    if text in column.enum:
        return text, ("N_NORMALISED" if text != v else None), text
    canonical = aliases.get(text.upper())
    if canonical in column.enum:
        return canonical, "N_NORMALISED", canonical
    return v, None, ""


def unit_choices(campaign: Campaign) -> dict[str, str]:
    """A unit as the templates' dropdowns show it (code and name, spaces removed) -> its code."""
    return {re.sub(r"\s+", "", nfkc(unit_choice(u.code, u.name))): u.code for u in campaign.units}


def _id(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v)), None, ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v), None, ""
    text = nfkc(str(v))
    return text, ("N_NORMALISED" if text != v else None), text


def _text(v):
    if isinstance(v, float):
        return _number_text(v), None, ""
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10], None, ""
    return (v if isinstance(v, str) else str(v)), None, ""


def rating(v, scale: Scale | None, labels: tuple[str, ...]):
    """A rating given as its label, or as points (85, '85分') when the form's scale is known."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        text = _number_text(v)
    else:
        text = re.sub(r"\s+", "", nfkc(str(v)))
    if text in labels and (scale is None or text in scale.labels):
        return text, ("N_NORMALISED" if text != v else None), text
    m = _POINTS.match(text)
    if m and scale is not None:
        label = scale.label_for_points(float(m.group(1)))
        if label:
            return label, "N_POINTS", label
        return float(m.group(1)), None, ""  # points off the scale: the schema reports the range
    return (text if text in labels else v), None, ""


def _apply(series: pd.Series, fn, unchanged: pd.Series | None = None,
           forms: np.ndarray | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Run `fn` once per distinct value (or per distinct (forms[i], value), when given the row's form);
    returns (new values, note codes, details). Blank cells become None; rows marked `unchanged`
    (already in their normal form) are kept as they are without calling `fn`."""
    raw = series.to_numpy(dtype=object)
    values, codes, details = raw.copy(), np.full(len(raw), None, dtype=object), np.full(len(raw), "", dtype=object)
    todo = np.ones(len(raw), bool) if unchanged is None else ~unchanged.to_numpy(dtype=bool)
    empty = todo & (raw == "")  # the commonest blank cell, marked at once
    values[empty] = None
    cache = {}
    for i in np.flatnonzero(todo & ~empty):
        v = raw[i]
        if is_blank(v):
            values[i] = None
            continue
        key = (type(v), v if forms is None else (forms[i], v))
        if key not in cache:
            cache[key] = fn(key[1])
        values[i], codes[i], details[i] = cache[key]
    idx = series.index
    return pd.Series(values, index=idx, dtype=object), pd.Series(codes, index=idx, dtype=object), \
        pd.Series(details, index=idx, dtype=object)


def _is_str(series: pd.Series) -> pd.Series:
    return pd.Series(np.fromiter((type(v) is str for v in series.to_numpy(dtype=object)), bool, len(series)),
                     index=series.index)


def _clean_ascii(series: pd.Series) -> pd.Series:
    """Strings already in normal form: ASCII (so NFKC leaves them alone) with no outer spaces."""
    return pd.Series(np.fromiter((type(v) is str and v != "" and v.isascii() and v.strip() == v
                                  for v in series.to_numpy(dtype=object)), bool, len(series)), index=series.index)


def _on_scale(forms: np.ndarray, raw: pd.Series, allowed: frozenset) -> pd.Series:
    """Rows whose rating is a label (text) of their form's scale. Ballots repeat a few (form, label)
    pairs: when every distinct pair is right, so is every row."""
    values = raw.to_numpy(dtype=object)
    pairs = set(zip(forms, values))
    if all(type(p[1]) is str and p in allowed for p in pairs):
        return pd.Series(True, index=raw.index)
    return pd.Series(np.fromiter((type(v) is str and (f, v) in allowed for f, v in zip(forms, values)), bool,
                                 len(values)), index=raw.index)


def _form_labels(scales: dict[str, Scale]) -> frozenset[tuple[str, str]]:
    """Every (form, rating label) pair that is right as it stands."""
    return frozenset((form, label) for form, scale in scales.items() for label in scale.labels)


def _scale_for(campaign: Campaign, sd: SheetData, group: str) -> dict[str, Scale] | Scale:
    """The scale per form of this sheet's rows, or the one scale of a sheet without a form column."""
    forms = {f.name: f.scale for f in campaign.forms[group]}
    if any(c.key == "form" for c in sd.spec.columns):
        return forms
    return campaign.form_by_role(group, "street").scale


def normalise(sd: SheetData, campaign: Campaign, file: str,
              date1904: bool = False) -> tuple[pd.DataFrame, list[Finding]]:
    """The sheet's values normalised column by column, with a note for every accepted change; `date1904`:
    the workbook counts date serials from 1904."""
    df = sd.frame.copy()
    if df.empty:  # an optional sheet left empty (得票汇总): nothing to normalise
        return df, []
    notes: list[Finding] = []
    forms_col = None
    for column in sd.spec.columns:  # coded columns first: ratings depend on the form
        if column.key == "form" and column.key in df:
            df["form"], codes, details = _apply(df["form"], lambda v: _enum(v, column, campaign.aliases),
                                                _is_str(df["form"]) & df["form"].isin(column.enum))
            notes += _notes(sd, df, column, codes, details, sd.frame["form"], file)
            forms_col = df["form"]
    for column in sd.spec.columns:
        if column.key not in df or column.key == "form":
            continue
        raw = df[column.key]
        if column.type == "rating":
            group = column.criterion.group
            scales = _scale_for(campaign, sd, group)
            if isinstance(scales, dict):
                forms = (forms_col if forms_col is not None else pd.Series(None, index=raw.index, dtype=object)
                         ).to_numpy(dtype=object)
                ok = _on_scale(forms, raw, _form_labels(scales))
                new, codes, details = _apply(raw, lambda fv: rating(fv[1], scales.get(fv[0]), column.enum), ok,
                                             forms=forms)
            else:
                ok = _is_str(raw) & raw.isin(scales.labels)
                new, codes, details = _apply(raw, lambda v: rating(v, scales, column.enum), ok)
        elif column.type == "enum":
            choices = unit_choices(campaign) if column.enum == tuple(u.code for u in campaign.units) else None
            new, codes, details = _apply(raw, lambda v: _enum(v, column, campaign.aliases, choices),
                                         _is_str(raw) & raw.isin(column.enum))
        elif column.type == "date":
            new, codes, details = _apply(raw, lambda v: _date(v, date1904), raw.map(type) == dt.date)
        elif column.type == "int":
            new, codes, details = _apply(raw, _int, raw.map(type) == int)
        elif column.type == "id":
            new, codes, details = _apply(raw, _id, _clean_ascii(raw))
        else:
            text = _is_str(raw)
            new, codes, details = _apply(raw, _text, text & raw.where(text, "").str.strip().ne(""))
        df[column.key] = new
        notes += _notes(sd, df, column, codes, details, raw, file)
    notes += _formula_notes(sd, df, file)
    return df, notes


def _notes(sd, df, column, codes, details, raw, file) -> list[Finding]:
    """A note where reading changed what the cell shows (a note that says "“24” read as “24”" says nothing)."""
    out = []
    for i in codes.index[codes.notna()]:
        f = make(codes[i], file, sheet=sd.name, cell=sd.cell(column.key, df.at[i, "_row"]),
                 column=column.label, value=raw[i], detail=details[i])
        if f.code != "N_NORMALISED" or f.value != f.detail:
            out.append(f)
    return out


def _formula_notes(sd: SheetData, df: pd.DataFrame, file: str) -> list[Finding]:
    if not sd.formulas:
        return []
    by_letter = {letter: key for key, letter in sd.letters.items()}
    rows = set(df["_row"])
    out = []
    for cell in sorted(sd.formulas):
        m = re.match(r"([A-Z]+)(\d+)$", cell)
        key = by_letter.get(m.group(1))
        if key and int(m.group(2)) in rows:
            value = df.loc[df["_row"] == int(m.group(2)), key].iloc[0]
            code = "E_FORMULA_NO_VALUE" if cell in sd.no_value and is_blank(value) else "N_FORMULA"
            out.append(make(code, file, sheet=sd.name, cell=cell, column=sd.spec.column(key).label, detail=value))
    return out
