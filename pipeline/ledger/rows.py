"""Rows as the ledger stores them: a layout sheet's fields, its ratings packed into one column,
values as sqlite takes them. Pure, so that a validation worker prepares them and the ledger only
inserts."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.campaign import Sheet

RATING_SEP = "\t"


def row_columns(sheet: Sheet) -> list[str]:
    """The columns a sheet's rows are stored in: its fields, and its ratings packed into one."""
    cols = [c.key for c in sheet.columns if c.type not in ("rating", "preview")]
    return cols + (["ratings"] if sheet.rating_columns else [])


def prepared_rows(layout, sub) -> dict[str, tuple[list[str], list[tuple]]]:
    """An accepted submission's rows as the ledger stores them: sheet key -> (column names, one tuple
    per row). Pure, so a validation worker prepares them and the ledger only inserts."""
    out = {}
    for sheet in layout.sheets:
        df = sub.tables.get(sheet.key)
        if df is None or not sub.workbook or sheet.key not in sub.workbook.sheets:
            continue
        cols = row_columns(sheet)
        values = [df["_row"].astype(int).tolist()]
        for c in cols:
            if c == "ratings":
                parts = [df[k.key].astype(object).where(df[k.key].notna(), "").astype(str).tolist()
                         for k in sheet.rating_columns]
                values.append([RATING_SEP.join(t) for t in zip(*parts)])
            else:
                values.append(_sql_column(df[c]) if c in df else [None] * len(df))
        out[sheet.key] = (["row_no"] + cols, list(zip(*values)))
    return out


def _sql_column(col: pd.Series) -> list:
    """A column as sqlite takes it: None for missing, ISO text for dates, Python ints and floats."""
    if pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_float_dtype(col.dtype):
        return [None if pd.isna(v) else v.item() if hasattr(v, "item") else v for v in col.astype(object)]
    values = col.to_numpy(dtype=object)
    present = ~pd.isna(values)
    if set(map(type, values[present])) <= {str}:  # the usual text column: no conversion but blanks
        return [v if ok else None for v, ok in zip(values, present)]
    return [_sql_value(v) for v in values]


def _sql_value(v):
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v
