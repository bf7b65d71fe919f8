"""Templates: generated from the campaign file, committed, and equal in content to a fresh generation."""

import copy
import re
import zipfile

import pytest
from conftest import ROOT, stored_cells
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from pipeline import layout
from pipeline.campaign import parse
from pipeline.outputs.units import templates


def content(path):
    """Everything a user sees or a reader relies on, per sheet."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "state": ws.sheet_state,
            "cells": {c.coordinate: getattr(c.value, "text", c.value) for c in stored_cells(ws)
                      if c.value is not None},  # an array formula by its text
            "notes": {c.coordinate: c.comment.text for c in stored_cells(ws) if c.comment},
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "validations": sorted((dv.type, dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation),
            "freeze": ws.freeze_panes,
            "protected": ws.protection.sheet,
            "print_titles": ws.print_title_rows,
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        }
    return out


def test_committed_templates_equal_a_fresh_generation(campaign, tmp_path):
    fresh = templates.write_all(campaign, tmp_path)
    committed = sorted(p.name for p in (ROOT / "templates_xlsx").glob("*.xlsx"))
    assert committed == sorted(p.name for p in fresh), "run: python run.py templates"
    for p in fresh:
        assert content(ROOT / "templates_xlsx" / p.name) == content(p), f"{p.name} is stale: python run.py templates"


def test_generation_is_byte_stable(campaign, tmp_path):
    a = templates.write_all(campaign, tmp_path / "a")
    b = templates.write_all(campaign, tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def _dv_for(ws, col_letter):
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            lo_c, lo_r, hi_c, hi_r = range_boundaries(str(rng))
            if lo_c == hi_c and ws[f"{col_letter}1"].column == lo_c and lo_r == 2:
                return dv, hi_r
    return None, None


def _named(wb, name):
    return _range(wb, wb.defined_names[name].attr_text)


def _range(wb, text):
    """The values of a range written as Sheet!$A$1:$A$9."""
    sheet, ref = text.split("!")
    return [c.value for row in wb[sheet][ref.replace("$", "")] for c in row]


def offered(wb, dv, form):
    """What a rating cell's dropdown offers on a row whose 评议方式 is `form` (None: blank), resolving
    INDIRECT("<prefix>"&IFERROR(MATCH(<form cell>,<prefix>forms,0),0)) as Excel and LibreOffice do."""
    prefix = re.match(r'INDIRECT\("([^"]+)"', dv.formula1).group(1)
    forms = _named(wb, f"{prefix}forms")
    return _named(wb, f"{prefix}{forms.index(form) + 1 if form in forms else 0}")


@pytest.mark.parametrize("sheet_key, group", [("org_ballots", "org"), ("member_ballots", "member")])
def test_each_ballot_row_offers_only_its_forms_options(campaign, tmp_path, sheet_key, group):
    path = tmp_path / "t.xlsx"
    templates.build(campaign, "unit", "R1").save(path)
    wb = load_workbook(path)
    sheet = campaign.workbooks["unit"].sheet(sheet_key)
    ws = wb[sheet.name]
    forms = sheet.column("form").enum
    assert forms
    for j, col in enumerate(sheet.columns, start=1):
        if col.type != "rating":
            continue
        dv, _ = _dv_for(ws, ws.cell(1, j).column_letter)
        for name in forms:
            assert offered(wb, dv, name) == list(campaign.form(group, name).scale.labels)
    public = campaign.form_by_role(group, "public").name
    best_rating = campaign.scales["rating"].labels[0]
    assert best_rating not in offered(wb, dv, public)  # a 群众评议 row never offers 好
    if campaign.form_by_role(group, "peer"):
        assert campaign.scales["satisfaction"].labels[0] not in offered(wb, dv, campaign.form_by_role(group, "peer").name)


@pytest.mark.parametrize("layout_key", ["unit", "street"])
def test_every_coded_column_has_a_dropdown_and_headers_are_locked(campaign, tmp_path, layout_key):
    path = tmp_path / "t.xlsx"
    wb = templates.build(campaign, layout_key, "R1")
    wb.save(path)
    wb = load_workbook(path)
    layout = campaign.workbooks[layout_key]
    own = [s for s in layout.sheets if not s.host]  # a guest (评定结果) sits on its host's rows
    assert [s.name for s in own] == [n for n in wb.sheetnames if n in {s.name for s in layout.sheets}]
    assert any(c.enum for s in layout.sheets for c in s.columns)
    for sheet in own:
        ws = wb[sheet.name]
        columns = layout.worksheet_columns(sheet.key)
        # a required column is marked: its header ends in *
        assert [c.value for c in ws[1]] == [c.label + ("*" if c.required else "") for c in columns]
        data = [j for j, c in enumerate(columns, start=1) if c.type != "preview"]
        assert all(row[j - 1] is None for row in ws.iter_rows(min_row=2, values_only=True) for j in data), \
            "templates carry no example rows (only the preview formulas beside the members)"
        assert ws.freeze_panes == ("B2" if layout.guests(sheet.key) else "A2") and ws.protection.sheet
        assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
        for j, col in enumerate(columns, start=1):
            letter = ws.cell(1, j).column_letter
            assert ws.cell(1, j).protection.locked
            assert ws.column_dimensions[letter].protection.locked is (col.type == "preview")
            dv, last = _dv_for(ws, letter)
            if col.type == "rating" and any(c.key == "form" for c in sheet.columns):
                assert dv is not None and dv.type == "list" and dv.formula1.startswith("INDIRECT(")
                assert dv.errorStyle == "warning" and "分值" in dv.error  # typed points may stay
                assert offered(wb, dv, None) == list(col.enum)  # a row with no form yet: every option
            elif col.enum:
                assert dv is not None and dv.type == "list", f"{sheet.name}.{col.label} has no dropdown"
                units = col.enum == tuple(u.code for u in campaign.units)  # code and name, from a list range
                shown = [f"{u.code} {u.name}" for u in campaign.units] if units else list(col.enum)
                listed = _range(wb, dv.formula1) if dv.formula1.startswith("_lists!") else dv.formula1.strip('"').split(",")
                assert listed == shown
                assert last >= campaign.limits.template_rows
            elif col.option:  # a tally count: a whole number in a column of the row's form
                assert dv is not None and dv.type == "custom" and "INDIRECT(" in dv.formula1
            elif col.type in ("date", "int"):
                assert dv is not None and dv.type in ("date", "whole")


def test_meta_sheet_is_very_hidden_and_names_the_template(campaign, tmp_path):
    path = templates.write_all(campaign, tmp_path)[0]
    wb = load_workbook(path)
    meta = wb[layout.META_SHEET]
    assert meta.sheet_state == "veryHidden"
    values = {r[0].value: r[1].value for r in meta.iter_rows()}
    assert values == {"template_id": "unit", "template_version": campaign.template_version,
                      "campaign_id": campaign.id, "round": "R1"}


def test_instructions_show_criteria_and_deadline(campaign, tmp_path):
    path = templates.write_all(campaign, tmp_path)[0]
    ws = load_workbook(path)[layout.INFO_SHEET]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    for crit in campaign.criteria["org"] + campaign.criteria["member"]:
        assert crit.description in text
    assert "2010年07月31日" in text
    labels = [ws.cell(templates.INFO_FIRST_ROW + i, 1).value for i in range(5)]
    assert labels == ["单位编码", "评议阶段", "填报人", "联系电话", "填报日期"]


def test_a_new_criterion_needs_no_code_change(raw_campaign, tmp_path):
    d = copy.deepcopy(raw_campaign)
    d["criteria"]["org"].append({"code": "O6", "name": "作风建设好", "description": "作风务实。"})
    wb = templates.build(parse(d), "unit", "R1")
    assert "作风建设好*" in [c.value for c in wb["组织评议"][1]]


def test_templates_are_valid_xlsx_packages(campaign, tmp_path):
    paths = templates.write_all(campaign, tmp_path)
    assert len(paths) == len(campaign.workbooks) * len(campaign.rounds)
    for p in paths:
        with zipfile.ZipFile(p) as z:
            assert z.testzip() is None
            assert "xl/workbook.xml" in z.namelist()


def _instructions(campaign, layout_key) -> str:
    wb = templates.build(campaign, layout_key, "R1")
    return "\n".join(str(c.value) for row in wb[layout.INFO_SHEET].iter_rows() for c in row if c.value)


def test_the_unit_instructions_answer_what_a_clerk_asks(campaign):
    text = _instructions(campaign, "unit")
    for term in ("票号", "组织点评", "复号", "信息已上报", "未参评原因", "不以票取人"):
        assert term in text, term
    for f in campaign.forms["member"]:
        assert f"{f.name}{'恰 ' if f.max_ballots == f.min_ballots else '至少 '}{f.min_ballots} 张" in text
    assert "下拉框" in text and "2010年07月31日" in text


def test_the_street_workbook_speaks_to_the_street(campaign):
    text = _instructions(campaign, "street")
    assert "无记名" not in text and "单位编码和评议阶段请在下拉框中选择" not in text
    assert "署名" in text and "被评单位编码" in text


def test_the_unit_dropdown_offers_code_and_name_from_a_list_range(campaign, raw_campaign, tmp_path):
    """No inline list (Excel's 255-character limit): at 60 units the dropdown still lists every unit."""
    d = copy.deepcopy(raw_campaign)
    d["units"] = [{"code": f"FN{i:02d}", "name": f"第{i}社区党委", "kind": "社区"} for i in range(1, 61)]
    wb = templates.build(parse(d), "unit", "R1")
    path = tmp_path / "t.xlsx"
    wb.save(path)
    wb = load_workbook(path)
    info = wb[layout.INFO_SHEET]
    dv = next(v for v in info.data_validations.dataValidation if f"B{templates.INFO_FIRST_ROW}" in str(v.sqref))
    assert not dv.formula1.startswith('"') and "$1:" in dv.formula1
    sheet, rng = dv.formula1.split("!")
    listed = [c.value for row in wb[sheet][rng.replace("$", "")] for c in row]
    assert len(listed) == 60 and listed[0] == "FN01 第1社区党委"
    units = [info.cell(r, 1).value for r in range(1, info.max_row + 1)]
    assert "FN60" in units  # 填报说明 lists every unit, one a row (prints whole)


def test_a_unit_chosen_from_the_dropdown_is_read_as_its_code(campaign, tmp_path):
    from conftest import make_demo

    from pipeline.validation import validate
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=4, seed=2)
    path = next(inbox.glob("FN01*.xlsx"))
    wb = load_workbook(path)
    wb[layout.INFO_SHEET].cell(templates.INFO_FIRST_ROW, 2).value = "FN01 丰年社区党委"
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert sub.accepted and sub.unit_code == "FN01"
    assert not [f for f in sub.findings if f.sheet == layout.INFO_SHEET]


