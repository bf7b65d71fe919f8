"""Normalisation and header tolerance: what a person types or rearranges is accepted, with a note."""

import datetime as dt

import pytest
from conftest import last_data_row, make_demo, sheet_part
from openpyxl import load_workbook

from pipeline import layout
from pipeline.campaign import Column
from pipeline.validation import normalise, validate


@pytest.mark.parametrize("text, expected", [
    ("2010-6-1", dt.date(2010, 6, 1)), ("2010.6.1", dt.date(2010, 6, 1)), ("2010/06/01", dt.date(2010, 6, 1)),
    ("2010年6月1日", dt.date(2010, 6, 1)), ("２０１０年６月１日", dt.date(2010, 6, 1)),
    ("20100601", None), ("2010-08", None), ("12.08.2010", None), ("today", None), ("2010-6/1", None),
    ("2010-13-45", None), ("2010-2-30", None), ("1800-1-1", None), ("六月一日", None)])
def test_text_dates(text, expected):
    assert normalise.parse_date_text(text) == expected


def test_excel_serial_dates_are_read_with_a_note():
    assert normalise._date(40330.0) == (dt.date(2010, 6, 1), "N_NORMALISED", "2010-06-01")
    assert normalise._date(dt.datetime(2010, 6, 1, 0, 0)) == (dt.date(2010, 6, 1), None, "")


@pytest.mark.parametrize("raw, value, code", [("３０", 30, "N_NORMALISED"), ("30", 30, "N_NORMALISED"),
                                             (30.0, 30, None), ("三十", "三十", None), (30.5, 30.5, None)])
def test_integers(raw, value, code):
    got = normalise._int(raw)
    assert got[0] == value and got[1] == code


def test_ratings_by_label_or_points(campaign):
    rating = campaign.scales["rating"]
    sat = campaign.scales["satisfaction"]
    labels = rating.labels + sat.labels
    assert normalise.rating("较好", rating, labels)[:2] == ("较好", None)
    assert normalise.rating("85分", rating, labels)[:2] == ("较好", "N_POINTS")
    assert normalise.rating("８５分", sat, labels)[:2] == ("比较满意", "N_POINTS")
    assert normalise.rating(100.0, rating, labels)[:2] == ("好", "N_POINTS")
    assert normalise.rating("90分", rating, labels)[:2] == (90.0, None), "off the scale: left for the schema"
    assert normalise.rating(" 好 ", rating, labels)[:2] == ("好", "N_NORMALISED")
    assert normalise.rating("优良", rating, labels)[:2] == ("优良", None)


def test_yes_no_and_gender_variants(campaign):
    yes_no = Column("x", "是否党务工作者", "enum", True, False, 10, campaign.enums["yes_no"])
    assert normalise._enum("Y", yes_no, campaign.aliases)[:2] == ("是", "N_NORMALISED")
    assert normalise._enum("false", yes_no, campaign.aliases)[:2] == ("否", "N_NORMALISED")
    assert normalise._enum("也许", yes_no, campaign.aliases)[:2] == ("也许", None)
    gender = Column("g", "性别", "enum", True, False, 6, campaign.enums["gender"])
    assert normalise._enum("男性", gender, campaign.aliases)[:2] == ("男", "N_NORMALISED")
    assert normalise._enum("女", gender, campaign.aliases)[:2] == ("女", None)


@pytest.fixture()
def one_unit(campaign, tmp_path):
    folder, _ = make_demo(campaign, tmp_path / "in", units=1, seed=11)
    return next(folder.glob("FN01*.xlsx"))


def _validate(campaign, path):
    return validate.validate_file(path, path.name, campaign)


def _codes(sub):
    return sorted((f.code, f.sheet, f.cell) for f in sub.findings)


def test_the_untouched_file_is_clean(campaign, one_unit):
    sub = _validate(campaign, one_unit)
    assert sub.accepted and sub.findings == []
    assert len(sub.tables["roster"]) == 10


