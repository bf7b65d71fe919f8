"""Every rule pinned at its edges by a test named after it (issue 35): the order of the veto and the cap,
the cap's N at 3, 5 and 6, a composite exactly on each band's bound, same-day dates, a 预备党员 without a
decision, and odd numbers in a count cell. Each is a bug a plausible edit would bring in silently."""

import datetime as dt

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from conftest import AS_OF, make_demo
from pipeline import scoring
from pipeline.validation import validate

FULL = "正式党员"
NO_STATS = pd.DataFrame(columns=["unit_code", "member_id", "form", "criterion", "n_top2", "n_scored"])


def _grades(campaign, composites: dict[str, float], stats=NO_STATS, kinds: dict[str, str] | None = None):
    ids = list(composites)
    comp = pd.DataFrame({"unit_code": "FN01", "member_id": ids, "composite": list(composites.values())})
    roster = pd.DataFrame({"unit_code": "FN01", "member_id": ids,
                           "member_kind": [(kinds or {}).get(i, FULL) for i in ids]})
    return scoring.member_grades(comp, stats, roster, campaign, FULL).set_index("member_id")["suggested_grade"]


def _vetoed(member: str) -> pd.DataFrame:
    """群众评议 with 10 of 100 votes in the top two options: below the veto's 50%."""
    return pd.DataFrame({"unit_code": "FN01", "member_id": member, "form": "群众评议", "criterion": "带头学习提高",
                         "n_top2": [10], "n_scored": [100]})


def test_the_veto_comes_before_the_cap_a_vetoed_member_never_takes_an_excellent_place(campaign):
    """A 95 (vetoed), B 92, C 80, one 优秀 place (N = 3): B keeps it; A is 不合格, not holding the place."""
    g = _grades(campaign, {"A": 95.0, "B": 92.0, "C": 80.0}, _vetoed("A"))
    assert dict(g) == {"A": "不合格", "B": "优秀", "C": "合格"}


def test_the_veto_never_grades_a_probationary_member(campaign):
    g = _grades(campaign, {"A": 95.0, "B": 92.0, "C": 80.0, "P": 91.0}, _vetoed("P"), kinds={"P": "预备党员"})
    assert g["P"] == campaign.grades["member"].probationary_grade
    assert (g == "优秀").sum() == 1, "N counts the full members only: floor(3 / 3) = 1"


@pytest.mark.parametrize("n, allowed", [(3, 1), (5, 1), (6, 2), (2, 0)])
def test_the_cap_allows_floor_n_over_three(campaign, n, allowed):
    """N full members all at 95: floor(N / 3) keep 优秀 (the rounding is down: 5 gives 1, not 2)."""
    g = _grades(campaign, {f"M{i}": 95.0 for i in range(n)})
    assert (g == "优秀").sum() == allowed and (g == "合格").sum() == n - allowed


@pytest.mark.parametrize("composite, grade", [(90.0, "优秀"), (89.99, "合格"), (70.0, "合格"), (69.99, "基本合格"),
                                              (60.0, "基本合格"), (59.99, "不合格"), (0.0, "不合格")])
def test_a_composite_exactly_on_a_band_bound_takes_that_band(campaign, composite, grade):
    """Bands are `>=`: 90.00 is 优秀, 89.99 is not (three members, so the cap allows the one 优秀)."""
    g = _grades(campaign, {"A": composite, "B": 50.0, "C": 50.0})
    assert g["A"] == grade


def test_no_composite_no_band_grade(campaign):
    out = scoring.band_grades(pd.Series([90.0, float("nan"), None]), campaign.grades["org"])
    assert out.iloc[0] == "好" and out.iloc[1:].isna().all()


