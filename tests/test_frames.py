"""frames.records and frames.values: what to_dict("records") gives, without pandas' per-value boxing."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from pipeline.frames import records, values


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if a is pd.NaT or b is pd.NaT:
        return a is b
    return type(a) is type(b) and (a is b or a == b)


def _assert_like_to_dict(frame: pd.DataFrame) -> None:
    got, want = records(frame), frame.to_dict("records")
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert list(g) == list(w)
        assert all(_same(g[k], w[k]) for k in g), (g, w)


def test_every_kind_of_column_gives_what_to_dict_gives():
    _assert_like_to_dict(pd.DataFrame({
        "text": pd.array(["x", None, "z"], dtype="string"), "inferred_text": ["a", None, np.nan],
        "int": [1, 2, 3], "float": [1.5, np.nan, 2.0], "nullable_int": pd.array([1, None, 3], dtype="Int64"),
        "nullable_float": pd.array([1.5, None, 2], dtype="Float64"), "flag": [True, False, True],
        "nullable_flag": pd.array([True, None, False], dtype="boolean"), "codes": [["A"], [], ["B", "C"]],
        "day": [dt.date(2010, 1, 1), None, None], "stamp": pd.to_datetime(["2010-01-01", None, "2011-01-01"]),
        "category": pd.Categorical(["a", None, "b"])}))


def test_an_empty_frame_has_no_records():
    assert records(pd.DataFrame({"a": pd.array([], dtype="string")})) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.text(max_size=5)), st.one_of(st.none(), st.integers(-5, 5)),
                          st.floats(allow_nan=True, allow_infinity=False)), max_size=12))
def test_any_text_int_and_float_columns_give_what_to_dict_gives(rows):
    frame = pd.DataFrame(rows, columns=["t", "i", "f"])
    frame["s"] = frame["t"].astype("string")
    frame["n"] = frame["i"].astype("Int64")
    _assert_like_to_dict(frame)
    assert all(_same(a, b) for a, b in zip(values(frame, "s"), frame["s"].tolist()) if b is not pd.NA)
