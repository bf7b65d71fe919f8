"""Scoring (SPEC §6): a tiny ballot set computed by hand, and invariants checked by hypothesis."""

import copy
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline import scoring
from pipeline.campaign import parse
from pipeline.rules import scores

ORG = ["领导班子好", "党员队伍好", "工作机制好", "工作业绩好", "群众反映好"]
MEM = ["带头学习提高", "带头争创佳绩", "带头服务群众", "带头遵纪守法", "带头弘扬正气"]


def ballots(unit, member, form, options_per_ballot, crits, start=0):
    """One row per ballot and criterion; each ballot gives the same option on every criterion."""
    rows = []
    for i, option in enumerate(options_per_ballot):
        for c in crits:
            rows.append((unit, member, form, f"{member or unit}-{form}-{start + i}", c, option))
    return rows


COLS = ["unit_code", "member_id", "form", "ballot_id", "criterion", "option"]


@pytest.fixture  # per test: mutmut credits the rules a fixture runs to the test that asked for it
def tiny(campaign):
    """The hand-computed example: unit FN01, full members A B C D F, probationary E."""
    org = ballots("FN01", "", "组织点评", ["好", "较好"], ORG)                 # 92.5 per criterion
    org += ballots("FN01", "", "群众评议", ["满意", "基本满意", "不了解"], ORG)  # (100 + 70) / 2 = 85
    mem = []
    mem += ballots("FN01", "A", "自评", ["好"], MEM) + ballots("FN01", "A", "党员互评", ["好"] * 3, MEM)
    mem += ballots("FN01", "A", "群众评议", ["满意"] * 3, MEM) + ballots("FN01", "A", "组织点评", ["好"], MEM)
    mem += ballots("FN01", "B", "自评", ["好"], MEM) + ballots("FN01", "B", "党员互评", ["好", "好", "较好"], MEM)
    mem += ballots("FN01", "B", "群众评议", ["满意"] * 3, MEM) + ballots("FN01", "B", "组织点评", ["好"], MEM)
    mem += ballots("FN01", "C", "自评", ["好"], MEM) + ballots("FN01", "C", "党员互评", ["好"] * 3, MEM)
    mem += ballots("FN01", "C", "群众评议", ["不满意", "不满意", "满意"], MEM) + ballots("FN01", "C", "组织点评", ["好"], MEM)
    mem += ballots("FN01", "D", "自评", ["较好"], MEM) + ballots("FN01", "D", "党员互评", ["一般"] * 3, MEM)
    mem += ballots("FN01", "D", "组织点评", ["一般"], MEM)
    mem += ballots("FN01", "E", "自评", ["好"], MEM)
    roster = pd.DataFrame({"unit_code": "FN01", "member_id": list("ABCDEF"),
                           "member_kind": ["正式党员"] * 4 + ["预备党员", "正式党员"]})
    decisions = pd.DataFrame({"unit_code": "FN01", "member_id": list("ABCDE"),
                              "decided_grade": ["优秀", "合格", "不合格", "合格", "不定等次"]})
    member_stats = scores.member_stats_by_unit(campaign, [pd.DataFrame(mem, columns=COLS)])
    return scores.score_round(campaign, {"FN01": "FN01.xlsx"}, pd.DataFrame(org, columns=COLS), member_stats,
                               roster, decisions)


def test_unit_by_hand(tiny):
    s = tiny.org_stats
    public = s[(s["form"] == "群众评议") & (s["criterion"] == "领导班子好")].iloc[0]
    assert public["n_ballots"] == 3 and public["n_scored"] == 2
    assert public["mean_points"] == 85.0 and public["top2_rate"] == 0.5
    assert public["share_不了解"] == pytest.approx(1 / 3)
    review = s[(s["form"] == "组织点评") & (s["criterion"] == "群众反映好")].iloc[0]
    assert review["mean_points"] == 92.5 and review["top2_rate"] == 1.0
    r = tiny.org_results.iloc[0]
    # 下级评议上级 has no ballot: weights 0.4 and 0.4 renormalised. (0.4*92.5 + 0.4*85) / 0.8 = 88.75
    assert r["composite"] == 88.75 and r["grade"] == "较好" and r["rank"] == 1
    assert r["participation_rate"] == 0.8  # 4 of 5 full members have ballots (F has none)
    missing = [(f.code, f.detail) for f in tiny.findings if f.value == "FN01"]
    assert missing == [("W_FORM_MISSING", "单位 FN01 的下级评议上级")]