def test_renamed_sheet_with_right_headers_is_found(campaign, one_unit):
    wb = load_workbook(one_unit)
    wb["党员名册"].title = "名册（2010）"
    wb.save(one_unit)
    sub = _validate(campaign, one_unit)
    assert sub.accepted
    assert _codes(sub) == [("N_SHEET_RENAMED", "名册（2010）", "")]


def test_inserted_merged_title_rows_and_trailing_blank_rows(campaign, one_unit):
    wb = load_workbook(one_unit)
    ws = wb["活动记录"]
    ws.protection.sheet = False
    n = last_data_row(ws)
    ws.insert_rows(1, 2)
    ws["A1"] = "丰年社区党委创先争优活动记录"
    ws.merge_cells("A1:E1")
    for r in range(n + 3, n + 10):
        ws.cell(r, 1).value = "  "  # blank-looking trailing rows
    wb.save(one_unit)
    sub = _validate(campaign, one_unit)
    assert sub.accepted, _codes(sub)
    assert _codes(sub) == [("N_HEADER_MOVED", "活动记录", "A3")]
    assert len(sub.tables["activities"]) == n - 1


def test_reordered_and_extra_columns(campaign, one_unit):
    wb = load_workbook(one_unit)
    ws = wb["党员名册"]  # 评定结果 sits beside the members: reported once, for the sheet the unit sees
    ws.protection.sheet = False
    for row in ws.iter_rows(max_row=last_data_row(ws)):
        a, b = row[0].value, row[1].value
        row[0].value, row[1].value = b, a
    ws["M1"] = "备注"
    wb.save(one_unit)
    sub = _validate(campaign, one_unit)
    assert sub.accepted, _codes(sub)
    assert _codes(sub) == [("N_COLUMN_ORDER", "党员名册", "A1"), ("N_EXTRA_COLUMN", "党员名册", "M1")]
    assert set(sub.tables["decisions"]["decided_grade"]) <= set(campaign.enums["@member_grades_decided"])


def test_workbook_rebuilt_without_meta_is_recognised_by_headers(campaign, one_unit):
    wb = load_workbook(one_unit)
    del wb[layout.META_SHEET]
    wb.save(one_unit)
    sub = _validate(campaign, one_unit)
    assert sub.accepted and sub.kind == "unit" and sub.unit_code == "FN01"
    assert _codes(sub) == [("N_NO_META", "", "")]


def test_missing_column_is_an_error_at_the_header(campaign, one_unit):
    wb = load_workbook(one_unit)
    wb["党员名册"]["B1"] = "名字"
    wb.save(one_unit)
    sub = _validate(campaign, one_unit)
    assert not sub.accepted
    missing = [f for f in sub.findings if f.code == "E_MISSING_COLUMN"]
    assert [(f.sheet, f.cell, f.column) for f in missing] == [("党员名册", "A1", "姓名")]


def test_unknown_unit_code_in_instructions(campaign, one_unit):
    wb = load_workbook(one_unit)
    wb[layout.INFO_SHEET]["B4"] = "FN77"
    wb.save(one_unit)
    sub = _validate(campaign, one_unit)
    assert [(f.code, f.sheet, f.cell, f.value) for f in sub.errors] == [("E_UNKNOWN_UNIT", "填报说明", "B4", "FN77")]


def test_formula_cells_are_read_by_cached_value_with_a_note(campaign, one_unit, tmp_path):
    # openpyxl cannot write a cached value, so splice one into the sheet XML as Excel would store it.
    import re
    import zipfile
    src = zipfile.ZipFile(one_unit)
    out = tmp_path / "formula.xlsx"
    activities = sheet_part(one_unit, campaign.workbooks["unit"].sheet("activities").name)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == activities:
                data = re.sub(rb'<c r="C2"([^>]*)><v>(\d+)</v></c>',
                              rb'<c r="C2"\1><f>10+\2-10</f><v>\2</v></c>', data, count=1)
                assert b"<f>" in data
            dst.writestr(item, data)
    sub = _validate(campaign, out)
    assert sub.accepted
    assert [(f.code, f.sheet, f.cell) for f in sub.findings] == [("N_FORMULA", "活动记录", "C2")]
