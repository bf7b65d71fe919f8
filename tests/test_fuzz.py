"""Fuzzing a valid demo workbook cell by cell (hypothesis): never an unhandled exception, and every
mutation is either accepted or reported at its cell (or, for a date order, on its row)."""

import datetime as dt
import io
import re

import pytest
from conftest import last_data_row, make_demo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from pipeline.outputs.units import returned
from pipeline.validation import validate

# Columns whose value other rows refer to (ids, forms, subjects): changing them moves errors to the
# rows that refer to them, which is right, but not "at its cell".
KEYS = {"member_id", "ballot_id", "form", "subject_id", "item_id", "nomination_kind"}
SHEETS = ["roster", "org_ballots", "member_ballots", "decisions", "rectifications", "activities", "nominations"]

values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.sampled_from(["_x0001_控制字符_x001F_", "=1+1", "+86 139", "@SUM(A1)", "\t缩进", "\n换行", "２０１０年１３月１日",
                     "1e309", "-0", "好 ", "100分", "不了解", "9999-12-31", "0000-00-00", "是", "Y", "长" * 40000]),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)),
)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    from conftest import ROOT

    from pipeline import campaign as c
    campaign = c.load(ROOT / "campaign.toml")
    folder, _ = make_demo(campaign, tmp_path_factory.mktemp("fuzz") / "in", units=1, members=4, seed=5)
    path = next(folder.glob("FN01*.xlsx"))
    return campaign, path.read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_cell_is_accepted_or_reported_at_its_cell(source, tmp_path, data):
    campaign, original = source
    layout = campaign.workbooks["unit"]
    key = data.draw(st.sampled_from(SHEETS))
    sheet = layout.sheet(key)
    on_sheet = layout.worksheet_columns(key)  # 评定结果 sits beside the members in 党员名册
    columns = [c for c in sheet.columns if c.key not in KEYS and c.type != "preview"]
    wb = load_workbook(io.BytesIO(original))
    ws = wb[layout.worksheet_name(key)]
    if last_data_row(ws) < 2 or not columns:
        return
    j = [c.key for c in on_sheet].index(data.draw(st.sampled_from([c.key for c in columns])))
    row = data.draw(st.integers(2, last_data_row(ws)))
    cell = f"{get_column_letter(j + 1)}{row}"
    value = data.draw(values)
    ws.protection.sheet = False
    ws[cell].value = value
    path = tmp_path / "fuzz.xlsx"
    wb.save(path)

    sub = validate.validate_file(path, path.name, campaign)
    codes = [f.code for f in sub.findings]
    assert "E_INTERNAL" not in codes and sub.kind == "unit"
    if not sub.accepted:
        here = [f for f in sub.errors if f.sheet == ws.title and
                (f.cell == cell or re.sub(r"[A-Z]+", "", f.cell) == str(row))]
        assert here, (ws.title, cell, repr(value)[:60], [(f.code, f.sheet, f.cell) for f in sub.errors])
    if any(c[0] in "EW" for c in codes):  # the returned copy must be writable whatever was typed
        out = returned.write(path, sub.format, path.name, sub.findings, "FN01", tmp_path / "ret.xlsx",
                             dt.datetime(2010, 8, 2), "党办")
        assert load_workbook(out)[returned.SHEET].max_row >= 3
