"""得票汇总 (SPEC §3, §6): units may enter per subject, form and criterion the number of ballots and the
votes per option instead of one row per ballot. A tally yields exactly the statistics of the ballots it
counts; both for one subject and form is an error naming both places; the counts are checked."""

import dataclasses


import pandas as pd
import pytest
from conftest import AS_OF, drop_rows, last_data_row, make_demo
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from pipeline import scoring
from pipeline.run import batch
from pipeline.validation import validate

MEMBER_FORMS = {"自评": "rating", "党员互评": "rating", "群众评议": "satisfaction", "组织点评": "rating"}
OPTIONS = {"rating": ["好", "较好", "一般", "差"], "satisfaction": ["满意", "比较满意", "基本满意", "不满意", "不了解"]}
CRITERIA = ["带头学习提高", "带头争创佳绩"]
STAT_COLUMNS = ["n_ballots", "n_scored", "n_top2", "mean_points", "top2_rate"]


@st.composite
def ballots(draw):
    """Long ballots of two members: any forms, any options, some criteria left blank."""
    rows = []
    for member in ("A", "B"):
        for form in draw(st.lists(st.sampled_from(list(MEMBER_FORMS)), min_size=1, max_size=4, unique=True)):
            for b in range(draw(st.integers(1, 12))):
                for crit in CRITERIA:
                    option = draw(st.one_of(st.none(), st.sampled_from(OPTIONS[MEMBER_FORMS[form]])))
                    rows.append(("FN01", member, form, f"{member}{form}{b}", crit, option))
    return pd.DataFrame(rows, columns=["unit_code", "member_id", "form", "ballot_id", "criterion", "option"])


def tally_of(long: pd.DataFrame, campaign) -> pd.DataFrame:
    """The 得票汇总 a clerk would write from these ballots (ballots count even where a criterion is blank)."""
    key_of = {c.option: c.key for c in campaign.workbooks["unit"].sheet("member_tallies").option_columns}
    n = long.groupby(["member_id", "form"])["ballot_id"].nunique()
    rows = []
    for (member, form, crit), part in long.groupby(["member_id", "form", "criterion"]):
        row = {"unit_code": "FN01", "member_id": member, "form": form, "criterion": crit, "n_ballots": n[(member, form)]}
        for option, k in part["option"].value_counts().items():
            row[key_of[option]] = k
        rows.append(row)
    return pd.DataFrame(rows)


@settings(max_examples=80, deadline=None)
@given(ballots())
def test_a_tally_scores_exactly_as_the_ballots_it_counts(campaign, long):
    # Every ballot is a vote on each criterion (blank where it left one out), as the tally counts it.
    by_ballots = scoring.criterion_stats(long.assign(option=long["option"].where(long["option"].notna(), None)),
                                         campaign, "member")
    by_tally = scoring.criterion_stats(scoring.tally_ballots(tally_of(long, campaign), campaign, "member"),
                                       campaign, "member")
    keys = scoring.KEY
    a = by_ballots.set_index(keys).sort_index()
    b = by_tally.set_index(keys).sort_index()
    pd.testing.assert_frame_equal(a[STAT_COLUMNS], b[STAT_COLUMNS], check_dtype=False)
    votes = [c for c in a.columns if c.startswith(("votes_", "share_"))]
    pd.testing.assert_frame_equal(a[votes], b[votes].reindex(columns=votes), check_dtype=False)


