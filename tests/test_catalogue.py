"""Every catalogued code is raised by a test (SPEC §4): the codes no other test builds are built here, each
at its cell; and a walk over the catalogue finds every code named by some test."""

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import SHARED, make_demo
from openpyxl import load_workbook

from pipeline import findings
from pipeline.layout import INFO_FIRST_ROW, INFO_SHEET
from pipeline.outputs.units import returned
from pipeline.validation import validate


@pytest.fixture()
def unit_file(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=7, seed=23)
    return next(inbox.glob("FN01*.xlsx"))


def _codes(campaign, path):
    sub = validate.validate_file(path, path.name, campaign)
    return sub, [(f.code, f.sheet, f.cell) for f in sub.findings if f.code[0] in "EW"]


def test_a_deleted_sheet_is_e_missing_sheet(campaign, unit_file):
    wb = load_workbook(unit_file)
    del wb["活动记录"]
    wb.save(unit_file)
    sub, codes = _codes(campaign, unit_file)
    assert codes == [("E_MISSING_SHEET", "", "")] and "活动记录" in sub.errors[0].message


def test_an_unknown_round_is_e_unknown_round_at_its_cell(campaign, unit_file):
    row = INFO_FIRST_ROW + [f.key for f in campaign.workbooks["unit"].info].index("round")
    wb = load_workbook(unit_file)
    wb[INFO_SHEET].cell(row, 2).value = "R9"
    wb.save(unit_file)
    _, codes = _codes(campaign, unit_file)
    assert codes == [("E_UNKNOWN_ROUND", INFO_SHEET, f"B{row}")]


def test_a_blank_filled_on_date_is_e_required_at_its_cell_and_nothing_else(campaign, unit_file):
    """No 填报日期: required, at its cell; the round check of that date has no date to look at."""
    row = INFO_FIRST_ROW + [f.key for f in campaign.workbooks["unit"].info].index("filled_on")
    wb = load_workbook(unit_file)
    wb[INFO_SHEET].cell(row, 2).value = None
    wb.save(unit_file)
    _, codes = _codes(campaign, unit_file)
    assert codes == [("E_REQUIRED", INFO_SHEET, f"B{row}")]


def test_a_tally_row_twice_is_e_tally_duplicate(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=5, seed=23, tallies=True)
    path = next(inbox.glob("FN01*.xlsx"))
    wb = load_workbook(path)
    ws = wb[campaign.workbooks["unit"].sheet("member_tallies").name]
    last = max(r for (r, _), c in ws._cells.items() if c.value is not None)
    for j in range(1, ws.max_column + 1):
        ws.cell(last + 1, j).value = ws.cell(2, j).value
    wb.save(path)
    sub, codes = _codes(campaign, path)
    assert codes == [("E_TALLY_DUPLICATE", ws.title, f"C{last + 1}")]
    (dup,) = sub.findings
    assert (dup.file, dup.column, dup.value, dup.detail) == \
        (path.name, "对应标准", ws["C2"].value, f"FN01-001、自评、{ws['C2'].value}")


def test_a_nomination_of_an_unknown_subject_is_only_its_reference_error(campaign, unit_file):
    """A 对象编号 that is neither the unit nor one of its members: the unknown reference, not also the wrong kind."""
    wb = load_workbook(unit_file)
    wb["先进推荐"]["B2"].value = "FN01-099"  # 先进基层党组织 for nobody the file knows
    wb.save(unit_file)
    _, codes = _codes(campaign, unit_file)
    assert [c for c in codes if c[2] == "B2"] and "E_NOMINATION_SUBJECT" not in [c[0] for c in codes]


@pytest.mark.parametrize("kind, subject", [("先进基层党组织", "FN01-001"), ("优秀共产党员", "FN01")])
def test_a_nomination_of_the_wrong_kind_of_subject(campaign, unit_file, kind, subject):
    wb = load_workbook(unit_file)
    ws = wb["先进推荐"]
    ws["A2"].value, ws["B2"].value, ws["C2"].value = kind, subject, "事迹突出"
    wb.save(unit_file)
    _, codes = _codes(campaign, unit_file)
    assert ("E_NOMINATION_SUBJECT", "先进推荐", "B2") in codes


def test_more_excellent_than_the_cap_is_w_cap_exceeded(campaign, unit_file):
    wb = load_workbook(unit_file)
    ws = wb["党员名册"]
    at = {str(c.value).rstrip("*"): c.column for c in ws[1]}
    for r in range(2, 9):
        if ws.cell(r, at["党员类别"]).value == "正式党员":
            ws.cell(r, at["评定等次"]).value = "优秀"
            ws.cell(r, at["说明"]).value = "支部研究决定"
    wb.save(unit_file)
    sub, codes = _codes(campaign, unit_file)
    assert sub.accepted and [c for c in codes if c[0] == "W_CAP_EXCEEDED"] == [("W_CAP_EXCEEDED", "党员名册", "")]


