"""The campaign file: loaded into frozen dataclasses; a bad file refused with the key and the reason."""

import copy
import dataclasses
import datetime as dt

import pytest

from pipeline import campaign as campaign_mod
from pipeline.campaign import CampaignError, parse


def test_shipped_campaign_has_every_fact_of_spec_section_2(campaign):
    assert [r.code for r in campaign.rounds] == ["R1", "R2"]
    assert campaign.round("R1").start == dt.date(2010, 5, 20)
    assert campaign.round("R1").submission_due == dt.date(2010, 7, 31)
    assert campaign.round("R2").commendation_date == dt.date(2012, 7, 1)
    assert len(campaign.units) == 10 and {u.kind for u in campaign.units} == {"社区", "机关"}
    assert [c.name for c in campaign.criteria["org"]] == ["领导班子好", "党员队伍好", "工作机制好", "工作业绩好", "群众反映好"]
    assert [c.name for c in campaign.criteria["member"]] == ["带头学习提高", "带头争创佳绩", "带头服务群众",
                                                             "带头遵纪守法", "带头弘扬正气"]
    assert all(c.description for g in campaign.criteria.values() for c in g)
    assert {f.name: f.weight for f in campaign.forms["org"]} == {"组织点评": 0.4, "群众评议": 0.4, "下级评议上级": 0.2}
    assert {f.name: f.weight for f in campaign.forms["member"]} == {"自评": 0.1, "党员互评": 0.4, "群众评议": 0.3,
                                                                   "组织点评": 0.2}
    sat = campaign.scales["satisfaction"]
    assert sat.points_of("比较满意") == 85 and sat.points_of("不了解") is None
    assert sat.top2 == ("满意", "比较满意")
    assert campaign.grades["member"].grade_for(89.99) == "合格"
    assert campaign.grades["member"].grade_for(90) == "优秀"
    assert campaign.grades["org"].grade_for(64.99) == "差"
    assert campaign.grades["member"].veto.min_rate == 0.5
    assert campaign.grades["member"].cap.denominator == 3
    assert campaign.trim == 0


def test_campaign_is_frozen(campaign):
    with pytest.raises(dataclasses.FrozenInstanceError):
        campaign.units[0].code = "X"


def _refused(raw, mutate):
    bad = copy.deepcopy(raw)
    mutate(bad)
    with pytest.raises(CampaignError) as e:
        parse(bad)
    return e.value


def test_weights_must_sum_to_one(raw_campaign):
    err = _refused(raw_campaign, lambda d: d["weights"]["org"].update({"组织点评": 0.5}))
    assert err.key == "weights.org" and "权重之和应为 1" in err.reason and "1.1" in err.reason


def test_unknown_form_in_weights(raw_campaign):
    err = _refused(raw_campaign, lambda d: d["weights"]["member"].update({"家访": 0.0}))
    assert err.key == "weights.member.家访" and "未知的评议方式" in err.reason


def test_duplicate_unit_code(raw_campaign):
    err = _refused(raw_campaign, lambda d: d["units"][1].update(code=d["units"][0]["code"]))
    assert err.key == "units" and "FN01" in err.reason and "重复" in err.reason


@pytest.mark.parametrize("mins", [[90, 70, 70, 0], [70, 90, 60, 0]], ids=["overlapping", "unordered"])
def test_grade_bands_must_be_ordered_and_not_overlap(raw_campaign, mins):
    def mutate(d):
        for band, m in zip(d["grades"]["member"]["bands"], mins):
            band["min"] = m
    err = _refused(raw_campaign, mutate)
    assert err.key == "grades.member.bands" and "从高到低且不重叠" in err.reason


def test_scale_with_duplicate_points(raw_campaign):
    err = _refused(raw_campaign, lambda d: d["scales"]["rating"]["options"][1].update(points=100))
    assert err.key == "scales.rating.options" and "分值“100”重复" in err.reason


@pytest.mark.parametrize("section", ["units", "rounds", "scales", "weights", "grades", "limits", "workbooks"])
def test_missing_section(raw_campaign, section):
    err = _refused(raw_campaign, lambda d: d.pop(section))
    assert err.key == section and err.reason == "缺少此项"


