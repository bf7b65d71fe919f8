"""Commendation checks (SPEC §7): one test per rule, and R2's every-round rule over the ledger."""

import datetime as dt

import pandas as pd
from conftest import drop_rows, last_data_row, make_demo
from openpyxl import load_workbook

from pipeline import layout
from pipeline.run import batch
from pipeline.outputs.leaders import publication
from pipeline.rules import commendation

MEMBER_COLS = ["unit_code", "member_id", "name", "is_worker", "decided_grade"]


def _check(campaign, round_code, noms, members, orgs=(), history=(), overdue=None):
    n = pd.DataFrame([(u, i + 2, k, s) for i, (u, k, s) in enumerate(noms)],
                     columns=["unit_code", "row_no", "nomination_kind", "subject_id"])
    return commendation.check(campaign, campaign.round(round_code), n,
                              pd.DataFrame(list(orgs), columns=["unit_code", "grade"]),
                              pd.DataFrame(list(members), columns=MEMBER_COLS),
                              pd.DataFrame(list(history), columns=["unit_code", "member_id", "round", "decided_grade"]),
                              overdue or {})


def _verdicts(checked):
    return list(zip(checked["subject_id"], checked["verdict"], checked["reasons"]))


def test_excellent_member_must_be_graded_excellent(campaign):
    members = [("FN01", "A", "甲", "否", "优秀"), ("FN01", "B", "乙", "否", "合格")]
    checked, _ = _check(campaign, "R1", [("FN01", "优秀共产党员", "A"), ("FN01", "优秀共产党员", "B")], members)
    assert _verdicts(checked) == [("A", "符合", ""), ("B", "不符合", "评定等次为合格，须为优秀")]


def test_advanced_organisation_needs_good_grade_and_no_overdue_item(campaign):
    orgs = [("FN01", "好"), ("FN02", "好"), ("FN03", "较好")]
    noms = [("FN01", "先进基层党组织", "FN01"), ("FN02", "先进基层党组织", "FN02"), ("FN03", "先进基层党组织", "FN03")]
    checked, _ = _check(campaign, "R1", noms, [], orgs=orgs, overdue={"FN02": 2})
    assert _verdicts(checked) == [("FN01", "符合", ""), ("FN02", "不符合", "有 2 项整改逾期未销号"),
                                  ("FN03", "不符合", "组织等次为较好，须为好")]


def test_party_worker_must_be_a_worker_graded_excellent(campaign):
    members = [("FN01", "A", "甲", "是", "优秀"), ("FN01", "B", "乙", "否", "优秀")]
    noms = [("FN01", "优秀党务工作者", "A"), ("FN02", "优秀党务工作者", "B")]
    members.append(("FN02", "B", "乙", "否", "优秀"))
    checked, _ = _check(campaign, "R1", noms, members)
    assert _verdicts(checked) == [("A", "符合", ""), ("B", "不符合", "不是党务工作者")]


def test_quota_per_unit(campaign):
    assert campaign.commendation.quota_per_unit["优秀共产党员"] == 2
    members = [("FN01", m, m, "否", "优秀") for m in "ABC"]
    checked, _ = _check(campaign, "R1", [("FN01", "优秀共产党员", m) for m in "ABC"], members)
    assert [v for _, v, _ in _verdicts(checked)] == ["符合", "符合", "不符合"]
    assert "超出名额" in checked.iloc[2]["reasons"]


def test_eligible_candidates_not_nominated(campaign):
    members = [("FN01", "A", "甲", "是", "优秀"), ("FN01", "B", "乙", "否", "优秀"), ("FN01", "C", "丙", "否", "合格")]
    _, eligible = _check(campaign, "R1", [("FN01", "优秀共产党员", "B")], members, orgs=[("FN01", "好")])
    assert list(zip(eligible["nomination_kind"], eligible["subject_id"])) == [
        ("先进基层党组织", "FN01"), ("优秀共产党员", "A"), ("优秀党务工作者", "A")]


def test_special_commendation_looks_at_every_round(campaign):
    history = [("FN01", "A", "R1", "优秀"), ("FN01", "A", "R2", "合格"),
               ("FN01", "B", "R1", "合格"), ("FN01", "B", "R2", "合格"),
               ("FN01", "C", "R1", "优秀"), ("FN01", "C", "R2", "基本合格")]
    members = [("FN01", m, m, "否", g) for m, g in (("A", "合格"), ("B", "合格"), ("C", "基本合格"))]
    checked, _ = _check(campaign, "R2", [("FN01", "优秀共产党员", m) for m in "ABC"], members, history=history)
    assert campaign.round("R2").commendation_kind == "special"
    assert _verdicts(checked)[0] == ("A", "符合", "")
    assert _verdicts(checked)[1][1] == "不符合" and "均未达到优秀" in _verdicts(checked)[1][2]
    assert _verdicts(checked)[2][1] == "不符合" and "第二阶段基本合格" in _verdicts(checked)[2][2]