def test_members_by_hand(tiny):
    m = tiny.member_results.set_index("member_id")
    # A: every form 100.
    assert m.loc["A", "composite"] == 100.0 and m.loc["A", "suggested_grade"] == "优秀"
    # B: 党员互评 (100+100+85)/3 = 95; 0.1*100 + 0.4*95 + 0.3*100 + 0.2*100 = 98 -> 优秀, but the cap is
    # floor(4 reviewed full members / 3) = 1 (F took no part: not in N) and A is higher: B drops to 合格.
    assert m.loc["B", "composite"] == 98.0 and m.loc["B", "suggested_grade"] == "合格"
    assert "正式党员 4 名" in m.loc["B", "grade_note"] and "至多 1 名" in m.loc["B", "grade_note"]
    # C: 群众评议 (50+50+100)/3 = 66.67; 10 + 40 + 0.3*66.667 + 20 = 90.00 -> 优秀 by band, but the pooled
    # 群众评议 满意率 is 5/15 < 50%: vetoed to 不合格 (before the cap, so it takes no 优秀 place).
    assert m.loc["C", "composite"] == 90.0 and m.loc["C", "suggested_grade"] == "不合格"
    assert "满意率 33.3%" in m.loc["C", "grade_note"]
    # D: no 群众评议: (0.1*85 + 0.4*70 + 0.2*70) / 0.7 = 72.142857 -> 72.14 -> 合格.
    assert m.loc["D", "composite"] == 72.14 and m.loc["D", "suggested_grade"] == "合格"
    # E: probationary, reviewed but not graded nor ranked.
    assert m.loc["E", "composite"] == 100.0 and m.loc["E", "suggested_grade"] == "不定等次"
    assert pd.isna(m.loc["E", "rank_in_unit"])
    # F: no ballot at all: not reviewed (未参评), no composite, no rank.
    assert pd.isna(m.loc["F", "composite"]) and m.loc["F", "suggested_grade"] == "未参评"
    assert m.loc["F", "grade_note"] == "未参评：没有评议票" and pd.isna(m.loc["F", "rank_in_unit"])
    assert list(m.loc[list("ABCD"), "rank_in_unit"]) == [1, 2, 3, 4]
    assert list(m.loc[list("ABCDE"), "decided_grade"]) == ["优秀", "合格", "不合格", "合格", "不定等次"]
    # D lacks one form (群众评议): W_FORM_MISSING; F lacks all: not reviewed, not four missing forms.
    assert [f.detail for f in tiny.findings if f.value == "D"] == ["党员 D 的群众评议"]
    assert [f for f in tiny.findings if f.value == "F"] == []


def test_members_who_took_no_part_are_not_in_the_caps_n(campaign):
    """Six full members, three away (外出务工经商...): N = 3, so one 优秀 (not floor(6/3) = 2)."""
    comp = pd.DataFrame({"unit_code": "FN01", "member_id": list("ABC"), "composite": [99.0, 98.0, 97.0]})
    roster = pd.DataFrame({"unit_code": "FN01", "member_id": list("ABCXYZ"), "member_kind": "正式党员",
                           "absence_reason": [None, None, None, "外出务工经商", "因病", "流动党员"]})
    stats = pd.DataFrame(columns=["unit_code", "member_id", "form", "criterion", "n_top2", "n_scored"])
    g = scoring.member_grades(comp, stats, roster, campaign, "正式党员").set_index("member_id")
    assert list(g.loc[list("ABC"), "suggested_grade"]) == ["优秀", "合格", "合格"]
    assert "正式党员 3 名" in g.loc["B", "grade_note"]
    assert list(g.loc[list("XYZ"), "suggested_grade"]) == ["未参评"] * 3
    assert g.loc["Y", "grade_note"] == "未参评：因病"