def test_demo_with_tallies_gives_the_same_results_as_with_ballots(campaign, tmp_path):
    results = {}
    for mode in ("ballots", "tallies"):
        inbox, _ = make_demo(campaign, tmp_path / mode, units=4, members=8, seed=31, tallies=mode == "tallies")
        result = batch.run(campaign, inbox, tmp_path / f"out-{mode}", tmp_path / f"arch-{mode}", as_of=AS_OF)
        assert result.complete, [(f.name, [x.code for x in f.errors]) for f in result.files if f.errors]
        results[mode] = {name: (result.folder / "data" / name).read_bytes()
                         for name in ("org_results.csv", "member_results.csv", "org_scores.csv", "member_scores.csv")}
        flags = pd.read_csv(result.folder / "data" / "coverage_flags.csv", encoding="utf-8-sig", dtype=str)
        results[mode]["flags"] = sorted(zip(flags["unit_code"], flags["code"], flags["member_id"].fillna(""),
                                            flags["criterion"].fillna("")))
    assert results["ballots"] == results["tallies"]  # the same scores, and the same flags
    assert len(results["tallies"]["member_scores.csv"].splitlines()) > 100
    assert ("C_OPINION_UNANSWERED" in {f[1] for f in results["tallies"]["flags"]})  # opinions recorded in tallies


def test_a_tallied_units_opinions_are_flagged_like_ballots(campaign, tmp_path):
    """意见建议 beside a tally row count like those on ballots: unanswered, they raise C_OPINION_UNANSWERED;
    with an item from the public's review in the ledger, they do not."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=6, seed=31, tallies=True)
    path = next(inbox.glob("FN01*.xlsx"))
    sheet = campaign.workbooks["unit"].sheet("member_tallies")
    keys = [c.key for c in sheet.columns]
    wb = load_workbook(path)
    ws = wb[sheet.name]
    public = campaign.form_by_role("member", "public").name
    rows = [r for r in range(2, last_data_row(ws) + 1) if ws.cell(r, keys.index("form") + 1).value == public]
    for key in ("org_tallies", "member_tallies"):  # no opinion anywhere but the one below
        other = campaign.workbooks["unit"].sheet(key)
        at = [c.key for c in other.columns].index("opinion") + 1
        for r in range(2, last_data_row(wb[other.name]) + 1):
            wb[other.name].cell(r, at).value = None
    ws.cell(rows[0], keys.index("opinion") + 1).value = "希望多组织志愿服务"
    ledger = campaign.workbooks["unit"].sheet("rectifications")
    items = wb[ledger.name]
    source = [c.key for c in ledger.columns].index("source") + 1
    # no item answers the public's review yet
    drop_rows(items, [r for r in range(2, last_data_row(items) + 1) if items.cell(r, source).value == public])
    wb.save(path)

    def flagged(tag):
        result = batch.run(campaign, inbox, tmp_path / f"out{tag}", tmp_path / f"arch{tag}", as_of=AS_OF)
        assert result.complete
        flags = pd.read_csv(result.folder / "data" / "coverage_flags.csv", encoding="utf-8-sig", dtype=str)
        return flags[(flags["code"] == "C_OPINION_UNANSWERED") & (flags["unit_code"] == "FN01")]
    opinion = flagged(1)
    assert len(opinion) == 1 and "1 条意见建议" in opinion["detail"].iloc[0]
    wb = load_workbook(path)
    wb[sheet.name].cell(rows[0], keys.index("opinion") + 1).value = None  # no opinion: nothing to answer
    wb.save(path)
    assert flagged(2).empty


@pytest.fixture()
def tallied_file(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=5, seed=8, tallies=True)
    return next(p for p in inbox.iterdir() if p.name.startswith("FN01"))


def _edit(path, campaign, sheet_key, change):
    wb = load_workbook(path)
    ws = wb[campaign.workbooks["unit"].sheet(sheet_key).name]
    header = {str(c.value).rstrip("*"): c.column_letter for c in ws[1]}  # required headers end in *
    change(ws, header)
    wb.save(path)


def _codes(path, campaign):
    sub = validate.validate_file(path, path.name, campaign)
    return sub, [(f.code, f.sheet, f.cell) for f in sub.findings if f.code[0] in "EW"]


def test_a_clean_tally_is_accepted(campaign, tallied_file):
    sub, codes = _codes(tallied_file, campaign)
    assert sub.accepted and codes == [] and len(sub.tables["member_tallies"]) > 0


def test_ballots_and_a_tally_for_one_form_is_an_error_naming_both_places(campaign, tallied_file):
    def add_ballot(ws, header):
        row = last_data_row(ws) + 1
        for j, v in enumerate(["P99999", "FN01-001", "自评"] + ["好"] * 5, start=1):
            ws.cell(row, j).value = v
    _edit(tallied_file, campaign, "member_ballots", add_ballot)
    sub, codes = _codes(tallied_file, campaign)
    both = [f for f in sub.findings if f.code == "E_TALLY_AND_BALLOTS"]
    assert not sub.accepted and len(both) == 1
    assert both[0].sheet == "党员评议汇总" and "党员评议" in both[0].message and "C2" in both[0].message
    assert (both[0].value, both[0].detail) == ("自评", "“党员评议”表 C2 起已录有这些自评票")


def test_an_organisations_ballots_and_tally_for_one_form_is_an_error_too(campaign, tallied_file):
    def add_ballot(ws, letter, rows):
        ballots = ws.parent[campaign.workbooks["unit"].sheet("org_ballots").name]
        for j, v in enumerate(["Z99999", "群众评议"] + ["满意"] * 5, start=1):
            ballots.cell(2, j).value = v
    sub = _tally_rows(campaign, tallied_file, "org_tallies", add_ballot)
    assert [(f.code, f.sheet, f.cell, f.value, f.detail) for f in sub.errors] == \
        [("E_TALLY_AND_BALLOTS", "组织评议汇总", "A2", "群众评议", "“组织评议”表 B2 起已录有这些群众评议票")]


def test_a_tally_of_fewer_ballots_than_the_minimum_is_a_warning_like_ballots(campaign, tallied_file):
    """FN01-001's 党员互评 tallied as 2 ballots (at least 3): W_FEW_BALLOTS at the member, as 2 ballot rows give."""
    def change(ws, letter, rows):
        for r in rows:
            if ws[f"{letter['member_id']}{r}"].value == "FN01-001" and ws[f"{letter['form']}{r}"].value == "党员互评":
                ws[f"{letter['n_ballots']}{r}"], ws[f"{letter['好']}{r}"], ws[f"{letter['较好']}{r}"] = 2, 1, 1
    sub = _tally_rows(campaign, tallied_file, "member_tallies", change)
    assert sub.accepted
    assert [(f.code, f.sheet, f.cell, f.value, f.detail) for f in sub.findings if f.code[0] in "EW"] == \
        [("W_FEW_BALLOTS", "党员名册", "A2", "FN01-001", "党员 FN01-001 的党员互评票仅 2 张（至少 3 张）")]