def test_a_campaign_without_a_veto_grades_by_the_bands_alone(campaign):
    """No veto configured: nobody is vetoed and no note speaks of one, whatever the votes."""
    import dataclasses
    member = dataclasses.replace(campaign.grades["member"], veto=None)
    local = dataclasses.replace(campaign, grades={**campaign.grades, "member": member})
    comp = pd.DataFrame({"unit_code": "FN01", "member_id": ["A", "B", "C"], "composite": [95.0, 70.0, 62.0]})
    roster = pd.DataFrame({"unit_code": "FN01", "member_id": ["A", "B", "C"], "member_kind": FULL})
    out = scoring.member_grades(comp, _vetoed("A"), roster, local, FULL).set_index("member_id")
    assert list(out["suggested_grade"]) == ["优秀", "合格", "基本合格"] and list(out["grade_note"]) == ["", "", ""]
    assert list(out["rank_in_unit"]) == [1, 2, 3]


def test_organisation_bands_are_inclusive_too(campaign):
    org = campaign.grades["org"]
    assert [org.grade_for(v) for v in (90.0, 89.99, 80.0, 65.0, 64.99)] == ["好", "较好", "较好", "一般", "差"]


# ------------------------------------------------------------------ dates on the same day

@pytest.fixture(scope="module")
def unit_book(campaign, tmp_path_factory):
    folder, _ = make_demo(campaign, tmp_path_factory.mktemp("edges") / "in", units=1, members=5, seed=5)
    return next(folder.glob("FN01*.xlsx"))


def _edit(campaign, src, out, sheet_key, values: dict, row: int = 2):
    layout = campaign.workbooks["unit"]
    wb = load_workbook(src)
    ws = wb[layout.worksheet_name(sheet_key)]
    keys = [c.key for c in layout.worksheet_columns(sheet_key)]
    for key, value in values.items():
        ws.cell(row, keys.index(key) + 1).value = value
    wb.save(out)
    return validate.validate_file(out, out.name, campaign)


def _rect_dates(campaign, book):
    wb = load_workbook(book)
    layout = campaign.workbooks["unit"]
    ws = wb[layout.worksheet_name("rectifications")]
    keys = [c.key for c in layout.worksheet_columns("rectifications")]
    return {k: ws.cell(2, keys.index(k) + 1).value for k in keys if "date" in k or k in ("deadline", "raised_on")}


def test_a_rectification_closed_or_due_on_the_day_it_was_raised_is_accepted(campaign, unit_book, tmp_path):
    """完成日期 = 提出日期 and 整改时限 = 提出日期 are in order (only an earlier date is refused)."""
    spec = {c.key: c for c in campaign.workbooks["unit"].sheet("rectifications").columns}
    raised = next(k for k, c in spec.items() if c.type == "date" and "提出" in c.label)
    others = [k for k, c in spec.items() if c.type == "date" and k != raised]
    day = dt.date(2010, 7, 1)
    sub = _edit(campaign, unit_book, tmp_path / "same.xlsx", "rectifications", {raised: day, **{k: day for k in others}})
    wrong = [f for f in sub.findings if f.code == "E_DATE_ORDER"]
    assert wrong == [] and sub.accepted, [(f.code, f.cell) for f in sub.findings if f.is_error]
    earlier = _edit(campaign, unit_book, tmp_path / "earlier.xlsx", "rectifications",
                    {raised: day, others[0]: day - dt.timedelta(days=1)})
    assert any(f.code == "E_DATE_ORDER" for f in earlier.findings), "a day earlier is still refused"


def test_a_probationary_member_without_a_decision_is_accepted(campaign, unit_book, tmp_path):
    """A 预备党员 is never graded: a blank 评定等次 is not an error."""
    layout = campaign.workbooks["unit"]
    keys = [c.key for c in layout.worksheet_columns("roster")]
    wb = load_workbook(unit_book)
    ws = wb[layout.worksheet_name("roster")]
    decision = next(c.key for c in layout.worksheet_columns("roster") if c.enum and
                    campaign.grades["member"].probationary_grade in c.enum)
    kind_col, dec_col = keys.index("member_kind") + 1, keys.index(decision) + 1
    ws.cell(3, kind_col).value = campaign.roles.probationary_member  # a member admitted this year
    ws.cell(3, dec_col).value = None
    wb.save(tmp_path / "p.xlsx")
    sub = validate.validate_file(tmp_path / "p.xlsx", "p.xlsx", campaign)
    assert sub.accepted, [(f.code, f.cell, f.message) for f in sub.findings if f.is_error]