def test_expected_columns_and_notes_are_explained_where_they_are_used(campaign):
    """应填 columns (the 三定 of 整改台账) have their own header colour and a line in 填报说明 naming the flag a
    blank gives; 对象编号 carries its note on the header and in 填报说明."""
    from pipeline.findings import title_of
    wb = templates.build(campaign, "unit", "R1")
    info = "\n".join(str(c.value) for row in wb[layout.INFO_SHEET].iter_rows() for c in row if c.value)
    rect = campaign.workbooks["unit"].sheet("rectifications")
    ws = wb[rect.name]
    expected = [c for c in rect.columns if c.expect]
    assert [c.key for c in expected] == ["measure", "owner", "deadline"]
    for j, c in enumerate(rect.columns, start=1):
        fill = ws.cell(1, j).fill.fgColor.rgb[-6:]
        if c.expect:
            assert fill == "C55A11" and f"“{rect.name}”表的“{c.label}”：空着会被标为“{title_of(c.expect)}”" in info
        elif not c.required:
            assert fill == "7F7F7F", c.label
        if c.note:
            assert ws.cell(1, j).comment.text == c.note and c.note in info
    assert rect.column("subject_id").note and "橙色表头" in info


def test_the_street_form_offers_units_by_code_and_name_and_reads_the_code(campaign, tmp_path):
    from conftest import make_demo

    from pipeline.validation import validate
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=5, seed=3)
    path = next(p for p in inbox.glob("*.xlsx") if "点评" in p.name)
    wb = load_workbook(path)
    ws = wb[campaign.workbooks["street"].sheet("street_reviews").name]
    col = next(j for j, c in enumerate(ws[1], start=1) if str(c.value).rstrip("*") == "被评单位编码")
    ws.cell(2, col).value = "FN02 东岭社区党委"
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert sub.accepted and sub.tables["street_reviews"]["unit_code"].iloc[0] == "FN02"
    assert not [f for f in sub.findings if f.cell == f"{ws.cell(2, col).column_letter}2"], "chosen, not corrected"
    info = "\n".join(str(c.value) for row in load_workbook(path)[layout.INFO_SHEET].iter_rows() for c in row if c.value)
    assert all(u.name in info for u in campaign.units), "the street form lists the units"