@pytest.mark.parametrize("change, code", [
    ("negative", "E_RANGE"), ("too_many", "E_TALLY_SUM"), ("zero_ballots", "E_TALLY_SUM"),
    ("wrong_option", "E_SCALE_FORM"), ("two_self_reviews", "E_FORM_COUNT"), ("uneven", "E_TALLY_BALLOTS"),
], ids=["negative", "sum-over-ballots", "votes-on-no-ballot", "option-of-another-form", "two-self-reviews",
        "uneven-ballots"])
def test_tally_counts_are_checked_at_their_cell(campaign, tallied_file, change, code):
    """Each count a tally row cannot hold is refused at its cell, with the value there and what it should be,
    written out by hand."""
    target = {}

    def edit(ws, header):
        rows = list(ws.iter_rows(min_row=2, max_row=last_data_row(ws)))
        self_row = next(r for r in rows if r[1].value == "自评")
        peer_rows = [r for r in rows if r[1].value == "党员互评" and r[0].value == "FN01-001"]
        row = peer_rows[0] if change in ("too_many", "zero_ballots", "uneven") else self_row
        column = {"negative": "好", "wrong_option": "满意"}.get(change, "票数")
        before = ws[f"{header['票数']}{row[0].row}"].value
        value = {"negative": -1, "too_many": 1, "zero_ballots": 0, "wrong_option": 1, "two_self_reviews": 2,
                 "uneven": before + 1}[change]
        if change in ("too_many", "zero_ballots"):
            ws[f"{header['好']}{row[0].row}"] = 5
        ws[f"{header[column]}{row[0].row}"] = value
        counted = sum(ws[f"{header[o]}{row[0].row}"].value or 0 for o in ("好", "较好", "一般", "差"))
        target.update(cell=f"{header[column]}{row[0].row}", column=column, value=value, detail={
            "too_many": f"各选项得票合计 {counted} 张，票数为 1 张",
            "zero_ballots": f"各选项得票合计 {counted} 张，票数为 0 张",
            "wrong_option": "自评（可选：好、较好、一般、差）",
            "two_self_reviews": "自评票有 2 张，应为 1 张",
            "uneven": f"FN01-001、党员互评的票数有 {before}、{before + 1} 几种"}.get(change))
    _edit(tallied_file, campaign, "member_tallies", edit)
    sub, codes = _codes(tallied_file, campaign)
    assert not sub.accepted
    assert (code, "党员评议汇总", target["cell"]) in codes
    assert {f.file for f in sub.findings} == {tallied_file.name}
    (found,) = [f for f in sub.findings if f.code == code and f.cell == target["cell"]]
    assert (found.column, found.value) == (target["column"], str(target["value"]))
    if target["detail"] is not None:
        assert found.detail == target["detail"]


