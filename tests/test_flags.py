"""Rectification and coverage flags (SPEC §7): each code raised by a minimal case, and its twin not."""

import datetime as dt

import pandas as pd
import pytest

from pipeline.outputs.clerk import csvfiles
from pipeline.rules import flags

AS_OF = dt.date(2010, 8, 2)
BASE = {"unit_code": "FN01", "row_no": 2, "item_id": "ZG01", "raised_on": "2010-06-01", "source": "组织点评",
        "subject_id": "FN01", "criterion": "领导班子好", "problem": "问题", "measure": "措施", "owner": "张三",
        "deadline": "2010-09-30", "status": "整改中", "closed_on": None, "outcome": None, "satisfaction": None}


def codes(campaign, **change):
    return flags.item_flags({**BASE, **change}, AS_OF, campaign)


def test_a_complete_open_item_far_from_its_deadline_has_no_flag(campaign):
    assert codes(campaign) == []


@pytest.mark.parametrize("field, code", [("measure", "R_NO_MEASURE"), ("owner", "R_NO_OWNER"),
                                         ("deadline", "R_NO_DEADLINE")])
def test_missing_measure_owner_deadline(campaign, field, code):
    assert codes(campaign, **{field: None}) == [code]
    assert codes(campaign, **{field: "  "}) == [code]


def test_overdue_and_its_twin_deadline_equal_to_as_of(campaign):
    assert codes(campaign, deadline="2010-08-01") == ["R_OVERDUE"]
    assert codes(campaign, deadline="2010-08-02") == ["R_DUE_SOON"], "deadline = as-of is not overdue"
    assert codes(campaign, deadline="2010-08-01", status="已销号", closed_on="2010-07-30", outcome="好",
                 satisfaction="满意") == [], "closed items are never overdue"
    assert codes(campaign, deadline="2010-08-01", status="复号") == ["R_OVERDUE"], "a reopened item is open"


def test_a_deadline_read_as_a_date_a_text_or_a_text_with_a_time_is_one_day(campaign):
    import datetime as dt
    for deadline in (dt.date(2010, 8, 1), dt.datetime(2010, 8, 1, 9, 30), "2010-08-01", "2010-08-01 00:00:00"):
        assert codes(campaign, deadline=deadline) == ["R_OVERDUE"], deadline
    assert codes(campaign, deadline="2010-08-02 23:59:59") == ["R_DUE_SOON"]


def test_due_soon_within_the_configured_days(campaign):
    assert campaign.rectification.due_soon_days == 14
    assert codes(campaign, deadline="2010-08-16") == ["R_DUE_SOON"]
    assert codes(campaign, deadline="2010-08-17") == []


def test_false_close_and_its_twin(campaign):
    closed = dict(status="已销号", closed_on="2010-07-20", outcome="已完成整改", satisfaction="满意")
    assert codes(campaign, **closed) == []
    assert codes(campaign, **{**closed, "closed_on": None}) == ["R_FALSE_CLOSE"]
    assert codes(campaign, **{**closed, "outcome": ""}) == ["R_FALSE_CLOSE"]
    assert codes(campaign, **{**closed, "satisfaction": "不满意"}) == ["R_FALSE_CLOSE"]


def test_rectifications_table_carries_codes_as_records(campaign):
    items = pd.DataFrame([BASE, {**BASE, "item_id": "ZG02", "row_no": 3, "owner": None, "deadline": "2010-07-01"}])
    out = flags.rectifications(items, AS_OF, campaign)
    assert list(out["flags"]) == [(), ("R_NO_OWNER", "R_OVERDUE")]