def test_a_filled_on_date_equal_to_the_as_of_date_is_accepted(campaign, unit_book, tmp_path):
    """A unit that fills its form in the morning is not refused that afternoon: 填报日期 = 基准日期 counts."""
    from pipeline.run import batch
    layout = campaign.workbooks["unit"]
    wb = load_workbook(unit_book)
    ws = wb[layout.info_sheet if hasattr(layout, "info_sheet") else "填报说明"]
    label = next(f.label for f in layout.info if f.key == "filled_on")
    cell = next(c for row in ws.iter_rows() for c in row if c.value == label)
    ws.cell(cell.row, cell.column + 1).value = AS_OF
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    wb.save(inbox / unit_book.name)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    (f,) = result.files
    assert f.status == "accepted", [(x.code, x.message) for x in f.findings]
    later = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF - dt.timedelta(days=1))
    assert later.files[0].status == "rejected", "a day after the as-of date is still refused"


# ------------------------------------------------------------------ odd numbers in a count

@pytest.mark.parametrize("value, code", [(1e308, "E_RANGE"), (2**63, "E_RANGE"), (-5, "E_RANGE"), (12.5, "E_TYPE"),
                                         (dt.time(8, 30), "E_TYPE"), (True, "E_TYPE"), ("长" * 40000, "E_TYPE"),
                                         (float("inf"), None), (float("nan"), None)])
def test_an_odd_number_in_a_count_is_refused_at_its_cell_never_a_crash(campaign, unit_book, tmp_path, value, code):
    """1e308 overflowed to inf in an integer column and crashed validation; now every value is read or
    refused at its cell (inf and nan are written by openpyxl as text Excel cannot read: read as empty)."""
    layout = campaign.workbooks["unit"]
    keys = [c.key for c in layout.worksheet_columns("activities")]
    sub = _edit(campaign, unit_book, tmp_path / "odd.xlsx", "activities", {"attendance": value})
    cell = f"{chr(65 + keys.index('attendance'))}2"
    at_cell = [f.code for f in sub.findings if f.cell == cell and f.is_error]
    assert "E_INTERNAL" not in [f.code for f in sub.findings] and not sub.accepted
    assert at_cell == [code] if code else len(at_cell) == 1


# ------------------------------------------------------------------ subjects keyed by unit and member

def test_members_of_two_units_with_the_same_id_are_never_confused(campaign):
    """党员编号 is unique within a unit only: FN01's item on its member 001 does not cover FN02's 001, and each
    flag names its own unit's member."""
    from pipeline.rules import flags
    base = {"unit_code": "FN01", "row_no": 2, "item_id": "ZG01", "raised_on": "2010-06-01", "source": "组织点评",
            "subject_id": "001", "criterion": "其他", "problem": "问题", "measure": "措施", "owner": "张三",
            "deadline": "2010-09-30", "status": "整改中", "closed_on": None, "outcome": None, "satisfaction": None}
    members = pd.DataFrame([("FN01", "001", "张一", "基本合格"), ("FN02", "001", "王二", "不合格")],
                           columns=["unit_code", "member_id", "name", "suggested_grade"])
    stats = pd.DataFrame([("FN01", "001", "党员互评", "带头服务群众", 70.0, 10), ("FN02", "001", "党员互评", "带头服务群众", 60.0, 10)],
                         columns=["unit_code", "member_id", "form", "criterion", "mean_points", "n_ballots"])
    empty = pd.DataFrame(columns=["unit_code", "member_id", "form", "criterion", "mean_points", "n_ballots"])
    out = flags.coverage(campaign, pd.DataFrame([base]), empty, stats, members,
                         pd.DataFrame(columns=["unit_code", "reviewer", "problems"]),
                         pd.DataFrame(columns=["unit_code", "form", "opinion"]))
    low_grade = out[out["code"] == "C_LOW_GRADE"]
    assert list(zip(low_grade["unit_code"], low_grade["member_id"])) == [("FN02", "001")]
    assert "王二" in low_grade.iloc[0]["detail"] and "张一" not in low_grade.iloc[0]["detail"]
    low_score = out[out["code"] == "C_LOW_SCORE"].set_index("unit_code")
    assert "王二" in low_score.loc["FN02", "detail"] and "张一" in low_score.loc["FN01", "detail"]