@pytest.mark.parametrize("column", ["票数", "好"])
def test_a_word_in_a_tally_count_is_refused_at_its_cell(campaign, tallied_file, column):
    """A count typed as a word (五) is an error at its cell; the tally checks read it as no number, never
    stop on it."""
    target = {}

    def edit(ws, header):
        target["cell"] = f"{header[column]}2"
        ws[target["cell"]] = "五"
    _edit(tallied_file, campaign, "member_tallies", edit)
    sub, codes = _codes(tallied_file, campaign)
    assert "E_INTERNAL" not in [code for code, _, _ in codes]
    assert not sub.accepted and ("党员评议汇总", target["cell"]) in {(sheet, cell) for _, sheet, cell in codes}


def test_tally_headers_carry_the_options_and_each_row_allows_only_its_forms(campaign, tmp_path):
    from test_templates import offered

    from pipeline.outputs.units import templates
    path = tmp_path / "t.xlsx"
    templates.build(campaign, "unit", "R1").save(path)
    wb = load_workbook(path)
    sheet = campaign.workbooks["unit"].sheet("member_tallies")
    ws = wb[sheet.name]
    labels = [c.value for c in ws[1]]
    assert labels[4:-1] == [c.option for c in sheet.option_columns] and labels[-1] == "意见建议" and "不了解" in labels and "好" in labels
    dv = next(d for d in ws.data_validations.dataValidation if str(d.sqref).startswith("E2"))
    assert dv.type == "custom" and "INDIRECT(" in dv.formula1 and "E$1" in dv.formula1
    # The list the custom rule checks the header against is the one the ballot dropdowns use.
    list_dv = type(dv)(type="list", formula1=dv.formula1[dv.formula1.index("INDIRECT("):dv.formula1.rindex(",E$1)")])
    public = campaign.form_by_role("member", "public").name
    assert "好" not in offered(wb, list_dv, public) and "满意" in offered(wb, list_dv, public)