def test_an_ods_returned_copy_notes_n_converted(tmp_path):
    src = SHARED / "corpus" / "foreign" / "calamine__date.ods"
    out = returned.write(src, "ods", src.name, [], "测试单位", tmp_path / "x.xlsx", dt.datetime(2010, 8, 2), "党办")
    listing = load_workbook(out)[returned.SHEET]
    assert "N_CONVERTED" not in str([c.value for row in listing.iter_rows() for c in row])  # no internal code
    assert any(findings.CATALOGUE["N_CONVERTED"].title == c.value for row in listing.iter_rows() for c in row)


def test_every_catalogued_code_is_named_by_a_test():
    """The walk: every code of the catalogue appears in some test besides this walk (where it is raised or
    asserted), so a code nobody can trigger does not sit in the catalogue untested."""
    texts = "\n".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py")
                      if p.name != Path(__file__).name) + Path(__file__).read_text(encoding="utf-8").split(
        "def test_every_catalogued_code")[0]
    named = set(re.findall(r"\b[EWNRC]_[A-Z0-9_]+\b", texts))
    missing = sorted(set(findings.CATALOGUE) - named)
    assert len(findings.CATALOGUE) > 50 and missing == []


def test_the_cap_warning_starts_one_past_the_allowance(campaign, unit_file):
    """As many 优秀 as the cap allows: no warning; one more: W_CAP_EXCEEDED."""
    wb = load_workbook(unit_file)
    ws = wb["党员名册"]
    at = {str(c.value).rstrip("*"): c.column for c in ws[1]}
    full = [r for r in range(2, 9) if ws.cell(r, at["党员类别"]).value == "正式党员"]
    allowed = len(full) // campaign.grades["member"].cap.denominator
    seen = []
    for k in (allowed, allowed + 1):
        for i, r in enumerate(full):
            ws.cell(r, at["评定等次"]).value = "优秀" if i < k else "合格"
            ws.cell(r, at["说明"]).value = "支部研究决定"
        wb.save(unit_file)
        sub, codes = _codes(campaign, unit_file)
        seen.append(any(c[0] == "W_CAP_EXCEEDED" for c in codes))
    assert allowed >= 1 and seen == [False, True]


def test_messages_say_the_truth_of_the_cell(campaign, unit_file):
    """A wrong rating is offered its own row's options only; a missing grade shows the cell's own (empty)
    value; a number typed as text is read without a note (nothing it shows changed)."""
    wb = load_workbook(unit_file)
    ws = wb["组织评议"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == "群众评议")
    ws.cell(row, 3).value = "优良"
    roster = wb["党员名册"]
    at = {str(c.value).rstrip("*"): c.column for c in roster[1]}
    member = next(r for r in range(2, 9) if roster.cell(r, at["党员类别"]).value == "正式党员")
    roster.cell(member, at["评定等次"]).value = None
    acts = wb["活动记录"]
    acts.cell(2, 3).value = str(acts.cell(2, 3).value)  # 参加人数 as text
    wb.save(unit_file)
    sub = validate.validate_file(unit_file, unit_file.name, campaign)
    (enum,) = [f for f in sub.errors if f.code == "E_ENUM"]
    public = campaign.form_by_role("org", "public").scale
    assert enum.message.endswith(f"请在下拉框中选择：{'、'.join(public.labels)}。")
    (grade,) = [f for f in sub.errors if f.code == "E_GRADE_MISSING"]
    assert grade.value == "" and roster.cell(member, at["党员编号"]).value in grade.message
    assert not [f for f in sub.findings if f.sheet == "活动记录" and f.cell == "C2"]


# ------------------------------------------------------------------ each cross-check's finding, written out whole

def _blank_rows(ws, rows):
    for r in rows:
        for j in range(1, ws.max_column + 1):
            ws.cell(r, j).value = None


def _scale(ws):
    ws["E2"] = ws["D2"] = "满意"  # P00001, FN01-001's 自评: a label of the public's scale, twice


def _two_self_reviews(ws):
    ws["C3"] = "自评"  # P00002 was FN01-001's 党员互评


def _few_peer_reviews(ws):
    _blank_rows(ws, [24])  # P00023, one of FN01-003's three 党员互评 (P00023 to P00025, rows 24 to 26)


def _one_peer_review(ws):
    _blank_rows(ws, [24, 25])  # two of FN01-003's three 党员互评


