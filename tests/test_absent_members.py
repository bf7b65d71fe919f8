"""Members who took no part in the round (SPEC §3, §6): 未参评原因 in 党员名册, no ballots, not graded, not
in the cap's N; a missing form is scored on the others; no ballots and no reason is W_NOT_REVIEWED."""

import datetime as dt

import pytest
from conftest import AS_OF, drop_rows, last_data_row, make_demo
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from pipeline import demo
from pipeline.run import batch
from pipeline.demo import DemoError
from pipeline.outputs.leaders import pack
from pipeline.validation import validate


@pytest.fixture(scope="module")
def absent_run(campaign, tmp_path_factory):
    root = tmp_path_factory.mktemp("absent")
    inbox, _ = make_demo(campaign, root / "inbox", units=3, members=8, seed=12, absent=2)
    return batch.run(campaign, inbox, root / "out", root / "arch", as_of=AS_OF), inbox


def test_absent_members_are_accepted_shown_as_not_reviewed_and_lower_participation(campaign, absent_run):
    result, _ = absent_run
    assert result.complete and not result.rejected
    m = result.report.scores.member_results
    away = m[m["suggested_grade"] == "未参评"]
    assert len(away) == 3 * 2 and away["composite"].isna().all() and away["rank_in_unit"].isna().all()
    assert set(away["decided_grade"]) == {"未参评"}
    assert all(note.startswith("未参评：") and note != "未参评：没有评议票" for note in away["grade_note"])
    rates = result.report.scores.org_results.set_index("unit_code")["participation_rate"]
    assert (rates < 1).all() and (rates > 0.5).all()
    book = CalamineWorkbook.from_path(str(result.folder / pack.detail_name(campaign)))
    rows = book.get_sheet_by_name(campaign.workbooks["unit"].sheet("member_ballots").name).to_python()
    shown = {r[2]: r for r in rows[3:] if len(r) > 2}
    assert all("未参评" in shown[mid] for mid in away["member_id"])


def test_the_roster_says_why_and_no_ballot_is_written_for_them(campaign, absent_run):
    _, inbox = absent_run
    path = next(p for p in sorted(inbox.iterdir()) if p.name.startswith("FN01"))
    wb = load_workbook(path)
    roster = wb[campaign.workbooks["unit"].sheet("roster").name]
    header = [c.value for c in roster[1]]
    col = header.index("未参评原因")
    reasons = {r[0]: r[col] for r in roster.iter_rows(min_row=2, values_only=True) if r[0]}
    away = {m for m, why in reasons.items() if why}
    assert len(away) == 2 and {reasons[m] for m in away} <= set(campaign.enums["absence_reason"])
    ballots = wb[campaign.workbooks["unit"].sheet("member_ballots").name]
    voted = {r[1] for r in ballots.iter_rows(min_row=2, values_only=True)}
    assert not away & voted


def _drop_ballots(path, campaign, member, form=None):
    wb = load_workbook(path)
    ws = wb[campaign.workbooks["unit"].sheet("member_ballots").name]
    drop_rows(ws, [r for r in range(2, last_data_row(ws) + 1)
                   if ws.cell(r, 2).value == member and (form is None or ws.cell(r, 3).value == form)])
    wb.save(path)


def test_no_ballots_and_no_reason_is_a_warning_not_a_rejection(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=6, seed=4)
    path = next(p for p in inbox.iterdir() if p.name.startswith("FN01"))
    _drop_ballots(path, campaign, "FN01-002")
    wb = load_workbook(path)  # the branch recorded 未参评 as the decided grade
    layout = campaign.workbooks["unit"]
    ws = wb[layout.worksheet_name("decisions")]  # beside each member in 党员名册
    keys = [c.key for c in layout.worksheet_columns("decisions")]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "FN01-002")
    ws.cell(row, keys.index("decided_grade") + 1).value = "未参评"
    ws.cell(row, keys.index("explanation") + 1).value = None
    wb.save(path)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    (mine,) = [f for f in result.files if f.name == path.name]
    assert mine.status == "accepted"
    assert [(x.code, x.value, x.cell) for x in mine.findings if x.code == "W_NOT_REVIEWED"] == \
        [("W_NOT_REVIEWED", "FN01-002", "A3")]
    m = result.report.scores.member_results.set_index("member_id")
    assert m.loc["FN01-002", "suggested_grade"] == "未参评"


def test_a_member_missing_one_form_is_scored_on_the_others_never_rejected(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=6, seed=4)
    path = next(p for p in inbox.iterdir() if p.name.startswith("FN01"))
    self_form = campaign.form_by_role("member", "self").name
    _drop_ballots(path, campaign, "FN01-003", self_form)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    (mine,) = [f for f in result.files if f.name == path.name]
    assert mine.status == "accepted" and not [x for x in mine.findings if x.code == "E_FORM_COUNT"]
    missing = [f.detail for f in result.report.findings if f.code == "W_FORM_MISSING" and f.value == "FN01-003"]
    assert missing == [f"党员 FN01-003 的{self_form}"]
    m = result.report.scores.member_results.set_index("member_id")
    assert m.loc["FN01-003", "composite"] > 0


def test_the_demo_refuses_impossible_absences(campaign, tmp_path):
    with pytest.raises(DemoError):
        demo.generate(campaign, tmp_path / "a", units=1, members=4, absent=3, as_of=dt.date(2010, 8, 2))
    with pytest.raises(DemoError):
        demo.generate(campaign, tmp_path / "b", units=1, members=6, absent=1, defects=True, as_of=dt.date(2010, 8, 2))


def _absent_file(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=6, seed=4, absent=1)
    path = next(p for p in inbox.iterdir() if p.name.startswith("FN01"))
    layout = campaign.workbooks["unit"]
    wb = load_workbook(path)
    roster = wb[layout.worksheet_name("roster")]
    keys = [c.key for c in layout.worksheet_columns("roster")]
    row = next(r for r in range(2, 20) if roster.cell(r, keys.index("absence_reason") + 1).value)
    return path, wb, roster, keys, row


def test_a_reason_for_not_taking_part_beside_a_ballot_is_an_error_naming_both(campaign, tmp_path):
    """Nothing silently wrong: a member marked 未参评 who has a ballot would be scored on it and enter the
    cap's base; the unit is asked which is true."""
    path, wb, roster, keys, row = _absent_file(campaign, tmp_path)
    member = roster.cell(row, 1).value
    sheet = campaign.workbooks["unit"].sheet("member_ballots")
    ballots = wb[sheet.name]
    free = max(r for (r, _), c in ballots._cells.items() if c.value is not None) + 1
    for j, v in enumerate(["Z0001", member, "组织点评"] + ["好"] * 5, start=1):
        ballots.cell(free, j).value = v
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    reason_cell = f"{get_column_letter(keys.index('absence_reason') + 1)}{row}"
    found = [(f.code, f.sheet, f.cell) for f in sub.errors]
    assert found == [("E_ABSENT_VOTED", roster.title, reason_cell)]
    assert f"{sheet.name} B{free}" in sub.errors[0].message and member in sub.errors[0].message


def test_a_member_who_took_no_part_must_be_decided_not_reviewed(campaign, tmp_path):
    path, wb, roster, keys, row = _absent_file(campaign, tmp_path)
    cell = roster.cell(row, keys.index("decided_grade") + 1)
    cell.value = "合格"
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert [(f.code, f.cell, f.value) for f in sub.errors] == [("E_ABSENT_GRADE", cell.coordinate, "合格")]
    assert "未参评" in sub.errors[0].message
