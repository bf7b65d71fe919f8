"""The round's data/*.csv as SPEC §8 names them, reproducible from each other by hand."""

import pandas as pd
import pytest
from conftest import AS_OF, make_demo

from pipeline.run import batch


@pytest.fixture(scope="module")
def out(campaign, tmp_path_factory):
    root = tmp_path_factory.mktemp("scores")
    inbox, _ = make_demo(campaign, root / "inbox", units=4, members=9, seed=31)
    return batch.run(campaign, inbox, root / "out", root / "arch", as_of=AS_OF).folder / "data"


def _csv(out, name):
    return pd.read_csv(out / name, encoding="utf-8-sig", dtype={"member_id": str}, keep_default_na=False,
                       na_values=[""])


def test_columns_are_as_the_spec_names_them(out):
    spec = {"org_scores.csv": ["unit_code", "member_id", "form", "criterion", "n_ballots", "mean_points", "top2_rate"],
            "member_scores.csv": ["unit_code", "member_id", "form", "criterion", "n_ballots", "mean_points", "top2_rate"],
            "org_results.csv": ["unit_code", "composite", "grade", "rank"],
            "member_results.csv": ["unit_code", "member_id", "composite", "suggested_grade", "decided_grade",
                                   "rank_in_unit"]}
    assert all((out / name).is_file() for name in spec)
    for name, cols in spec.items():
        head = (out / name).read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        assert [c for c in head if c in cols] == cols, name
        assert (out / name).read_bytes().startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Excel"


def test_composites_follow_from_the_exported_criterion_means(campaign, out):
    scores = _csv(out, "org_scores.csv")
    res = _csv(out, "org_results.csv").set_index("unit_code")
    weights = {f.name: f.weight for f in campaign.forms["org"]}
    for unit, part in scores.groupby("unit_code"):
        forms = part.groupby("form")["mean_points"].mean()
        composite = sum(weights[f] * s for f, s in forms.items()) / sum(weights[f] for f in forms.index)
        assert abs(composite - res.loc[unit, "composite"]) < 0.006
        assert res.loc[unit, "grade"] == campaign.grades["org"].grade_for(res.loc[unit, "composite"])
    assert set(scores["form"]) == {f.name for f in campaign.forms["org"]}, "street reviews merged with unit ballots"


def test_member_results_cover_every_roster_member_with_ranks_per_unit(campaign, out):
    res = _csv(out, "member_results.csv")
    assert len(res) == 4 * 9
    full = res[res["suggested_grade"] != "不定等次"]
    for unit, part in full.groupby("unit_code"):
        ranks = part.sort_values("composite", ascending=False)["rank_in_unit"].tolist()
        assert ranks[0] == 1 and ranks == sorted(ranks)
        top = (part["suggested_grade"] == "优秀").sum()
        assert top <= len(part) // 3, "the 优秀 cap holds"
    assert res["decided_grade"].notna().all()


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r", "\n"])
def test_every_formula_lead_is_escaped_in_csv(tmp_path, lead):
    """A text starting with any of the characters a spreadsheet reads as a formula or a command stays text."""
    from pipeline.outputs.clerk import csvfiles
    text = f"{lead}1+1 意见"
    csvfiles.write_csv([{"detail": text, "other": "普通文字"}], ["detail", "other"], tmp_path / "x.csv")
    back = pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig", keep_default_na=False)
    assert back["detail"].tolist() == ["'" + text] and back["other"].tolist() == ["普通文字"]


def test_a_same_day_completion_is_not_before_the_raising(campaign, tmp_path):
    """完成日期 on the day the item was raised is in order (E_DATE_ORDER only for an earlier day)."""
    import datetime as dt

    from openpyxl import load_workbook

    from pipeline.validation import validate
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=4, seed=3)
    path = next(inbox.glob("FN01*.xlsx"))
    sheet = campaign.workbooks["unit"].sheet("rectifications")
    keys = [c.key for c in sheet.columns]
    wb = load_workbook(path)
    ws = wb[sheet.name]
    raised = ws.cell(2, keys.index("raised_on") + 1).value
    for day, bad in ((raised, False), (raised - dt.timedelta(days=1), True)):
        ws.cell(2, keys.index("closed_on") + 1).value = day
        wb.save(path)
        sub = validate.validate_file(path, path.name, campaign)
        assert ("E_DATE_ORDER" in {f.code for f in sub.findings}) == bad
    assert isinstance(raised, dt.datetime | dt.date)