def test_a_tally_without_a_criterion_is_an_error_naming_it(campaign, tallied_file):
    """Ballots can never leave a criterion out: a (subject, form) tally lacking one is not scored on the rest."""
    sheet = campaign.workbooks["unit"].sheet("member_tallies")
    keys = [c.key for c in sheet.columns]
    crit = campaign.criteria["member"][2].name
    wb = load_workbook(tallied_file)
    ws = wb[sheet.name]
    row = next(r for r in range(2, last_data_row(ws) + 1) if ws.cell(r, keys.index("criterion") + 1).value == crit)
    subject = (ws.cell(row, 1).value, ws.cell(row, 2).value)
    ws.delete_rows(row)
    wb.save(tallied_file)
    sub = validate.validate_file(tallied_file, tallied_file.name, campaign)
    (err,) = [f for f in sub.errors if f.code == "E_TALLY_INCOMPLETE"]
    assert crit in err.message and err.value == f"{subject[0]}、{subject[1]}"
    assert [f.code for f in sub.errors] == ["E_TALLY_INCOMPLETE"]


def _tally_rows(campaign, path, key, change):
    """Edit the data rows of a tally sheet: change(ws, column letter by key, rows) with rows 2.. the last."""
    layout = campaign.workbooks["unit"]
    wb = load_workbook(path)
    ws = wb[layout.worksheet_name(key)]
    columns = layout.worksheet_columns(key)
    letter = {c.key: get_column_letter(j) for j, c in enumerate(columns, start=1)}
    letter.update({c.option: letter[c.key] for c in columns if c.option})  # an option's count by its label
    change(ws, letter, range(2, last_data_row(ws) + 1))
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert {f.file for f in sub.findings} <= {path.name}, "every finding names its file"
    return sub


def test_an_organisations_tally_without_a_criterion_names_its_form(campaign, tallied_file):
    """The unit's own tally is grouped by 评议方式 alone: the finding names the form, whole."""
    crit = campaign.criteria["org"][1].name

    def change(ws, letter, rows):
        (row,) = [r for r in rows if ws[f"{letter['form']}{r}"].value == "下级评议上级"
                  and ws[f"{letter['criterion']}{r}"].value == crit]
        ws.delete_rows(row)
    sub = _tally_rows(campaign, tallied_file, "org_tallies", change)
    assert [(f.code, f.sheet, f.value, f.detail) for f in sub.errors] == \
        [("E_TALLY_INCOMPLETE", "组织评议汇总", "下级评议上级", crit)]


def test_an_organisations_tally_with_uneven_ballots_names_the_row_that_differs(campaign, tallied_file):
    def change(ws, letter, rows):
        row = [r for r in rows if ws[f"{letter['form']}{r}"].value == "下级评议上级"][2]
        ws[f"{letter['n_ballots']}{row}"] = 9
        ws[f"{letter['好']}{row}"] = None  # the counts still within the 9
        ws[f"{letter['较好']}{row}"] = 9
        ws[f"{letter['一般']}{row}"] = None
        target["cell"] = f"{letter['n_ballots']}{row}"
    target = {}
    sub = _tally_rows(campaign, tallied_file, "org_tallies", change)
    assert [(f.code, f.cell, f.value, f.detail) for f in sub.errors] == \
        [("E_TALLY_BALLOTS", target["cell"], "9", "下级评议上级的票数有 8、9 几种")]


def test_a_tally_row_of_an_unknown_form_is_refused_at_its_cell_and_the_others_checked(campaign, tallied_file):
    """A 评议方式 no campaign form has (a typo) is E_ENUM at its cell; the checks of the other groups still
    run in step with them (the typo's rows are no group of a known form)."""
    def change(ws, letter, rows):
        ws[f"{letter['form']}2"] = "自评价"
        ws[f"{letter['n_ballots']}9"] = 4  # and a known group with uneven ballots after it
    sub = _tally_rows(campaign, tallied_file, "member_tallies", change)
    assert [(f.code, f.cell) for f in sub.errors] == [("E_ENUM", "B2"), ("E_TALLY_INCOMPLETE", "C3"),
                                                      ("E_TALLY_BALLOTS", "D9")]


