"""Frames as plain Python values, fast: pandas boxes each value of a text column one call at a time
in to_dict and itertuples, which costs seconds on the round's large tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd


def values(frame: pd.DataFrame, column: str) -> list:
    """One column as a list of Python values, missing ones as to_dict gives them (None for pandas'
    NA, else the column's own missing value)."""
    col = frame[column]
    if isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
        na = col.dtype.na_value
        return col.to_numpy(dtype=object, na_value=None if na is pd.NA else na).tolist()
    return col.to_numpy(dtype=object).tolist()


def records(frame: pd.DataFrame) -> list[dict]:
    """What frame.to_dict("records") gives."""
    cols = list(frame.columns)
    return [dict(zip(cols, row)) for row in zip(*(values(frame, c) for c in cols))]


def day(value) -> dt.date:
    """A stored date as a date, by the first ten characters of its text: a date, a date and time, or a text
    as the ledger keeps it (2010-07-01, perhaps with a time after it)."""
    return dt.date.fromisoformat(str(value)[:10])
