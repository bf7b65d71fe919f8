"""campaign.toml is a checked contract (SPEC §2): every key of the shipped file is removed, renamed and (for
lists) reordered in turn. A removed or renamed key is refused naming it, unless the key is one the file
documents as optional; a reordered list either means the same or is refused; a refused file stops a run
with exit 2 before anything is ingested."""

import copy
import shutil

import pandas as pd
import pytest

from conftest import AS_OF, ROOT, make_demo

from pipeline import cli
from pipeline.campaign import CampaignError, parse

# Keys campaign.toml documents as optional, each with its default: removing one is not an error.
OPTIONAL = {"width", "expect", "required", "unique", "ref", "min", "max", "note", "optional", "host", "purpose", "how_to",
            "lower_orgs", "required_activities", "max_ballots", "veto", "cap", "earlier_template_versions",
            "aliases"}


def _paths(node, prefix=()):
    """Every key of the parsed file, as a path of keys and list indexes."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, dict):
                yield from _paths(v, prefix + (i,))


def _lists(node, prefix=()):
    """Every list of two or more items, as a path."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _lists(v, prefix + (k,))
    elif isinstance(node, list):
        if len(node) >= 2:
            yield prefix
        for i, v in enumerate(node):
            yield from _lists(v, prefix + (i,))


def _at(d, path):
    for key in path:
        d = d[key]
    return d


def _name(path) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


def _edited(raw, path, op):
    d = copy.deepcopy(raw)
    parent = _at(d, path[:-1])
    value = parent.pop(path[-1])
    if op == "rename":
        parent[f"{path[-1]}_x"] = value
    return d


@pytest.mark.parametrize("op", ["remove", "rename"])
def test_every_key_removed_or_renamed_is_refused_naming_it(raw_campaign, op):
    accepted, unnamed = [], []
    for path in _paths(raw_campaign):
        edited = _edited(raw_campaign, path, op)
        try:
            parse(edited)
        except CampaignError as e:
            names = {str(path[-1]), _name(path)} | ({f"{path[-1]}_x"} if op == "rename" else set())
            if not any(n in str(e) for n in names):
                unnamed.append(f"{_name(path)}: {e}")
        else:
            optional = path[-1] in OPTIONAL or (len(path) == 2 and path[0] == "aliases")
            if op == "rename" or not optional:
                accepted.append(_name(path))
    assert not accepted, f"accepted without a word: {accepted[:10]}"
    assert not unnamed, f"refused without naming the key: {unnamed[:10]}"


def test_the_walk_covers_the_whole_file(raw_campaign):
    """The walk reaches nested keys (a criterion's text, a column's type), not only the sections."""
    names = {_name(p) for p in _paths(raw_campaign)}
    assert {"rectification.due_soon_days", "roles.full_member", "criteria.org[0].description",
            "workbooks.unit.sheets[0].columns[4].type", "scales.satisfaction.options[4].scored"} <= names
    assert len(names) > 600


def test_every_list_reordered_means_the_same_or_is_refused(raw_campaign):
    shipped = parse(raw_campaign)
    same, refused = [], []
    for path in _lists(raw_campaign):
        d = copy.deepcopy(raw_campaign)
        _at(d, path[:-1])[path[-1]] = list(reversed(_at(d, path)))
        try:
            c = parse(d)
        except CampaignError as e:
            assert str(path[-1]) in str(e) or _name(path) in str(e), (path, e)
            refused.append(_name(path))
            continue
        same.append(_name(path))
        # The values that carry meaning are named, never found by their place in a list.
        assert (c.roles, c.rectification, c.commendation) == (shipped.roles, shipped.rectification,
                                                                shipped.commendation), path
        assert {g: c.grades[g].bands for g in c.grades} == {g: shipped.grades[g].bands for g in c.grades}, path
    assert {"enums.member_kind", "enums.yes_no", "enums.rect_status", "rectification.low_grades"} <= set(same)
    assert {"scales.rating.options", "grades.member.bands"} <= set(refused)


@pytest.mark.parametrize("path", [("scales", "rating", "options"), ("grades", "member", "bands")])
def test_a_list_whose_order_carries_meaning_is_refused_reversed(raw_campaign, path):
    d = copy.deepcopy(raw_campaign)
    _at(d, path[:-1])[path[-1]] = list(reversed(_at(d, path)))
    with pytest.raises(CampaignError) as e:
        parse(d)
    assert _name(path) in e.value.key