def test_rectifications_csv_joins_codes_at_the_edge(campaign, tmp_path):
    items = pd.DataFrame([BASE, {**BASE, "item_id": "ZG02", "row_no": 3, "owner": None, "deadline": "2010-07-01"}])
    out = flags.rectifications(items, AS_OF, campaign)
    csvfiles.write_csv(out, ["item_id", "flags"], tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes().decode("utf-8-sig") == "item_id,flags\r\nZG01,\r\nZG02,R_NO_OWNER;R_OVERDUE\r\n"


# ---------------------------------------------------------------- coverage

def _stats(rows):
    return pd.DataFrame(rows, columns=["unit_code", "member_id", "form", "criterion", "mean_points"])


def _coverage(campaign, items=(), org=(), member=(), members=(), reviews=(), opinions=()):
    return flags.coverage(
        campaign, pd.DataFrame(list(items), columns=list(BASE)), _stats(org), _stats(member),
        pd.DataFrame(list(members), columns=["unit_code", "member_id", "name", "suggested_grade"]),
        pd.DataFrame(list(reviews), columns=["unit_code", "reviewer", "problems"]),
        pd.DataFrame(list(opinions), columns=["unit_code", "form", "opinion"]))


def test_low_score_without_an_item_and_its_twin(campaign):
    # 带头服务群众: 党员互评 70 (w 0.4) and 群众评议 75 (w 0.3): (28 + 22.5) / 0.7 = 72.14 < 75
    member = [("FN01", "FN01-003", "党员互评", "带头服务群众", 70.0), ("FN01", "FN01-003", "群众评议", "带头服务群众", 75.0),
              ("FN01", "FN01-003", "党员互评", "带头学习提高", 90.0)]
    people = [("FN01", "FN01-003", "李四", "合格")]
    out = _coverage(campaign, member=member, members=people)
    assert list(out["code"]) == ["C_LOW_SCORE"]
    assert out.iloc[0]["criterion"] == "带头服务群众" and "72.14" in out.iloc[0]["detail"] and "李四" in out.iloc[0]["detail"]
    item = {**BASE, "subject_id": "FN01-003", "criterion": "带头服务群众"}
    assert _coverage(campaign, items=[item], member=member, members=people).empty


def test_low_unit_score(campaign):
    org = [("FN01", "", "组织点评", "工作机制好", 70.0)]
    out = _coverage(campaign, org=org)
    assert list(out[["member_id", "criterion", "code"]].itertuples(index=False, name=None)) == \
        [("", "工作机制好", "C_LOW_SCORE")]
    assert _coverage(campaign, items=[{**BASE, "criterion": "工作机制好"}], org=org).empty
    assert _coverage(campaign, org=[("FN01", "", "组织点评", "工作机制好", 75.0)]).empty, "75 is not below 75"


def test_low_grade_without_an_item_and_its_twin(campaign):
    people = [("FN01", "FN01-004", "王五", "基本合格"), ("FN01", "FN01-005", "赵六", "合格")]
    out = _coverage(campaign, members=people)
    assert list(out[["member_id", "code"]].itertuples(index=False, name=None)) == [("FN01-004", "C_LOW_GRADE")]
    assert _coverage(campaign, items=[{**BASE, "subject_id": "FN01-004", "criterion": "其他"}], members=people).empty


def test_review_problems_and_public_opinions(campaign):
    reviews = [("FN01", "王书记", "整改进度偏慢。"), ("FN01", "李主任", None)]
    opinions = [("FN01", "群众评议", "停车难"), ("FN01", "群众评议", "路灯坏了")]
    out = _coverage(campaign, reviews=reviews, opinions=opinions)
    assert list(out["code"]) == ["C_OPINION_UNANSWERED", "C_REVIEW_UNADDRESSED"]
    assert "2 条意见建议" in out.iloc[0]["detail"] and "整改进度偏慢" in out.iloc[1]["detail"]
    answered = [{**BASE, "source": "组织点评"}, {**BASE, "item_id": "ZG02", "source": "群众评议"}]
    assert _coverage(campaign, items=answered, reviews=reviews, opinions=opinions).empty


def test_dropped_only_when_open(campaign):
    prev = pd.DataFrame([{**BASE}, {**BASE, "item_id": "ZG02", "status": "已销号"}, {**BASE, "item_id": "ZG03"}])
    cur = pd.DataFrame([{**BASE, "item_id": "ZG03"}])
    out = flags.dropped_items(prev, cur, {"FN01"}, campaign, "R1", "R2")
    assert list(out["code"]) == ["C_DROPPED"] and "ZG01" in out.iloc[0]["detail"]
    # Written out whole: two units, the later one first in the ledger; an item on a member names the member.
    prev = pd.DataFrame([{**BASE, "unit_code": "FN02", "subject_id": "FN02-003", "item_id": "ZG05", "problem": "学习少",
                          "status": "未整改"}, *prev.to_dict("records")])
    out = flags.dropped_items(prev, cur, {"FN01", "FN02"}, campaign, "第一阶段", "第二阶段")
    expected = pd.DataFrame([
        ("FN01", "", "领导班子好", "C_DROPPED", "第一阶段整改台账第 ZG01 项（问题，状态：整改中）未销号，第二阶段台账中没有此项"),
        ("FN02", "FN02-003", "领导班子好", "C_DROPPED",
         "第一阶段整改台账第 ZG05 项（学习少，状态：未整改）未销号，第二阶段台账中没有此项")], columns=flags.COVERAGE_COLUMNS)
    pd.testing.assert_frame_equal(out, expected)
    assert flags.dropped_items(prev, cur, set(), campaign, "R1", "R2").empty, "a unit that has not reported yet"


def test_thresholds_come_from_the_campaign_file(raw_campaign):
    import copy

    from pipeline.campaign import parse
    d = copy.deepcopy(raw_campaign)
    d["rectification"]["due_soon_days"] = 30
    d["rectification"]["low_score_threshold"] = 60
    other = parse(d)
    assert flags.item_flags({**BASE, "deadline": "2010-08-25"}, AS_OF, other) == ["R_DUE_SOON"]
    org = [("FN01", "", "组织点评", "工作机制好", 70.0)]
    assert _coverage(other, org=org).empty


def test_a_review_of_the_unit_is_answered_only_by_an_item_about_the_unit(campaign):
    reviews = [("FN01", "王书记", "整改进度偏慢。")]
    on_member = [{**BASE, "source": "组织点评", "subject_id": "FN01-003"}]
    out = _coverage(campaign, items=on_member, reviews=reviews)
    assert list(out["code"]) == ["C_REVIEW_UNADDRESSED"] and "针对本单位" in out.iloc[0]["detail"]
    assert "偏慢。。" not in out.iloc[0]["detail"]
    on_unit = [{**BASE, "source": "组织点评", "subject_id": "FN01"}]
    assert _coverage(campaign, items=on_unit, reviews=reviews).empty


def test_a_branch_without_lower_organisations_expects_no_upward_review(campaign, tmp_path):
    from conftest import AS_OF, make_demo

    from pipeline.run import batch
    lone = [u for u in campaign.units if not u.lower_orgs]
    assert lone and all("支部" in u.name for u in lone)
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=6, members=4, seed=6)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    upward = campaign.form_by_role("org", "upward").name
    forms = result.report.scores.org_forms
    assert upward not in set(forms[forms["unit_code"] == "FN06"]["form"])
    assert upward in set(forms[forms["unit_code"] == "FN01"]["form"])
    assert not [f for f in result.report.findings if f.code == "W_FORM_MISSING" and f.value == "FN06"]