def _few_upward_reviews(ws):
    _blank_rows(ws, range(22, 26))  # four of the six 下级评议上级 (Z00094 to Z00099, rows 21 to 26)


def _not_reviewed(ws):
    _blank_rows(ws, range(65, 76))  # every ballot on FN01-007 (P00064 to P00074)


def _absent_but_voted(ws):
    ws["H3"] = "因病"  # FN01-002: 未参评原因, yet 11 ballots and 合格


def _grade_missing(ws):
    ws["I4"] = None  # FN01-003: 评定等次


def _wrong_subject(ws):
    ws["B2"] = "FN01-001"  # 先进基层党组织 for a member


def _unit_as_member(ws):
    ws["B3"] = "FN01"  # 优秀共产党员 for the unit itself


def _unexplained_excellent(ws):
    ws["I6"] = "优秀"  # FN01-005, suggested 合格: a third 优秀 of 7 full members


CROSS_CHECKS = {
    "scale-of-another-form": ("党员评议", _scale, [
        ("E_SCALE_FORM", "党员评议", "D2", "带头学习提高", "满意", "自评（可选：好、较好、一般、差）"),
        ("E_SCALE_FORM", "党员评议", "E2", "带头争创佳绩", "满意", "自评（可选：好、较好、一般、差）")]),
    "two-self-reviews": ("党员评议", _two_self_reviews, [
        ("E_FORM_COUNT", "党员评议", "C3", "评议方式", "自评", "党员 FN01-001 的自评票有 2 张，应为 1 张")]),
    "few-peer-reviews": ("党员评议", _few_peer_reviews, [
        ("W_FEW_BALLOTS", "党员名册", "A4", "党员编号", "FN01-003", "党员 FN01-003 的党员互评票仅 2 张（至少 3 张）")]),
    "one-peer-review": ("党员评议", _one_peer_review, [
        ("W_FEW_BALLOTS", "党员名册", "A4", "党员编号", "FN01-003", "党员 FN01-003 的党员互评票仅 1 张（至少 3 张）")]),
    "few-upward-reviews": ("组织评议", _few_upward_reviews, [
        ("W_FEW_BALLOTS", "组织评议", "", "", "", "本单位下级评议上级票仅 2 张（至少 3 张）")]),
    "not-reviewed": ("党员评议", _not_reviewed, [
        ("W_NOT_REVIEWED", "党员名册", "A8", "党员编号", "FN01-007", ""),
        ("W_GRADE_UNEXPLAINED", "党员名册", "I8", "评定等次", "合格", "未参评")]),
    "absent-but-voted": ("党员名册", _absent_but_voted, [
        ("E_ABSENT_VOTED", "党员名册", "H3", "未参评原因", "因病", "FN01-002（见 党员评议 B13）"),
        ("E_ABSENT_GRADE", "党员名册", "I3", "评定等次", "合格", "未参评")]),
    "grade-missing": ("党员名册", _grade_missing, [
        ("E_GRADE_MISSING", "党员名册", "I4", "评定等次", "", "FN01-003|“党员名册”该党员行的“评定等次”列")]),
    "nomination-subject": ("先进推荐", _wrong_subject, [
        ("E_NOMINATION_SUBJECT", "先进推荐", "B2", "对象编号", "FN01-001", "“先进基层党组织”的对象编号应为本单位编码")]),
    "unit-as-member": ("先进推荐", _unit_as_member, [
        ("E_NOMINATION_SUBJECT", "先进推荐", "B3", "对象编号", "FN01", "“优秀共产党员”的对象编号应为本单位党员编号")]),
    "unexplained-excellent": ("党员名册", _unexplained_excellent, [
        ("W_GRADE_UNEXPLAINED", "党员名册", "I6", "评定等次", "优秀", "合格"),
        ("W_CAP_EXCEEDED", "党员名册", "", "", "", "评定为优秀的有 3 名，超过正式党员 7 名的 1/3（至多 2 名）")]),
}


@pytest.mark.parametrize("case", CROSS_CHECKS)
def test_each_cross_check_finding_is_written_out_whole(campaign, unit_file, case):
    """One edit of the seeded demo file, the unit's every error and warning as it reads them: code, sheet,
    cell, column, the cell's value and the detail, worked out by hand from the file."""
    sheet, edit, expected = CROSS_CHECKS[case]
    wb = load_workbook(unit_file)
    edit(wb[sheet])
    wb.save(unit_file)
    sub = validate.validate_file(unit_file, unit_file.name, campaign)
    found = [(f.code, f.sheet, f.cell, f.column, f.value, f.detail) for f in sub.findings if f.code[0] in "EW"]
    assert found == expected
    assert {f.file for f in sub.findings} == {unit_file.name}