def test_unknown_scale_in_form(raw_campaign):
    err = _refused(raw_campaign, lambda d: d["forms"]["org"][0].update(scale="stars"))
    assert err.key == "forms.org[0].scale"


def test_message_names_key_and_reason(raw_campaign):
    err = _refused(raw_campaign, lambda d: d["weights"]["org"].update({"组织点评": 0.5}))
    assert str(err).startswith("活动配置文件有误：weights.org：")


def test_unreadable_toml_is_refused(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[campaign\nid=", encoding="utf-8")
    with pytest.raises(CampaignError) as e:
        campaign_mod.load(p)
    assert "无法解析" in e.value.reason


def test_derived_lists_follow_the_file(raw_campaign):
    d = copy.deepcopy(raw_campaign)
    d["units"].append({"code": "FN11", "name": "新设社区党委", "kind": "社区"})
    c = parse(d)
    assert "FN11" in c.enums["@units"]
    col = c.workbooks["street"].sheet("street_reviews").column("unit_code")
    assert "FN11" in col.enum


def test_weights_message_never_reads_one_for_a_sum_that_is_not_one(raw_campaign):
    err = _refused(raw_campaign, lambda d: d["weights"]["org"].update({"组织点评": 0.40001}))
    assert err.reason == "权重之和应为 1，现为 1.00001"


def test_every_form_declares_a_known_role(raw_campaign):
    err = _refused(raw_campaign, lambda d: d["forms"]["member"][2].update(role="masses"))
    assert err.key == "forms.member[2].role" and "public" in err.reason
    err = _refused(raw_campaign, lambda d: d["forms"]["member"][2].pop("role"))
    assert err.key == "forms.member[2].role" and err.reason == "缺少此项"


def test_a_role_is_held_by_one_form_of_a_group(raw_campaign):
    err = _refused(raw_campaign, lambda d: d["forms"]["member"][1].update(role="public"))
    assert err.key == "forms.member" and "public" in err.reason and "重复" in err.reason


def test_forms_are_found_by_role_whatever_their_names(campaign):
    assert campaign.form_by_role("member", "public").name == "群众评议"
    assert campaign.form_by_role("org", "street").source == "street"
    assert campaign.form_by_role("org", "self") is None


def test_criteria_titles_and_output_titles_come_from_the_file(raw_campaign, campaign):
    assert campaign.criteria_titles == {"org": "五个好", "member": "五带头"}
    assert campaign.outputs == {"report": "汇总报告", "publication": "公示名单", "briefing": "情况通报",
                                "notice": "评议结果公示", "nominee_notice": "拟表彰对象公示", "detail": "明细表"}
    err = _refused(raw_campaign, lambda d: d["campaign"]["criteria_titles"].pop("member"))
    assert err.key == "campaign.criteria_titles.member"
    err = _refused(raw_campaign, lambda d: d["outputs"].update(report="汇总/报告"))
    assert err.key == "outputs.report" and "文件名" in err.reason
    err = _refused(raw_campaign, lambda d: d["outputs"].update(report="公示名单"))
    assert err.key == "outputs" and "重复" in err.reason


@pytest.mark.parametrize("bom, newline", [(True, "\n"), (False, "\r\n"), (True, "\r\n")],
                         ids=["bom", "crlf", "bom-crlf"])
def test_a_file_saved_by_notepad_is_read(campaign, tmp_path, bom, newline):
    from conftest import ROOT
    text = (ROOT / "campaign.toml").read_text(encoding="utf-8").replace("\n", newline)
    p = tmp_path / "campaign.toml"
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    loaded = campaign_mod.load(p)
    assert loaded == campaign


def test_publication_grades_and_days_are_checked(raw_campaign, campaign):
    assert campaign.publication.days == 7 and campaign.publication.phone
    err = _refused(raw_campaign, lambda d: d["publication"].update(grades=["特优"]))
    assert err.key == "publication.grades" and "特优" in err.reason
    err = _refused(raw_campaign, lambda d: d["publication"].update(days=0))
    assert err.key == "publication.days"
    err = _refused(raw_campaign, lambda d: d.pop("publication"))
    assert err.key == "publication", "no silent default for what is posted in public"


def test_the_round_before_is_in_the_campaigns_order(campaign):
    assert campaign.round_before("R2") is campaign.round("R1") and campaign.round_before("R1") is None