def test_every_coverage_flag_of_a_round_by_hand(campaign):
    """Each kind of C_ flag once, with the exact row the leadership reads, in the documented order
    (unit, code, member, criterion); the items that answer them leave exactly the others."""
    member = [("FN01", "FN01-002", "党员互评", "带头学习提高", 60.0), ("FN01", "FN01-001", "党员互评", "带头服务群众", 70.0),
              ("FN02", "FN02-001", "党员互评", "带头弘扬正气", 80.0), ("FN03", "FN03-007", "党员互评", "带头遵纪守法", 65.0)]
    org = [("FN02", "", "组织点评", "工作业绩好", 74.0)]
    people = [("FN01", "FN01-001", "张三", "合格"), ("FN01", "FN01-002", "李四", "不合格"), ("FN01", "FN01-009", "", "合格"),
              ("FN02", "FN02-001", "王五", "基本合格")]
    reviews = [("FN02", "陈书记", "阵地建设不足。"), ("FN02", "王主任", "阵地建设不足；"), ("FN02", "王主任", " "),
               ("FN02", "陈书记", "台账不全"), ("FN03", "陈书记", "")]
    opinions = [("FN01", "群众评议", "多走访"), ("FN01", "群众评议", "办事慢"), ("FN03", "群众评议", "很好")]
    out = _coverage(campaign, org=org, member=member, members=people, reviews=reviews, opinions=opinions)
    assert [tuple(r) for r in out.itertuples(index=False)] == [
        ("FN01", "FN01-002", "", "C_LOW_GRADE", "党员 FN01-002 李四 建议等次为不合格，整改台账中没有针对该党员的整改事项"),
        ("FN01", "FN01-001", "带头服务群众", "C_LOW_SCORE",
         "党员 FN01-001 张三“带头服务群众”得分 70.00，低于 75，整改台账中没有针对此项的整改事项"),
        ("FN01", "FN01-002", "带头学习提高", "C_LOW_SCORE",
         "党员 FN01-002 李四“带头学习提高”得分 60.00，低于 75，整改台账中没有针对此项的整改事项"),
        ("FN01", "", "", "C_OPINION_UNANSWERED", "单位 FN01 的群众评议票中有 2 条意见建议，整改台账中没有来源为群众评议的事项"),
        ("FN02", "FN02-001", "", "C_LOW_GRADE", "党员 FN02-001 王五 建议等次为基本合格，整改台账中没有针对该党员的整改事项"),
        ("FN02", "", "工作业绩好", "C_LOW_SCORE", "单位 FN02“工作业绩好”得分 74.00，低于 75，整改台账中没有针对此项的整改事项"),
        ("FN02", "", "", "C_REVIEW_UNADDRESSED",
         "街道组织点评（王主任、陈书记）指出：阵地建设不足；台账不全。单位 FN02 整改台账中没有针对本单位、来源为组织点评的事项"),
        ("FN03", "FN03-007", "带头遵纪守法", "C_LOW_SCORE",  # not in the members list: no name, never "None"
         "党员 FN03-007“带头遵纪守法”得分 65.00，低于 75，整改台账中没有针对此项的整改事项"),
        ("FN03", "", "", "C_OPINION_UNANSWERED", "单位 FN03 的群众评议票中有 1 条意见建议，整改台账中没有来源为群众评议的事项"),
    ]
    items = [{**BASE, "item_id": "ZG01", "subject_id": "FN01-002"},
             {**BASE, "item_id": "ZG04", "subject_id": "FN01-001", "criterion": "带头服务群众"},  # answers only that one
             {**BASE, "item_id": "ZG02", "unit_code": "FN02", "subject_id": "FN02", "source": "组织点评"},
             {**BASE, "item_id": "ZG03", "unit_code": "FN03", "subject_id": "FN03", "source": "群众评议"}]
    answered = _coverage(campaign, items=items, org=org, member=member, members=people, reviews=reviews,
                         opinions=opinions)
    assert [(r.unit_code, r.member_id, r.code) for r in answered.itertuples(index=False)] == [
        ("FN01", "FN01-002", "C_LOW_SCORE"),  # the item on FN01-002 is on another criterion
        ("FN01", "", "C_OPINION_UNANSWERED"),  # its source is not the public's form
        ("FN02", "FN02-001", "C_LOW_GRADE"), ("FN02", "", "C_LOW_SCORE"), ("FN03", "FN03-007", "C_LOW_SCORE")]