def _set_decisions(path, grades: dict, round_code=None, nominations=()):
    wb = load_workbook(path)
    if round_code:
        wb[layout.META_SHEET]["B4"] = round_code
        wb[layout.INFO_SHEET]["B5"] = round_code
        wb[layout.INFO_SHEET]["B8"] = dt.date(2012, 6, 1)
    ws = wb["党员名册"]  # 评定等次 and 说明 beside each member
    at = {str(c.value).rstrip("*"): c.column for c in ws[1]}
    for r in range(2, last_data_row(ws) + 1):
        if ws.cell(r, 1).value in grades:
            ws.cell(r, at["评定等次"]).value = grades[ws.cell(r, 1).value]
            ws.cell(r, at["说明"]).value = "支部研究决定"
    if nominations:
        ws = wb["先进推荐"]
        ws.delete_rows(2, ws.max_row)
        for i, (kind, subject) in enumerate(nominations, start=2):
            ws.cell(i, 1).value, ws.cell(i, 2).value, ws.cell(i, 3).value = kind, subject, "事迹突出"
    wb.save(path)


def test_special_rule_across_two_rounds_stored_in_the_ledger(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "r1", units=1, members=9, seed=17)
    r1 = next(inbox.glob("FN01*.xlsx"))
    roster = load_workbook(r1)["党员名册"]
    full = [r[0].value for r in roster.iter_rows(min_row=2, max_row=last_data_row(roster)) if r[4].value == "正式党员"]
    a, b = full[:2]
    _set_decisions(r1, {a: "优秀", b: "合格"})
    batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=dt.date(2010, 8, 2))
    inbox2 = tmp_path / "r2"
    inbox2.mkdir()
    r2 = inbox2 / "FN01第二阶段.xlsx"
    r2.write_bytes(r1.read_bytes())
    _set_decisions(r2, {a: "合格", b: "合格"}, "R2", [("优秀共产党员", a), ("优秀共产党员", b)])
    result = batch.run(campaign, inbox2, tmp_path / "out", tmp_path / "arch", as_of=dt.date(2012, 6, 20))
    assert result.round == "R2" and result.files[0].status == "accepted"
    checked = pd.read_csv(result.folder / "data" / "nominations.csv", encoding="utf-8-sig", keep_default_na=False)
    verdicts = dict(zip(checked["subject_id"], checked["verdict"]))
    assert verdicts == {a: "符合", b: "不符合"}


def test_a_member_who_took_no_part_is_never_commended(campaign, tmp_path):
    """Decided 优秀 by the branch and nominated, but without a single ballot this round: 不符合, and not on
    the 拟表彰 list."""
    inbox, _ = make_demo(campaign, tmp_path / "r1", units=1, members=9, seed=17)
    path = next(inbox.glob("FN01*.xlsx"))
    wb = load_workbook(path)
    full = [(r[0].value, r[1].value) for r in wb["党员名册"].iter_rows(min_row=2, max_row=10)
            if r[4].value == "正式党员"]
    away, name = full[0]
    ws = wb["党员评议"]
    drop_rows(ws, [r for r in range(2, last_data_row(ws) + 1) if ws.cell(r, 2).value == away])
    wb.save(path)
    _set_decisions(path, {away: "优秀"}, nominations=[("优秀共产党员", away)])
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=dt.date(2010, 8, 2))
    assert result.files[0].status == "accepted" and "W_NOT_REVIEWED" in {f.code for f in result.files[0].findings}
    checked = pd.read_csv(result.folder / "data" / "nominations.csv", encoding="utf-8-sig", keep_default_na=False)
    row = checked[checked["subject_id"] == away].iloc[0]
    assert row["verdict"] == "不符合" and "未参评" in row["reasons"]
    book = load_workbook(result.folder / publication.publication_name(campaign))
    listed = {c.value for ws in book.worksheets if ws.title != "拟表彰对象" for row in ws.iter_rows() for c in row}
    nominees = {c.value for row in book["拟表彰对象"].iter_rows() for c in row}
    assert name in listed and name not in nominees