# ------------------------------------------------------------------ the same rules as the preview's formulas

HOLDS = {"probationary": "P", "not_reviewed": "N", "vetoed": "V"}


def test_the_preview_grades_in_the_rules_order_probationary_not_reviewed_veto_then_bands(campaign):
    """The member grade before the cap as the template's preview computes it (SPEC §6), written out by hand
    for the shipped campaign: the cases in their order, each band's bound inclusive, the last band what is
    left."""
    from pipeline import grading
    assert grading.pre_grade_formula(campaign.grades["member"], HOLDS, "C") == (
        'IF(P,"不定等次",IF(N,"未参评",IF(V,"不合格",'
        'IF(C>=90,"优秀",IF(C>=70,"合格",IF(C>=60,"基本合格","不合格"))))))')


def test_the_preview_grades_organisations_without_members_cases(campaign):
    """Organisations have no 预备党员, no 未参评 and no veto: those cases give a blank, never a grade."""
    from pipeline import grading
    assert grading.pre_grade_formula(campaign.grades["org"], HOLDS, "C") == (
        'IF(P,"",IF(N,"",IF(C>=90,"好",IF(C>=80,"较好",IF(C>=65,"一般","差")))))')


def test_the_preview_veto_and_cap_are_the_rules_formulas(campaign):
    """The veto: some ballots and a top-two share below one half; the cap: floor(N / 3) of the full members
    with a composite; a member's place: 1 + those of the cap's grade with a higher composite, or an equal
    one and a lower 党员编号."""
    from pipeline import grading
    g = campaign.grades["member"]
    assert grading.vetoed_formula(g.veto, "T", "S") == "AND(S>0,T/S<0.5)"
    assert grading.cap_allowed_formula(g.cap, "K", "正式党员", "X") == 'INT(COUNTIFS(K,"正式党员",X,">=0")/3)'
    place = grading.cap_place_formula(g.cap, {"grade": "G", "composite": "CC", "member_id": "M"},
                                      {"composite": "c1", "member_id": "m1"})
    assert place == '1+COUNTIFS(G,"优秀",CC,">"&c1)+COUNTIFS(G,"优秀",CC,c1,M,"<"&m1)'


def test_grades_before_the_cap_stay_with_their_members_whatever_the_frames_index(campaign):
    """Scoring grades a filtered frame (one unit, the full members): each grade stays on its member's row."""
    from pipeline import grading
    index = [7, 3, 12]
    composite = pd.Series([95.0, 50.0, 75.0], index=index)
    holds = {case: pd.Series([False, False, False], index=index) for case in HOLDS}
    holds["vetoed"] = pd.Series([False, False, True], index=index)
    out = grading.pre_grades(campaign.grades["member"], holds, composite)
    assert out.to_dict() == {7: "优秀", 3: "不合格", 12: "不合格"}


# ------------------------------------------------------------------ dates of another round, dates out of order

def test_a_street_review_dated_in_another_round_is_refused_at_its_date(campaign, tmp_path):
    """E_ROUND_DATES at the 点评日期 of a 组织点评 row dated in 第二阶段 on a 第一阶段 review, naming both
    rounds; the other rows, dated in 第一阶段, are not."""
    folder, _ = make_demo(campaign, tmp_path / "in", units=2, members=3, seed=5)
    (street,) = [p for p in folder.iterdir() if validate.validate_file(p, p.name, campaign).kind == "street"]
    layout = campaign.workbooks["street"]
    keys = [c.key for c in layout.worksheet_columns("street_reviews")]
    wb = load_workbook(street)
    ws = wb[layout.worksheet_name("street_reviews")]
    column = keys.index("reviewed_on") + 1
    ws.cell(3, column).value = dt.datetime(2012, 1, 10)
    wb.save(tmp_path / "late.xlsx")
    sub = validate.validate_file(tmp_path / "late.xlsx", "late.xlsx", campaign)
    (f,) = [f for f in sub.findings if f.code == "E_ROUND_DATES"]
    assert f.file == "late.xlsx"
    assert (f.sheet, f.cell, f.column, f.value) == ("组织点评", f"{chr(64 + column)}3", "点评日期", "2012-01-10")
    assert f.detail == "评议阶段为“R1”（第一阶段（2010-05-20 至 2011-07-31）），而点评日期 2012-01-10 在第二阶段（2011-08-01 至 2012-07-31）内"


