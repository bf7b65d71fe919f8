"""Read exactly or refuse (SPEC §4): a date in an undocumented form, a fraction in a whole-number column or
a serial from a 1904 workbook is never guessed, blanked or taken from the clock; it is read exactly, or
reported at its cell with the value seen."""

import datetime as dt
import os

import pytest
from conftest import make_demo
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from pipeline.validation import validate


def _unit(campaign, tmp_path, **kw):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=5, seed=7, **kw)
    return next(inbox.glob("FN01*.xlsx"))


def _cell(campaign, sheet_key, column_key, row=2):
    layout = campaign.workbooks["unit"]
    keys = [c.key for c in layout.worksheet_columns(sheet_key)]
    return layout.worksheet_name(sheet_key), f"{get_column_letter(keys.index(column_key) + 1)}{row}"


def _typed(campaign, tmp_path, sheet_key, column_key, value, epoch=None, **demo):
    """A demo unit's file with `value` typed into the first row of a column, validated: (submission, cell)."""
    path = _unit(campaign, tmp_path, **demo)
    sheet, cell = _cell(campaign, sheet_key, column_key)
    wb = load_workbook(path)
    if epoch:
        wb.epoch = epoch
    wb[sheet][cell].value = value
    wb.save(path)
    return validate.validate_file(path, path.name, campaign), sheet, cell


@pytest.mark.parametrize("typed", ["2010-08", "12.08.2010", "today", "20100801", "2010年8月"])
def test_a_date_in_an_undocumented_form_is_an_error_at_its_cell(campaign, tmp_path, typed):
    sub, sheet, cell = _typed(campaign, tmp_path, "rectifications", "deadline", typed)
    assert [(f.code, f.sheet, f.cell, f.value) for f in sub.errors] == [("E_DATE", sheet, cell, typed)]


@pytest.mark.parametrize("typed", ["2010-8-15", "2010/8/15", "2010.8.15", "2010年8月15日", "２０１０－８－１５"])
def test_the_documented_text_dates_are_read_with_a_note(campaign, tmp_path, typed):
    sub, _, cell = _typed(campaign, tmp_path, "rectifications", "deadline", typed)
    assert sub.accepted
    assert sub.tables["rectifications"]["deadline"].iloc[0] == dt.date(2010, 8, 15)
    assert [(f.code, f.cell) for f in sub.findings if f.cell == cell] == [("N_DATE_TEXT", cell)]


@pytest.mark.parametrize("epoch, serial, want", [
    ("1900", 40391, dt.date(2010, 8, 1)), ("1900", 1, dt.date(1900, 1, 1)), ("1900", 61, dt.date(1900, 3, 1)),
    ("1904", 38929, dt.date(2010, 8, 1))])
def test_an_excel_serial_counts_from_the_workbooks_own_epoch(campaign, tmp_path, epoch, serial, want):
    # A bare number in a date column (typed, or pasted as values); Mac Excel and some WPS settings save
    # dates counted from 1904-01-01.
    sub, _, cell = _typed(campaign, tmp_path, "rectifications", "deadline", serial,
                          epoch=CALENDAR_MAC_1904 if epoch == "1904" else None)
    assert sub.tables["rectifications"]["deadline"].iloc[0] == want
    assert not [f for f in sub.findings if f.cell == cell and f.code in ("E_DATE", "E_TYPE")]


@pytest.mark.parametrize("sheet_key, column_key, value", [
    ("activities", "attendance", 12.5), ("member_tallies", "n_ballots", 4.5), ("member_tallies", "n1", 1.5)])
def test_a_fraction_in_a_whole_number_column_is_an_error_naming_the_value(campaign, tmp_path, sheet_key,
                                                                          column_key, value):
    sub, sheet, cell = _typed(campaign, tmp_path, sheet_key, column_key, value, tallies=sheet_key == "member_tallies")
    here = [(f.code, f.value) for f in sub.errors if (f.sheet, f.cell) == (sheet, cell)]
    assert here == [("E_TYPE", str(value))], [(f.code, f.sheet, f.cell, f.value) for f in sub.errors]
    assert not sub.accepted  # never stored as blank


def test_a_filled_on_date_after_the_run_is_an_error_and_never_wins(campaign, tmp_path):
    """A typo 2011-07-28 (for 2010) in 填报日期 would have superseded the unit's corrected file dated
    2010-08-01: it is an error on that cell, and the corrected file is the one that counts."""
    from conftest import AS_OF

    from pipeline.run import batch
    from pipeline.layout import INFO_FIRST_ROW, INFO_SHEET
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=5, seed=7)
    first = next(inbox.glob("FN01*.xlsx"))
    row = INFO_FIRST_ROW + [f.key for f in campaign.workbooks["unit"].info].index("filled_on")
    typo = inbox / "FN01更正前.xlsx"
    wb = load_workbook(first)
    wb[INFO_SHEET].cell(row, 2).value = dt.date(2011, 7, 28)
    wb.save(typo)
    wb = load_workbook(first)
    wb[INFO_SHEET].cell(row, 2).value = dt.date(2010, 8, 1)
    wb.save(first)
    os.utime(typo, (first.stat().st_mtime + 60,) * 2)  # the typo saved last: it would have won before
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    files = {f.name: f for f in result.files}
    assert files[typo.name].stored.status == "rejected" and files[first.name].stored.status == "accepted"
    (err,) = files[typo.name].stored and [f for f in files[typo.name].findings if f.is_error]
    assert (err.code, err.sheet, err.cell, err.value) == ("E_FUTURE_DATE", INFO_SHEET, f"B{row}", "2011-07-28")
    assert result.report.files["FN01"] == first.name


def test_a_formula_whose_result_was_never_stored_is_its_own_finding(campaign, tmp_path):
    """openpyxl (like any program) writes formulas without results: Excel shows a number, the file holds
    none. Not "empty" and not "read as ''": 请在 Excel/WPS 中打开并保存."""
    sub, _, cell = _typed(campaign, tmp_path, "activities", "attendance", "=20+5")
    here = [(f.code, f.cell) for f in sub.findings if f.cell == cell]
    assert here == [("E_FORMULA_NO_VALUE", cell)] and "打开并保存" in sub.errors[0].message