def test_every_nomination_and_candidate_of_a_round_by_hand(campaign):
    """One unit's round in full: each verdict, name and reason, and the eligible list with its basis,
    written out by hand."""
    members = [("FN01", "A", "甲", "是", "优秀"), ("FN01", "B", "乙", "否", "优秀"), ("FN01", "C", "丙", "否", "合格"),
               ("FN01", "D", "丁", "否", "优秀"), ("FN02", "E", "戊", "否", "优秀"), ("FN02", "F", "己", "是", "优秀")]
    orgs = [("FN01", "好"), ("FN02", "较好"), ("FN03", "好"), ("FN05", "好"), ("FN06", None)]
    noms = [("FN01", "先进基层党组织", "FN01"), ("FN01", "先进基层党组织", "FN02"), ("FN02", "先进基层党组织", "FN02"),
            ("FN03", "先进基层党组织", "FN03"), ("FN04", "先进基层党组织", "FN04"), ("FN06", "先进基层党组织", "FN06"),
            ("FN01", "优秀共产党员", "B"), ("FN01", "优秀共产党员", "C"), ("FN01", "优秀共产党员", "D"),
            ("FN01", "优秀共产党员", "Z"), ("FN01", "优秀党务工作者", "B"), ("FN02", "优秀党务工作者", "F")]
    checked, eligible = _check(campaign, "R1", noms, members, orgs=orgs, overdue={"FN03": 1})
    assert [tuple(r) for r in checked.itertuples(index=False)] == [
        ("FN01", "先进基层党组织", "FN01", "丰年社区党委", "符合", ""),
        ("FN01", "先进基层党组织", "FN02", "丰年社区党委", "不符合", "先进基层党组织只能推荐本单位；超出名额（每单位先进基层党组织至多 1 名）"),
        ("FN01", "优秀共产党员", "B", "乙", "符合", ""),
        ("FN01", "优秀共产党员", "C", "丙", "不符合", "评定等次为合格，须为优秀"),
        ("FN01", "优秀共产党员", "D", "丁", "不符合", "超出名额（每单位优秀共产党员至多 2 名）"),
        ("FN01", "优秀共产党员", "Z", "", "不符合", "不是本单位党员；超出名额（每单位优秀共产党员至多 2 名）"),
        ("FN01", "优秀党务工作者", "B", "乙", "不符合", "不是党务工作者"),
        ("FN02", "先进基层党组织", "FN02", "东岭社区党委", "不符合", "组织等次为较好，须为好"),
        ("FN02", "优秀党务工作者", "F", "己", "符合", ""),
        ("FN03", "先进基层党组织", "FN03", "西湖社区党总支", "不符合", "有 1 项整改逾期未销号"),
        ("FN04", "先进基层党组织", "FN04", "南苑社区党委", "不符合", "本阶段没有组织评议结果"),
        ("FN06", "先进基层党组织", "FN06", "新桥社区党支部", "不符合", "本阶段没有组织评议结果"),
    ]
    assert [tuple(r) for r in eligible.itertuples(index=False)] == [
        ("FN05", "先进基层党组织", "FN05", "北园社区党总支", "组织等次好，无逾期整改"),
        ("FN01", "优秀共产党员", "A", "甲", "评定等次优秀"),
        ("FN01", "优秀党务工作者", "A", "甲", "评定等次优秀，党务工作者"),  # D: nominated (over the quota), so not listed
        ("FN02", "优秀共产党员", "E", "戊", "评定等次优秀"),
        ("FN02", "优秀共产党员", "F", "己", "评定等次优秀"),
    ]


def test_the_special_rule_names_every_round_below_the_floor(campaign):
    history = [("FN01", "A", "R1", "不合格"), ("FN01", "A", "R2", "优秀"), ("FN01", "B", "R1", "基本合格"),
               ("FN01", "B", "R2", "不合格")]
    members = [("FN01", "A", "甲", "否", "优秀"), ("FN01", "B", "乙", "否", "不合格")]
    checked, _ = _check(campaign, "R2", [("FN01", "优秀共产党员", "A"), ("FN01", "优秀共产党员", "B")], members,
                        history=history)
    assert _verdicts(checked) == [("A", "不符合", "有阶段低于合格（第一阶段不合格）"),
                                  ("B", "不符合", "各阶段评定等次均未达到优秀；有阶段低于合格（第一阶段基本合格、第二阶段不合格）")]


def test_the_special_rule_for_a_member_with_no_decision_in_any_round(campaign):
    """A member the ledger holds no decided grade for (a 预备党员 this round, say) is never 优秀 in any round:
    不符合 for that, not a failure; the worker's kind does not look at the rounds."""
    members = [("FN01", "D", "丁", "是", None)]
    checked, _ = _check(campaign, "R2", [("FN01", "优秀共产党员", "D"), ("FN01", "优秀党务工作者", "D")], members)
    assert _verdicts(checked) == [("D", "不符合", "各阶段评定等次均未达到优秀"),
                                  ("D", "不符合", "评定等次为空，须为优秀")]


def test_a_kind_the_campaign_gives_no_quota_has_no_place(campaign):
    """A nomination kind left out of quota_per_unit has 0 places: every nomination of it is over the quota."""
    import dataclasses
    quota = {k: n for k, n in campaign.commendation.quota_per_unit.items() if k != "优秀党务工作者"}
    local = dataclasses.replace(campaign, commendation=dataclasses.replace(campaign.commendation, quota_per_unit=quota))
    members = [("FN01", "A", "甲", "是", "优秀")]
    checked, _ = _check(local, "R1", [("FN01", "优秀党务工作者", "A")], members)
    assert _verdicts(checked) == [("A", "不符合", "超出名额（每单位优秀党务工作者至多 0 名）")]