def test_a_rectification_closed_before_it_was_raised_names_both_dates(campaign, unit_book, tmp_path):
    sub = _edit(campaign, unit_book, tmp_path / "early.xlsx", "rectifications",
                {"raised_on": dt.date(2010, 7, 1), "closed_on": dt.date(2010, 6, 30), "deadline": dt.date(2010, 6, 1)})
    keys = [c.key for c in campaign.workbooks["unit"].worksheet_columns("rectifications")]
    found = [(f.sheet, f.cell, f.column, f.value, f.detail) for f in sub.findings if f.code == "E_DATE_ORDER"]
    sheet = campaign.workbooks["unit"].sheet("rectifications").name
    assert found == [(sheet, f"{chr(65 + keys.index('closed_on'))}2", "完成日期", "2010-06-30", "提出日期（2010-07-01）"),
                     (sheet, f"{chr(65 + keys.index('deadline'))}2", "整改时限", "2010-06-01", "提出日期（2010-07-01）")]


# ------------------------------------------------------------------ found by the fuzz campaign (bench/fuzz.py)

@pytest.mark.parametrize("tallies", [False, True], ids=["ballots", "tallies"])
def test_a_date_and_a_number_in_one_form_column_are_refused_at_their_cells(campaign, tmp_path, tallies):
    """Found by bench/fuzz.py: a date in one 评议方式 cell and a number in another could not be sorted
    together, and the whole file was an unexpected failure (E_INTERNAL) instead of two cells."""
    folder, _ = make_demo(campaign, tmp_path / "in", units=1, members=4, seed=5, tallies=tallies)
    path = next(folder.glob("FN01*.xlsx"))
    layout = campaign.workbooks["unit"]
    key = "org_tallies" if tallies else "org_ballots"
    wb = load_workbook(path)
    ws = wb[layout.worksheet_name(key)]
    letter = get_column_letter([c.key for c in layout.worksheet_columns(key)].index("form") + 1)
    ws.protection.sheet = False
    ws[f"{letter}2"].value, ws[f"{letter}3"].value = dt.date(2010, 7, 1), 1e308
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert "E_INTERNAL" not in [f.code for f in sub.findings]
    assert {(ws.title, f"{letter}2"), (ws.title, f"{letter}3")} <= {(f.sheet, f.cell) for f in sub.errors}


def test_a_tally_row_without_its_form_and_a_negative_count_is_refused_at_its_cells(campaign, tmp_path):
    """Found by bench/fuzz.py: a 得票汇总 row whose 评议方式 was blank and whose 票数 was negative counted as
    "more votes than ballots", and looking up its form raised KeyError: E_INTERNAL for the whole file."""
    folder, _ = make_demo(campaign, tmp_path / "in", units=1, members=4, seed=5, tallies=True)
    path = next(folder.glob("FN01*.xlsx"))
    layout = campaign.workbooks["unit"]
    wb = load_workbook(path)
    ws = wb[layout.worksheet_name("org_tallies")]
    keys = [c.key for c in layout.worksheet_columns("org_tallies")]
    form, n = (f"{get_column_letter(keys.index(k) + 1)}2" for k in ("form", "n_ballots"))
    ws.protection.sheet = False
    ws[form].value, ws[n].value = None, -5
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert "E_INTERNAL" not in [f.code for f in sub.findings]
    assert {(ws.title, form), (ws.title, n)} <= {(f.sheet, f.cell) for f in sub.errors}
    assert "E_TALLY_SUM" not in [f.code for f in sub.findings if f.cell == n]