def test_a_dropped_item_names_its_member_or_its_unit_and_the_rounds(campaign):
    prev = pd.DataFrame([{**BASE, "item_id": "ZG01", "subject_id": "FN01-004", "criterion": "带头服务群众", "problem": "走访少"},
                         {**BASE, "item_id": "ZG02", "problem": "制度不全", "status": "复号"}])
    out = flags.dropped_items(prev, prev.iloc[0:0], {"FN01"}, campaign, "第一阶段", "第二阶段")
    assert out.to_dict("records") == [
        {"unit_code": "FN01", "member_id": "FN01-004", "criterion": "带头服务群众", "code": "C_DROPPED",
         "detail": "第一阶段整改台账第 ZG01 项（走访少，状态：整改中）未销号，第二阶段台账中没有此项"},
        {"unit_code": "FN01", "member_id": "", "criterion": "领导班子好", "code": "C_DROPPED",
         "detail": "第一阶段整改台账第 ZG02 项（制度不全，状态：复号）未销号，第二阶段台账中没有此项"}]


def test_numbers_typed_in_text_cells_and_dates_with_a_time_are_read_as_given(campaign):
    """An owner typed as a number is an owner, not a blank; a deadline written with its time is that day."""
    item = {**BASE, "owner": 3.0, "measure": 0.0, "deadline": "2010-08-10 00:00:00"}
    assert flags.item_flags(item, AS_OF, campaign) == ["R_DUE_SOON"]
    assert flags.item_flags({**item, "owner": float("nan")}, AS_OF, campaign) == ["R_NO_OWNER", "R_DUE_SOON"]