def test_votes_and_shares_per_option_counted_by_hand(campaign):
    """Votes per option and their shares of the ballots: an option one unit chose and another did not is 0 votes
    for the other, not missing (an option nobody chose has no column)."""
    rows = pd.DataFrame(ballots("FN01", "", "群众评议", ["满意", "满意", "不了解", "基本满意"], ORG[:1]) +
                        ballots("FN02", "", "群众评议", ["满意"], ORG[:1]), columns=COLS)
    out = scoring.criterion_stats(rows, campaign, "org").set_index("unit_code")
    assert out.loc["FN01", ["votes_满意", "votes_基本满意", "votes_不了解"]].tolist() == [2, 1, 1]
    assert "votes_比较满意" not in out
    assert out.loc["FN02", ["votes_满意", "votes_基本满意", "votes_不了解"]].tolist() == [1, 0, 0]
    assert out.loc["FN01", "share_满意"] == 0.5 and out.loc["FN02", "share_基本满意"] == 0
    assert out.loc["FN01", "n_ballots"] == 4 and out.loc["FN01", "n_scored"] == 3 and out.loc["FN01", "top2_rate"] == 2 / 3


def test_round_half_up():
    assert scoring.round_half_up(84.125, 2) == 84.13
    assert scoring.round_half_up(84.135, 2) == 84.14
    assert scoring.round_half_up(72.142857, 2) == 72.14
    assert scoring.round_half_up(89.995, 2) == 90.0
    assert math.isnan(scoring.round_half_up(float("nan"), 2)) and math.isnan(scoring.round_half_up(None, 2))


def test_competition_ranking_shares_ties():
    assert list(scoring.competition_rank(pd.Series([90.0, 85.0, 85.0, 70.0]))) == [1, 2, 2, 4]


def test_trim_drops_highest_and_lowest(campaign, raw_campaign):
    d = copy.deepcopy(raw_campaign)
    d["scoring"]["trim"] = 1
    trimmed = parse(d)
    rows = pd.DataFrame(ballots("FN01", "", "群众评议", ["满意", "满意", "比较满意", "基本满意", "不满意"], ORG),
                        columns=COLS)
    plain = scoring.criterion_stats(rows, campaign, "org")["mean_points"].iloc[0]
    cut = scoring.criterion_stats(rows, trimmed, "org")["mean_points"].iloc[0]
    assert plain == (100 + 100 + 85 + 70 + 50) / 5
    assert cut == (100 + 85 + 70) / 3
    few = rows[rows["ballot_id"].str.endswith(("-0", "-1", "-2", "-3"))]
    assert scoring.criterion_stats(few, trimmed, "org")["mean_points"].iloc[0] == (100 + 100 + 85 + 70) / 4


def test_trim_of_two_needs_seven_votes_and_counts_tallied_votes_one_by_one(campaign, raw_campaign):
    d = copy.deepcopy(raw_campaign)
    d["scoring"]["trim"] = 2
    trimmed = parse(d)
    six = ["满意", "满意", "比较满意", "基本满意", "不满意", "不满意"]
    rows = pd.DataFrame(ballots("FN01", "", "群众评议", six, ORG[:1]), columns=COLS)
    assert scoring.criterion_stats(rows, trimmed, "org")["mean_points"].iloc[0] == (200 + 85 + 70 + 100) / 6
    seven = pd.DataFrame(ballots("FN01", "", "群众评议", six + ["比较满意"], ORG[:1]), columns=COLS)
    assert scoring.criterion_stats(seven, trimmed, "org")["mean_points"].iloc[0] == (85 + 85 + 70) / 3
    # the same seven votes as three weighted lines: 2 x 100, 2 x 85, 1 x 70, 2 x 50
    weighted = pd.DataFrame([("FN01", "", "群众评议", f"tally-{i}", ORG[0], o, w) for i, (o, w) in
                             enumerate([("满意", 2), ("比较满意", 2), ("基本满意", 1), ("不满意", 2)])],
                            columns=COLS + ["weight"])
    stats = scoring.criterion_stats(weighted, trimmed, "org").iloc[0]
    assert stats["mean_points"] == (85 + 85 + 70) / 3 and stats["n_ballots"] == 7 and stats["n_top2"] == 4


def test_trim_of_tallied_votes_reaches_the_lowest_line_from_the_top(raw_campaign):
    """Tallied votes come as one line per option: with two lines (3 x 100, 2 x 50) and trim 1, one 100 and
    one 50 go, (100 + 100 + 50) / 3; with trim 2 and 2 x 100, 5 x 50, the highest two taken from the top
    line leave 3 x 50, and with 1 x 100, 6 x 50 the second highest comes from the lowest line."""
    d = copy.deepcopy(raw_campaign)

    def mean(trim, lines):
        d["scoring"]["trim"] = trim
        rows = pd.DataFrame([("FN01", "", "群众评议", f"tally-{i}", ORG[0], o, w) for i, (o, w) in enumerate(lines)],
                            columns=COLS + ["weight"])
        return scoring.criterion_stats(rows, parse(d), "org")["mean_points"].iloc[0]
    assert mean(1, [("满意", 3), ("不满意", 2)]) == (100 + 100 + 50) / 3
    assert mean(2, [("满意", 2), ("不满意", 5)]) == 50.0
    assert mean(2, [("不满意", 6), ("满意", 1)]) == 50.0