def test_a_tally_group_without_one_known_criterion_misses_them_all(campaign, tallied_file):
    """Every row of FN01-001's 自评 names a criterion the campaign does not have: each is E_ENUM, and the
    group lacks all five (E_TALLY_INCOMPLETE), not none."""
    def change(ws, letter, rows):
        for i, r in enumerate(r for r in rows if ws[f"{letter['member_id']}{r}"].value == "FN01-001"
                              and ws[f"{letter['form']}{r}"].value == "自评"):
            ws[f"{letter['criterion']}{r}"] = f"带头{i}"
    sub = _tally_rows(campaign, tallied_file, "member_tallies", change)
    assert [f.code for f in sub.errors] == ["E_ENUM"] * 5 + ["E_TALLY_INCOMPLETE"]
    assert sub.errors[-1].detail == "、".join(c.name for c in campaign.criteria["member"])


@settings(max_examples=60, deadline=None)
@given(ballots(), st.integers(1, 3))
def test_a_tally_trims_exactly_as_the_ballots_it_counts(campaign, long, k):
    """With a trim (drop the k highest and k lowest points), the weighted tally lines drop the same votes."""
    trimmed = dataclasses.replace(campaign, trim=k)
    by_ballots = scoring.criterion_stats(long, trimmed, "member", votes=False).set_index(scoring.KEY).sort_index()
    by_tally = scoring.criterion_stats(scoring.tally_ballots(tally_of(long, campaign), trimmed, "member"), trimmed,
                                       "member", votes=False).set_index(scoring.KEY).sort_index()
    pd.testing.assert_frame_equal(by_ballots[STAT_COLUMNS], by_tally[STAT_COLUMNS], check_dtype=False)


def test_a_tally_costs_memory_per_row_not_per_vote(campaign):
    """One tally row of 100,000 ballots is a handful of weighted lines, scored as those ballots."""
    key_of = {c.option: c.key for c in campaign.workbooks["unit"].sheet("member_tallies").option_columns}
    tally = pd.DataFrame([{"unit_code": "FN01", "member_id": "A", "form": "党员互评", "criterion": CRITERIA[0],
                           "n_ballots": 100000, key_of["好"]: 60000, key_of["较好"]: 30000, key_of["差"]: 9999}])
    long = scoring.tally_ballots(tally, campaign, "member")
    assert len(long) == 4  # 好, 较好, 差 and the one blank ballot
    (stats,) = scoring.criterion_stats(long, campaign, "member").to_dict("records")
    assert (stats["n_ballots"], stats["n_scored"], stats["n_top2"]) == (100000, 99999, 90000)
    assert stats["mean_points"] == pytest.approx((60000 * 100 + 30000 * 85 + 9999 * 50) / 99999)
    assert stats["votes_好"] == 60000 and stats["share_好"] == pytest.approx(0.6)


@pytest.mark.parametrize("n, warned", [(2, True), (3, False)])
def test_an_organisations_tally_below_the_minimum_warns_and_at_it_does_not(campaign, tallied_file, n, warned):
    """下级评议上级 needs 3 ballots: a tally of 2 warns (W_FEW_BALLOTS, the unit's own review), of 3 not."""
    def change(ws, letter, rows):
        for r in rows:
            if ws[f"{letter['form']}{r}"].value == "下级评议上级":
                for option in ("好", "较好", "一般", "差"):
                    ws[f"{letter[option]}{r}"] = None
                ws[f"{letter['n_ballots']}{r}"], ws[f"{letter['好']}{r}"] = n, n
    sub = _tally_rows(campaign, tallied_file, "org_tallies", change)
    found = [(f.code, f.sheet, f.detail) for f in sub.findings if f.code[0] in "EW"]
    assert found == ([("W_FEW_BALLOTS", "组织评议", f"本单位下级评议上级票仅 {n} 张（至少 3 张）")] if warned else [])