def test_per_unit_counts_have_one_home_and_are_worked_by_hand(campaign):
    """flags.unit_counts is the one definition of the per-unit 整改 counts every document reads (总览, 整改情况,
    情况通报, the 先进基层党组织 check): worked by hand on five items of two units and three coverage flags."""
    items = pd.DataFrame([{**BASE, "item_id": "A", "deadline": "2010-07-01"},  # FN01: overdue
                          {**BASE, "item_id": "B", "owner": None},  # FN01: no owner
                          {**BASE, "item_id": "C", "status": "已销号", "closed_on": "2010-07-01", "outcome": "好",
                           "satisfaction": "满意"},  # FN01: closed
                          {**BASE, "unit_code": "FN02", "item_id": "D", "deadline": "2010-07-01", "measure": None},
                          {**BASE, "unit_code": "FN02", "item_id": "E", "status": "已销号"}])  # FN02: closed, false close
    rect = flags.rectifications(items, AS_OF, campaign)
    coverage = pd.DataFrame([("FN02", "", "", "C_LOW_SCORE", ""), ("FN02", "x", "", "C_LOW_GRADE", ""),
                             ("FN01", "", "", "C_DROPPED", "")], columns=flags.COVERAGE_COLUMNS)
    counts = flags.unit_counts(campaign, ["FN01", "FN02", "FN03"], rect, coverage).set_index("unit_code")
    assert counts.loc["FN01"].to_dict() == {"items": 3, "closed": 1, "R_NO_MEASURE": 0, "R_NO_OWNER": 1,
                                           "R_NO_DEADLINE": 0, "R_OVERDUE": 1, "R_DUE_SOON": 0, "R_FALSE_CLOSE": 0,
                                           "unaddressed": 1}
    assert counts.loc["FN02"].to_dict() == {"items": 2, "closed": 1, "R_NO_MEASURE": 1, "R_NO_OWNER": 0,
                                           "R_NO_DEADLINE": 0, "R_OVERDUE": 1, "R_DUE_SOON": 0, "R_FALSE_CLOSE": 1,
                                           "unaddressed": 2}
    assert counts.loc["FN03"].sum() == 0, "a unit without items has a row of zeros"


def test_unit_counts_add_up_each_units_items_closed_and_flags(campaign):
    """Per unit, counted by hand: FN01 two items closed of three (the last one read open), one overdue;
    FN02 nothing, and one coverage flag; a unit that did not report is counted too, all zero."""
    rect = pd.DataFrame([("FN01", "已销号", ()), ("FN01", "已销号", ("R_NO_OWNER",)), ("FN01", "整改中", ("R_OVERDUE",)),
                         ("FN09", "整改中", ("R_OVERDUE",))], columns=["unit_code", "status", "flags"])
    coverage = pd.DataFrame([("FN02", "C_LOW_GRADE")], columns=["unit_code", "code"])
    out = flags.unit_counts(campaign, ["FN01", "FN02", "FN03"], rect, coverage).set_index("unit_code")
    assert out.loc["FN01", ["items", "closed", "R_NO_OWNER", "R_OVERDUE", "unaddressed"]].tolist() == [3, 2, 1, 1, 0]
    assert out.loc["FN02", ["items", "closed", "unaddressed"]].tolist() == [0, 0, 1]
    assert out.loc["FN03"].sum() == 0 and list(out.index) == ["FN01", "FN02", "FN03"]