def test_weights_and_bands_come_from_the_campaign_file(campaign, raw_campaign, tiny):
    d = copy.deepcopy(raw_campaign)
    d["weights"]["org"] = {"组织点评": 0.6, "群众评议": 0.2, "下级评议上级": 0.2}
    d["grades"]["org"]["bands"][1]["min"] = 88
    other = parse(d)
    org = pd.DataFrame(ballots("FN01", "", "组织点评", ["好", "较好"], ORG) +
                       ballots("FN01", "", "群众评议", ["满意", "基本满意", "不了解"], ORG), columns=COLS)
    empty = pd.DataFrame(columns=COLS)
    roster = pd.DataFrame(columns=["unit_code", "member_id", "member_kind"])
    r = scores.score_round(other, {"FN01": "f"}, org, scores.member_stats_by_unit(other, [empty]), roster, pd.DataFrame(columns=["unit_code", "member_id",
                                                                                          "decided_grade"]))
    row = r.org_results.iloc[0]
    assert row["composite"] == 90.63  # (0.6*92.5 + 0.2*85) / 0.8 = 90.625, half-up
    assert row["grade"] == "好"
    assert tiny.org_results.iloc[0]["grade"] == "较好"


# ---------------------------------------------------------------- properties

OPTIONS = {"rating": ["好", "较好", "一般", "差"], "satisfaction": ["满意", "比较满意", "基本满意", "不满意", "不了解"]}
MEMBER_FORMS = {"自评": "rating", "党员互评": "rating", "群众评议": "satisfaction", "组织点评": "rating"}


@st.composite
def ballot_sets(draw):
    rows = []
    n = 0
    for member in draw(st.lists(st.sampled_from(["M1", "M2", "M3"]), min_size=1, max_size=3, unique=True)):
        forms = draw(st.lists(st.sampled_from(list(MEMBER_FORMS)), min_size=1, max_size=4, unique=True))
        for form in forms:
            for _ in range(draw(st.integers(1, 4))):
                n += 1
                for c in MEM:
                    rows.append(("FN01", member, form, f"b{n}", c, draw(st.sampled_from(OPTIONS[MEMBER_FORMS[form]]))))
    return pd.DataFrame(rows, columns=COLS)


def _composites(campaign, df):
    stats = scoring.criterion_stats(df, campaign, "member")
    return scoring.composites(scoring.form_scores(stats), campaign, "member").set_index("member_id")["composite"]


