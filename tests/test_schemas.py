"""pandera schemas are built from the campaign file, and their failure cases land on Excel cells."""

import copy
import datetime as dt

import pandas as pd
import pandera.pandas as pa
import pytest
from conftest import make_demo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.campaign import parse
from pipeline.intake.read import SheetData, read_workbook
from pipeline.validation import normalise, schemas, validate


def _sheet(campaign, key, frame, header_row=1):
    spec = campaign.workbooks["unit"].sheet(key)
    letters = {c.key: chr(65 + j) for j, c in enumerate(spec.columns)}
    frame = frame.copy()
    frame["_row"] = range(header_row + 1, header_row + 1 + len(frame))
    return SheetData(spec, spec.name, header_row, letters, frame)


def test_schema_columns_follow_the_campaign(campaign, raw_campaign):
    s = schemas.build(campaign.workbooks["unit"].sheet("org_ballots"), {})
    assert list(s.columns) == ["ballot_id", "form", "O1", "O2", "O3", "O4", "O5", "opinion"]
    assert s.columns["ballot_id"].unique and not s.columns["ballot_id"].nullable
    d = copy.deepcopy(raw_campaign)
    d["criteria"]["org"].append({"code": "O6", "name": "作风建设好", "description": "作风务实。"})
    s6 = schemas.build(parse(d).workbooks["unit"].sheet("org_ballots"), {})
    assert "O6" in s6.columns


def test_failures_map_to_cells_with_the_header_offset(campaign):
    frame = pd.DataFrame({"held_on": [pd.Timestamp("2010-06-01").date(), "2010-13-45", None],
                          "activity_type": ["讲党课", "跳舞", "座谈会"], "attendance": [30, "三十", 100001],
                          "summary": [None, None, None], "reported": ["是", "否", "是"]}, dtype=object)
    sd = _sheet(campaign, "activities", frame, header_row=3)
    got = sorted((f.code, f.cell) for f in schemas.validate(sd.frame, sd, {}, campaign, "f.xlsx"))
    assert got == [("E_DATE", "A5"), ("E_ENUM", "B5"), ("E_RANGE", "C6"), ("E_REQUIRED", "A6"), ("E_TYPE", "C5")]


def test_duplicates_point_at_the_first_occurrence(campaign):
    frame = pd.DataFrame({"member_id": ["A", "B", "A", "A"], "decided_grade": ["合格"] * 4,
                          "explanation": [None] * 4}, dtype=object)
    sd = _sheet(campaign, "decisions", frame)
    dups = [f for f in schemas.validate(sd.frame, sd, {"roster": {"A", "B"}}, campaign, "f") if f.code == "E_DUPLICATE_ID"]
    assert [(f.cell, f.detail) for f in dups] == [("A4", "A2"), ("A5", "A2")]


def test_failure_case_without_index_is_located_by_value(campaign):
    """pandera leaves `index` empty for some dtype failures: the value is found in the column instead."""
    frame = pd.DataFrame({"held_on": [None, None], "activity_type": ["讲党课"] * 2, "attendance": [12, "十二"],
                          "summary": [None] * 2, "reported": ["是"] * 2}, dtype=object)
    sd = _sheet(campaign, "activities", frame)
    cases = pd.DataFrame({"schema_context": ["Column"], "column": ["attendance"],
                          "check": ["coerce_dtype('Int64')"], "check_number": [None],
                          "failure_case": ["十二"], "index": [None]})
    got = schemas.failure_findings(cases, sd.frame, sd, campaign, "f.xlsx")
    assert [(f.code, f.cell, f.value) for f in got] == [("E_TYPE", "C3", "十二")]


def test_references_are_checked_against_the_roster(campaign):
    frame = pd.DataFrame({"ballot_id": ["1", "2"], "member_id": ["FN01-001", "FN01-999"], "form": ["自评"] * 2,
                          **{c.code: ["好"] * 2 for c in campaign.criteria["member"]}, "opinion": [None] * 2},
                         dtype=object)
    sd = _sheet(campaign, "member_ballots", frame)
    got = schemas.validate(sd.frame, sd, {"roster": {"FN01-001"}}, campaign, "f")
    assert [(f.code, f.cell) for f in got] == [("E_UNKNOWN_MEMBER", "B3")]


def _value(col):
    """Cell values a normalised column may hold: good ones, blanks, and every kind of wrong one."""
    good = [st.sampled_from(sorted(col.enum))] if col.enum else []
    return st.one_of(*good, st.none(), st.integers(-3, 120), st.dates(dt.date(1600, 1, 1), dt.date(2300, 1, 1)),
                     st.sampled_from(["A", "B", "FN01", "x", "", "1.5"]), st.booleans(), st.floats(allow_nan=True))


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")  # pandas, coercing NaN
@given(data=st.data())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_cheap_look_never_passes_a_sheet_that_pandera_would_fail(campaign, data):
    key = data.draw(st.sampled_from(["roster", "activities", "decisions", "org_ballots", "rectifications"]))
    spec = campaign.workbooks["unit"].sheet(key)
    cols = [c for c in spec.columns if c.type != "preview"]
    n = data.draw(st.integers(0, 5))
    frame = pd.DataFrame({c.key: data.draw(st.lists(_value(c), min_size=n, max_size=n)) for c in cols}, dtype=object)
    refs = data.draw(st.sampled_from([{}, {"roster": {"A", "B"}, "subjects": {"A", "B", "FN01"}}]))
    try:
        schemas.build(spec, refs).validate(frame, lazy=True)
        passes = True
    except pa.errors.SchemaErrors:
        passes = False
    assert passes or not schemas.surely_valid(frame, spec, refs), frame.to_dict("records")


def test_clean_demo_sheets_skip_pandera(campaign, tmp_path):
    folder, _ = make_demo(campaign, tmp_path, units=1, members=8, seed=3)
    path = next(folder.glob("FN01*.xlsx"))
    sub = validate.validate_file(path, path.name, campaign)
    assert sub.accepted
    refs = {"roster": set(sub.tables["roster"]["member_id"]), "subjects": set(sub.tables["roster"]["member_id"]) | {"FN01"}}
    wb = read_workbook(path, "xlsx", campaign, path.name)
    looked = 0
    for key, sd in wb.sheets.items():
        df, _ = normalise.normalise(sd, campaign, path.name)
        assert schemas.surely_valid(df.drop(columns="_row"), sd.spec, refs), key
        looked += len(df)
    assert looked > 50
