"""Supervision (督查): 报送情况 against the deadline, required activities, 信息上报, spot check."""

import datetime as dt

import pandas as pd
import pytest

from pipeline.rules import supervision


def test_submission_states_and_lateness(campaign):
    rnd = campaign.round("R1")  # due 2010-07-31
    states = {"FN01": ("accepted", dt.date(2010, 7, 31)), "FN02": ("accepted", dt.date(2010, 8, 1)),
              "FN03": ("rejected", dt.date(2010, 7, 20))}
    before = supervision.submissions(campaign, rnd, dt.date(2010, 7, 31), states).set_index("unit_code")
    assert list(before.loc[["FN01", "FN02", "FN03", "FN04"], "state"]) == ["已报", "已报", "退回修改", "未报"]
    assert list(before.loc[["FN01", "FN02", "FN03", "FN04"], "overdue"]) == ["", "逾期报送", "", ""]
    after = supervision.submissions(campaign, rnd, dt.date(2010, 8, 1), states).set_index("unit_code")
    assert list(after.loc[["FN01", "FN03", "FN04"], "overdue"]) == ["", "逾期未报", "逾期未报"]
    assert len(after) == len(campaign.units)


def test_a_units_state_is_its_accepted_file_else_its_first_rejected_one():
    from types import SimpleNamespace as S
    subs = [S(round="R1", kind="unit", unit_code="FN01", status="rejected", filled_on="2010-07-01"),
            S(round="R1", kind="unit", unit_code="FN01", status="accepted", filled_on="2010-07-05"),
            S(round="R1", kind="unit", unit_code="FN01", status="rejected", filled_on="2010-07-09"),
            S(round="R1", kind="unit", unit_code="FN02", status="rejected", filled_on="2010-07-02"),
            S(round="R1", kind="unit", unit_code="FN02", status="rejected", filled_on=None),
            S(round="R1", kind="unit", unit_code="FN03", status="duplicate", filled_on="2010-07-02"),
            S(round="R2", kind="unit", unit_code="FN04", status="accepted", filled_on="2011-09-01"),
            S(round="R1", kind="street", unit_code="", status="accepted", filled_on="2010-06-30")]
    assert supervision.unit_states(subs, "R1") == {"FN01": ("accepted", dt.date(2010, 7, 5)),
                                                   "FN02": ("rejected", dt.date(2010, 7, 2))}


def _acts(rows):
    return pd.DataFrame(rows, columns=["unit_code", "held_on", "activity_type", "reported"])


def test_required_activities_by_their_due_date(campaign):
    rnd = campaign.round("R1")  # 制定实施方案 by 06-15, 动员大会 by 06-30
    acts = _acts([("FN01", "2010-06-15", "制定实施方案", "是"), ("FN01", "2010-06-30", "动员大会", "是"),
                  ("FN02", "2010-06-16", "制定实施方案", "是")])
    out = supervision.missing_activities(rnd, dt.date(2010, 8, 2), acts, ["FN01", "FN02"])
    assert list(out.itertuples(index=False, name=None)) == [("FN02", "制定实施方案", "2010-06-15"),
                                                             ("FN02", "动员大会", "2010-06-30")]
    early = supervision.missing_activities(rnd, dt.date(2010, 6, 20), acts, ["FN01", "FN02"])
    assert list(early["activity_type"]) == ["制定实施方案"], "动员大会 is not due yet"


def test_a_required_activity_due_earlier_but_listed_later_is_still_checked(campaign):
    """The campaign file may list the required activities in any order: one not due yet is skipped, not the
    end of the list."""
    import dataclasses
    rnd = campaign.round("R1")
    rnd = dataclasses.replace(rnd, required_activities=tuple(reversed(rnd.required_activities)))
    out = supervision.missing_activities(rnd, dt.date(2010, 6, 20), _acts([]), ["FN01"])
    assert list(out.itertuples(index=False, name=None)) == [("FN01", "制定实施方案", "2010-06-15")]


def test_activity_reports_per_unit_and_month(campaign):
    acts = _acts([("FN01", "2010-06-01", "讲党课", "是"), ("FN01", "2010-06-20", "座谈会", "否"),
                  ("FN01", "2010-07-02", "讲党课", "是")])
    out = supervision.activity_reports(acts, "是")
    assert list(out.itertuples(index=False, name=None)) == [("FN01", "2010-06", 2, 1), ("FN01", "2010-07", 1, 1)]


def _closed(n):
    return pd.DataFrame({"unit_code": [f"FN0{1 + i % 7}" for i in range(n)], "item_id": [f"ZG{i:02d}" for i in range(n)],
                         "problem": ["问题"] * n})


def test_spot_check_is_reproducible_and_depends_on_as_of(campaign):
    rnd = campaign.round("R1")
    units = [u.code for u in campaign.units]
    items = _closed(30)
    a = supervision.spot_checks(campaign, rnd, dt.date(2010, 8, 2), units, items)
    b = supervision.spot_checks(campaign, rnd, dt.date(2010, 8, 2), units, items.sample(frac=1, random_state=1))
    c = supervision.spot_checks(campaign, rnd, dt.date(2010, 8, 3), units, items)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    kinds = [next(u.kind for u in campaign.units if u.code == code) for code in a[a["target"] == "单位"]["unit_code"]]
    assert sorted(kinds) == ["机关", "社区"], "one unit of each kind"
    assert (a["target"] == "整改事项").sum() == campaign.supervision.spot_check_closed_items


def test_spot_check_seed_is_documented(campaign):
    import hashlib
    rnd = campaign.round("R2")
    text = f"{campaign.supervision.spot_check_seed}|R2|2012-06-20"
    assert supervision.spot_check_seed(campaign, rnd, dt.date(2012, 6, 20)) == \
        int(hashlib.sha256(text.encode()).hexdigest(), 16)


@pytest.mark.parametrize("as_of", [dt.date(2010, 8, d) for d in range(1, 11)])
def test_the_spot_check_draws_only_units_that_reported(campaign, as_of):
    """A unit that sent nothing (or nothing accepted) has nothing to verify on site: never drawn, whatever
    the draw; a kind with no reporting unit draws none."""
    rnd = campaign.round("R1")
    reported = [u.code for u in campaign.units if u.kind == campaign.enums["unit_kind"][0]][:2]
    out = supervision.spot_checks(campaign, rnd, as_of, reported, _closed(0))
    drawn = list(out[out["target"] == "单位"]["unit_code"])
    assert drawn and set(drawn) <= set(reported)
    assert len(drawn) == campaign.supervision.spot_check_units_per_kind