@settings(max_examples=60, deadline=None)
@given(ballot_sets(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_ballot_or_file_order(campaign, df, rnd):
    order = list(range(len(df)))
    rnd.shuffle(order)
    a = _composites(campaign, df).sort_index()
    b = _composites(campaign, df.iloc[order].reset_index(drop=True)).sort_index()
    pd.testing.assert_series_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(ballot_sets())
def test_composite_stays_within_the_scale(campaign, df):
    c = _composites(campaign, df).dropna()
    assert ((c >= 50) & (c <= 100)).all()


@settings(max_examples=60, deadline=None)
@given(ballot_sets(), st.sampled_from(list(MEMBER_FORMS)))
def test_a_best_option_ballot_never_lowers_the_score(campaign, df, form):
    member = df["member_id"].iloc[0]
    before = _composites(campaign, df).get(member)
    best = OPTIONS[MEMBER_FORMS[form]][0]
    extra = pd.DataFrame([("FN01", member, form, "extra", c, best) for c in MEM], columns=COLS)
    after = _composites(campaign, pd.concat([df, extra], ignore_index=True))[member]
    assume(before is not None and not math.isnan(before))
    assert after >= before - 0.01  # composites are rounded to 0.01


@settings(max_examples=60, deadline=None)
@given(ballot_sets())
def test_missing_forms_renormalise_the_weights(campaign, df):
    weights = {f.name: f.weight for f in campaign.forms["member"]}
    stats = scoring.criterion_stats(df, campaign, "member")
    forms = scoring.form_scores(stats)
    got = scoring.composites(forms, campaign, "member").set_index("member_id")["composite"]
    scored = forms.dropna(subset=["score"])
    assert set(got.dropna().index) == set(scored["member_id"])
    for member, part in scored.groupby("member_id"):
        explicit = sum(weights[f] * s for f, s in zip(part["form"], part["score"])) / sum(weights[f] for f in part["form"])
        assert got[member] == scoring.round_half_up(explicit, 2)


@settings(max_examples=30, deadline=None)
@given(st.permutations(["FN03", "FN01", "FN02"]), st.lists(st.sampled_from(["好", "较好", "一般", "差"]), min_size=1, max_size=4))
def test_units_stats_joined_in_any_order_are_the_table_in_campaign_order(campaign, order, options):
    """The round joins per-unit member stats without sorting the whole table: whatever order the units'
    parts come in, the result is the table sorted by unit, member, form and criterion (campaign order)."""
    forms = ["群众评议", "自评", "党员互评", "组织点评"]  # not in campaign order on purpose
    parts = {u: pd.DataFrame([r for m in ("B", "A") for f in forms for r in ballots(u, m, f, options, MEM[::-1])],
                             columns=COLS) for u in order}
    joined = scores.member_stats_by_unit(campaign, [parts[u] for u in order])
    whole = scoring.in_campaign_order(scoring.criterion_stats(pd.concat(parts.values(), ignore_index=True), campaign,
                                                              "member", votes=False), campaign, "member")
    pd.testing.assert_frame_equal(joined, whole)
    assert list(joined["unit_code"].drop_duplicates()) == ["FN01", "FN02", "FN03"]
    first = joined[(joined["unit_code"] == "FN01") & (joined["member_id"] == "A")]
    assert list(first["form"].drop_duplicates()) == [f.name for f in campaign.forms["member"]]
    mixed = scores.member_stats_by_unit(campaign, [pd.concat([parts[order[0]], parts[order[1]]]), parts[order[2]]])
    pd.testing.assert_frame_equal(mixed, whole)


def test_the_nine_digit_guard_rounds_what_a_person_computes(campaign):
    """0.1 x 50 + 0.4 x 68.333... + 0.3 x 58.75 + 0.2 x 68.333... is 63.625 by hand; in floating point it is
    63.62499999999999, which must still round half-up to 63.63."""
    scores = pd.DataFrame({"unit_code": "FN01", "member_id": "A", "form": ["自评", "党员互评", "群众评议", "组织点评"],
                           "score": [50, 205 / 3, 58.75, 205 / 3]})
    assert scoring.composites(scores, campaign, "member")["composite"].tolist() == [63.63]


@pytest.mark.parametrize("rate, vetoed", [(0.5, False), (0.49, True)])
def test_the_veto_bites_only_below_its_rate(campaign, rate, vetoed):
    """满意率 exactly at the threshold (50%) keeps the band's grade; just below it is 不合格."""
    comp = pd.DataFrame({"unit_code": "FN01", "member_id": list("ABC"), "composite": [95.0, 80.0, 75.0]})
    roster = pd.DataFrame({"unit_code": "FN01", "member_id": list("ABC"), "member_kind": "正式党员"})
    scored = 100
    stats = pd.DataFrame({"unit_code": "FN01", "member_id": "A", "form": "群众评议", "criterion": "带头学习提高",
                          "n_top2": [int(rate * scored)], "n_scored": [scored]})
    g = scoring.member_grades(comp, stats, roster, campaign, "正式党员").set_index("member_id")
    assert g.loc["A", "suggested_grade"] == ("不合格" if vetoed else "优秀")


def test_the_cap_breaks_a_tie_by_member_id(campaign):
    """Six full members, two 优秀 allowed; three tie at 95: the two lowest 党员编号 keep 优秀."""
    comp = pd.DataFrame({"unit_code": "FN01", "member_id": list("FDEABC"), "composite": [95.0, 95.0, 95.0, 80, 80, 80]})
    roster = pd.DataFrame({"unit_code": "FN01", "member_id": list("ABCDEF"), "member_kind": "正式党员"})
    stats = pd.DataFrame(columns=["unit_code", "member_id", "form", "criterion", "n_top2", "n_scored"])
    g = scoring.member_grades(comp, stats, roster, campaign, "正式党员").set_index("member_id")
    assert list(g.loc[list("DEF"), "suggested_grade"]) == ["优秀", "优秀", "合格"]


def test_a_units_member_stats_count_its_tallies_as_its_ballots(campaign):
    """unit_member_stats from wide ballots and from the same votes as a tally: the same statistics, for the
    unit named, in campaign order."""
    wide = pd.DataFrame([{"ballot_id": f"P{i}", "member_id": "A", "form": "党员互评",
                          **{c.code: o for c in campaign.criteria["member"]}} for i, o in enumerate(["好", "好", "一般"])])
    key = {c.option: c.key for c in campaign.workbooks["unit"].sheet("member_tallies").option_columns}
    tally = pd.DataFrame([{"member_id": "A", "form": "党员互评", "criterion": c.name, "n_ballots": 3,
                           key["好"]: 2, key["一般"]: 1} for c in campaign.criteria["member"]])
    by_ballots = scoring.unit_member_stats(campaign, "FN07", wide)
    by_tally = scoring.unit_member_stats(campaign, "FN07", wide.iloc[0:0], tally)
    assert list(by_tally["criterion"]) == [c.name for c in campaign.criteria["member"]]
    assert set(by_tally["unit_code"]) == {"FN07"} and list(by_tally.index) == list(range(5))
    pd.testing.assert_frame_equal(by_ballots, by_tally, check_dtype=False)
    assert by_tally["mean_points"].tolist() == [(100 + 100 + 70) / 3] * 5 and by_tally["n_ballots"].tolist() == [3] * 5


def test_campaign_order_puts_unknown_names_last_and_keeps_every_row(campaign):
    crits = [c.name for c in campaign.criteria["member"]]
    stats = pd.DataFrame({"unit_code": ["FN02", "FN01", "FN01", "FN01"], "member_id": ["B", "A", "A", "A"],
                          "form": ["自评", "组织点评", "自评", "自评"], "criterion": ["其他", crits[1], "其他", crits[0]]},
                         index=[7, 8, 9, 10])
    out = scoring.in_campaign_order(stats, campaign, "member")
    assert list(zip(out["unit_code"], out["form"], out["criterion"])) == [
        ("FN01", "自评", crits[0]), ("FN01", "自评", "其他"), ("FN01", "组织点评", crits[1]), ("FN02", "自评", "其他")]
    assert list(out.index) == [0, 1, 2, 3]
    forms = scoring.in_campaign_order(stats.drop(columns="criterion"), campaign, "member")
    assert list(forms["form"]) == ["自评", "自评", "组织点评", "自评"] and list(forms.index) == [0, 1, 2, 3]


def test_the_veto_rate_pools_every_criterion_and_is_blank_without_a_scored_vote():
    stats = pd.DataFrame({"unit_code": "FN01", "member_id": ["A", "A", "B", "C"], "form": ["群众评议"] * 3 + ["自评"],
                          "criterion": ["x", "y", "x", "x"], "n_scored": [3, 1, 0, 2], "n_top2": [1, 1, 0, 2]})
    out = scoring.pooled_top2(stats, "群众评议").set_index("member_id")["pooled_top2"]
    assert out["A"] == 0.5 and pd.isna(out["B"]) and "C" not in out.index
    one = pd.DataFrame({"unit_code": "FN01", "member_id": ["A"], "form": ["群众评议"], "criterion": ["x"],
                        "n_scored": [1], "n_top2": [1]})
    assert scoring.pooled_top2(one, "群众评议")["pooled_top2"].tolist() == [1.0]


def test_ranks_are_whole_numbers_with_blanks_for_the_unscored():
    ranks = scoring.competition_rank(pd.Series([70.0, None, 90.0]))
    assert str(ranks.dtype) == "Int64" and ranks.tolist()[0] == 2 and ranks.tolist()[2] == 1 and pd.isna(ranks[1])


def test_a_missing_form_names_its_file_sheet_and_subject(tiny, campaign):
    """W_FORM_MISSING points at the unit's file, at 党员名册 for a member (no sheet for the unit's own
    forms), with the subject as its value."""
    found = [(f.file, f.sheet, f.value, f.detail) for f in tiny.findings
             if f.code == "W_FORM_MISSING" and f.value in ("FN01", "D")]
    assert found == [("FN01.xlsx", "", "FN01", "单位 FN01 的下级评议上级"),
                     ("FN01.xlsx", campaign.workbooks["unit"].sheet("roster").name, "D", "党员 D 的群众评议")]


def test_missing_forms_are_listed_subject_by_subject_in_form_order(campaign):
    """Each subject's missing forms together, in the campaign's form order, the subjects in the roster's order."""
    subjects = pd.DataFrame({"unit_code": "FN01", "member_id": ["B", "A"]})
    have = pd.DataFrame([("FN01", "B", "党员互评"), ("FN01", "B", "群众评议"), ("FN01", "A", "党员互评"),
                         ("FN01", "A", "群众评议"), ("FN01", "A", "组织点评")], columns=["unit_code", "member_id", "form"])
    found = scores._missing_forms(campaign, "member", subjects, have, {"FN01": "FN01.xlsx"}, "党员名册")
    assert [f.detail for f in found] == ["党员 B 的自评", "党员 B 的组织点评", "党员 A 的自评"]


def test_a_branch_without_lower_organisations_misses_no_upward_review_and_the_next_unit_is_still_checked(campaign):
    """FN06 (lower_orgs = false) has no 下级评议上级: nothing missing for it; FN07, after it, lacks 群众评议
    and 下级评议上级 and both are named, in form order."""
    forms = [f.name for f in campaign.forms["org"]]
    subjects = pd.DataFrame({"unit_code": ["FN06", "FN07"], "member_id": ["", ""]})
    have = pd.DataFrame({"unit_code": ["FN06", "FN06", "FN07"], "member_id": "", "form": [forms[0], forms[1], forms[0]]})
    found = scores._missing_forms(campaign, "org", subjects, have, {"FN06": "a.xlsx", "FN07": "b.xlsx"}, "")
    assert [(f.file, f.value, f.detail) for f in found] == [("b.xlsx", "FN07", f"单位 FN07 的{forms[1]}"),
                                                            ("b.xlsx", "FN07", f"单位 FN07 的{forms[2]}")]
    unknown = scores._missing_forms(campaign, "org", subjects.iloc[1:], have.iloc[2:], {}, "")
    assert [f.file for f in unknown] == ["", ""], "a unit without a file: no file named"


def test_the_member_table_by_hand_keeps_its_columns_types_and_notes(tiny):
    """Beyond the figures: the veto form's pooled rate kept as veto_rate (C: 5 of 15 = 1/3), ranks as whole
    numbers with blanks (Int64), no leftover column, and an empty note where nothing needs saying."""
    mr = tiny.member_results
    assert list(mr.columns) == scores.MEMBER_RESULT_COLUMNS + ["veto_rate"]
    m = mr.set_index("member_id")
    assert m.loc["C", "veto_rate"] == pytest.approx(1 / 3) and m.loc["A", "veto_rate"] == 1.0
    assert str(mr["rank_in_unit"].dtype) == "Int64"
    assert m.loc["A", "grade_note"] == "" and m.loc["D", "grade_note"] == ""


def test_a_tally_becomes_weighted_lines_by_hand(campaign):
    """Row 1: 票数 5, two votes for the first option and one for the second: three lines, the two ballots
    that left the criterion blank as a line without an option. Row 2: three votes, a negative count read
    as none, 票数 blank: one line. Each line names its tally row (tally-1, tally-2); weights are whole numbers."""
    o1, o2 = campaign.workbooks["unit"].sheet("member_tallies").option_columns[:2]
    tallies = pd.DataFrame([
        {"unit_code": "FN01", "member_id": "A", "form": "党员互评", "criterion": "带头学习提高", "n_ballots": 5,
         o1.key: 2, o2.key: 1},
        {"unit_code": "FN01", "member_id": "B", "form": "党员互评", "criterion": "带头学习提高", "n_ballots": None,
         o1.key: "3", o2.key: -1}])
    out = scoring.tally_ballots(tallies, campaign, "member")
    assert list(out.columns) == ["unit_code", "member_id", "form", "ballot_id", "criterion", "option", "weight"]
    assert [(r.member_id, r.option if isinstance(r.option, str) else None, r.weight, r.ballot_id)
            for r in out.itertuples()] == [
        ("A", o1.option, 2, "tally-1"), ("B", o1.option, 3, "tally-2"), ("A", o2.option, 1, "tally-1"), ("A", None, 2, "tally-1")]
    assert out["weight"].dtype == np.int64 and list(out.index) == [0, 1, 2, 3]
    empty = scoring.tally_ballots(tallies.iloc[0:0], campaign, "member")
    assert list(empty.columns) == list(out.columns) and empty.empty