@pytest.mark.parametrize("section, key, value, named", [
    ("roles", "full_member", "正式", "roles.full_member"),
    ("roles", "no", "是", "roles.no"),
    ("rectification", "closed_status", "已销", "rectification.closed_status"),
    ("rectification", "unsatisfied", "差", "rectification.unsatisfied"),
    ("rectification", "low_grades", ["较差"], "rectification.low_grades"),
    ("commendation", "member_grade", "好", "commendation.member_grade"),
    ("commendation", "org_kind", "先进党组织", "commendation.org_kind"),
    ("commendation", "quota_per_unit", {"先进基层党组织": 1}, "commendation.quota_per_unit"),
    ("supervision", "spot_check_closed_items", -1, "supervision.spot_check_closed_items"),
])
def test_a_value_that_names_nothing_in_the_file_is_refused(raw_campaign, section, key, value, named):
    d = copy.deepcopy(raw_campaign)
    d[section][key] = value
    with pytest.raises(CampaignError) as e:
        parse(d)
    assert e.value.key == named


def _toml(tmp_path, old: str, new: str):
    text = (ROOT / "campaign.toml").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "campaign.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, named", [
    ("due_soon_days = 14\n", "", "rectification.due_soon_days"),
    ('full_member = "正式党员"', 'full_membr = "正式党员"', "roles.full_membr"),
    ('closed_status = "已销号"', 'closed_status = "已消号"', "rectification.closed_status"),
])
def test_a_bad_campaign_file_stops_the_run_before_anything_is_ingested(tmp_path, campaign, old, new, named):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=4)
    before = sorted((p.name, p.read_bytes()) for p in inbox.iterdir())
    out, archive = tmp_path / "out", tmp_path / "archive"
    status = cli.main(["--campaign", str(_toml(tmp_path, old, new)), "--inbox", str(inbox), "--outbox", str(out),
                       "--archive", str(archive), "--as-of", AS_OF.isoformat()])
    assert status == cli.EXIT_USAGE
    assert not archive.exists() and not out.exists(), "nothing ingested, nothing written"
    assert sorted((p.name, p.read_bytes()) for p in inbox.iterdir()) == before


def test_the_message_names_the_key(tmp_path, capsys):
    path = _toml(tmp_path, "due_soon_days = 14\n", "")
    assert cli.main(["--campaign", str(path), "status", "--archive", str(tmp_path / "a")]) == cli.EXIT_USAGE
    assert "rectification.due_soon_days" in capsys.readouterr().out


def _results(tmp_path, campaign_file, inbox):
    out = tmp_path / campaign_file.parent.name
    assert cli.main(["--campaign", str(campaign_file), "--inbox", str(inbox), "--outbox", str(out / "o"),
                     "--archive", str(out / "a"), "--as-of", AS_OF.isoformat()]) == cli.EXIT_OK
    (folder,) = (out / "o" / "R1").iterdir()
    return {name: pd.read_csv(folder / "data" / name, dtype=str, keep_default_na=False)
            for name in ("member_results.csv", "nominations.csv", "eligible_not_nominated.csv", "rectifications.csv",
                         "activity_reports.csv", "coverage_flags.csv")}


def test_reordered_lists_give_the_same_results(tmp_path, campaign):
    """member_kind, yes_no and rect_status reversed: the full member, the yes and the closed status are named in
    [roles] and [rectification], so every grade, nomination and flag stays as it was."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=3, members=8, seed=5)
    text = (ROOT / "campaign.toml").read_text(encoding="utf-8")
    for old, new in (('member_kind = ["正式党员", "预备党员"]', 'member_kind = ["预备党员", "正式党员"]'),
                     ('yes_no = ["是", "否"]', 'yes_no = ["否", "是"]'),
                     ('rect_status = ["未启动", "整改中", "已销号", "复号"]', 'rect_status = ["复号", "已销号", "整改中", "未启动"]')):
        assert text.count(old) == 1
        text = text.replace(old, new)
    (tmp_path / "shipped").mkdir()
    (tmp_path / "reordered").mkdir()
    shipped = shutil.copy(ROOT / "campaign.toml", tmp_path / "shipped" / "campaign.toml")
    reordered = tmp_path / "reordered" / "campaign.toml"
    reordered.write_text(text, encoding="utf-8")
    a, b = _results(tmp_path, shipped, inbox), _results(tmp_path, reordered, inbox)
    assert (a["member_results.csv"]["suggested_grade"] != "").sum() > 10
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
