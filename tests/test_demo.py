"""Demo submissions: seeded, realistic, dated consistently with the as-of date, defects keyed to cells."""

import datetime as dt
import hashlib
import json
from collections import Counter

import pytest
from conftest import AS_OF, make_demo
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from pipeline import demo
from pipeline.demo import DemoError
from pipeline.intake import identify
from pipeline.intake.book import Book


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _records(path, sheet):
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    head = [str(h).rstrip("*") for h in rows[0]]  # a required column's header ends in *
    return [dict(zip(head, r)) for r in rows[1:]]


def _as_date(v):
    return v.date() if isinstance(v, dt.datetime) else v


def _unit_files(campaign, folder):
    out = {}
    for p in sorted(folder.glob("*.xlsx")):
        if p.stat().st_size == 0:
            continue
        ident = identify.identify(Book(p, "xlsx"), campaign)
        out[p] = ident
    return out


def test_same_seed_same_bytes_other_seed_other_content(campaign, tmp_path):
    a, _ = make_demo(campaign, tmp_path / "a", units=3, seed=5)
    b, _ = make_demo(campaign, tmp_path / "b", units=3, seed=5)
    c, _ = make_demo(campaign, tmp_path / "c", units=3, seed=6)
    assert _hashes(a) == _hashes(b)
    assert _hashes(a) != _hashes(c)


def test_every_unit_and_the_street_submit(campaign, clean_inbox):
    folder, key = clean_inbox
    assert key == []
    idents = _unit_files(campaign, folder)
    units = sorted(i.info["unit_code"][0] for i in idents.values() if i.kind == "unit")
    assert units == [u.code for u in campaign.units[:5]]
    assert [i.kind for i in idents.values()].count("street") == 1
    assert all(i.via == "meta" for i in idents.values())


def test_dates_are_consistent_with_as_of(campaign, clean_inbox):
    folder, _ = clean_inbox
    deadlines, statuses, gaps = [], Counter(), Counter()
    for path, ident in _unit_files(campaign, folder).items():
        if ident.kind != "unit":
            continue
        for r in _records(path, "整改台账"):
            raised = _as_date(r["提出日期"])
            assert campaign.round("R1").start <= raised <= AS_OF
            if r["完成日期"]:
                assert raised <= _as_date(r["完成日期"]) <= AS_OF
            if r["整改时限"]:
                deadlines.append(_as_date(r["整改时限"]))
            statuses[r["整改状态"]] += 1
            gaps.update(k for k in ("整改措施", "责任人", "整改时限") if not r[k])
        for r in _records(path, "活动记录"):
            assert _as_date(r["日期"]) <= AS_OF
        assert _as_date(ident.info["filled_on"][0]) <= AS_OF
    assert any(d < AS_OF for d in deadlines) and any(d >= AS_OF for d in deadlines), "deadlines spread around as-of"
    assert statuses["已销号"] and statuses["整改中"]
    assert sum(gaps.values()) > 0, "some items miss an owner, a measure or a deadline"


def test_ballots_have_realistic_spreads_and_a_weaker_unit(campaign, clean_inbox):
    folder, _ = clean_inbox
    means = {}
    for path, ident in _unit_files(campaign, folder).items():
        if ident.kind != "unit":
            continue
        points = {o.label: o.points for s in campaign.scales.values() for o in s.options if o.points}
        values = [points[r[c.name]] for r in _records(path, "党员评议") for c in campaign.criteria["member"]
                  if r[c.name] in points]
        assert len(set(values)) >= 3, "options vary"
        means[ident.info["unit_code"][0]] = sum(values) / len(values)
    weakest = campaign.units[4].code  # the generator makes the last unit clearly weaker
    assert means[weakest] == min(means.values())
    assert max(means.values()) - means[weakest] > 5


def test_decisions_follow_votes_with_explained_deviations(campaign, clean_inbox):
    folder, _ = clean_inbox
    same = total = 0
    for path, ident in _unit_files(campaign, folder).items():
        if ident.kind != "unit":
            continue
        roster = _records(path, "党员名册")
        ballots = [{"ballot_id": r["票号"], "member_id": r["党员编号"], "form": r["评议方式"],
                    **{c.code: r[c.name] for c in campaign.criteria["member"]}} for r in _records(path, "党员评议")]
        people = [{"member_id": m["党员编号"], "member_kind": m["党员类别"]} for m in roster]
        suggested = demo.suggested_grades(campaign, ident.info["unit_code"][0], people, ballots)
        for d in roster:  # 评定等次 and 说明 sit beside each member
            total += 1
            if d["评定等次"] == suggested[d["党员编号"]]:
                same += 1
            else:
                assert d["说明"], "a deviation from the votes is explained"
    assert same / total >= 0.85


def test_answer_key_points_at_the_injected_cells(campaign, defects_inbox):
    folder, key = defects_inbox
    codes = Counter(k["code"] for k in key)
    for code in ("E_ENUM", "E_RANGE", "E_REQUIRED", "E_DUPLICATE_ID", "E_UNKNOWN_MEMBER", "E_DATE_ORDER",
                 "E_TYPE", "E_DATE", "E_FORM_COUNT", "E_GRADE_MISSING", "E_UNKNOWN_SUBJECT",
                 "E_UNSUPPORTED_FORMAT", "E_EMPTY_FILE", "W_DUPLICATE_FILE",
                 "N_NORMALISED", "N_POINTS", "N_DATE_TEXT", "N_HEADER_MOVED", "N_COLUMN_ORDER", "N_EXTRA_COLUMN",
                 "W_FEW_BALLOTS", "W_GRADE_UNEXPLAINED"):
        assert codes[code] >= 1, code
    assert json.loads((folder.parent / "answer_key.json").read_text(encoding="utf-8")) == key
    assert not list(folder.glob("*.json")), "the answer key lies beside the inbox, never in it"
    values = {}
    for k in key:
        assert (folder / k["file"]).exists()
        if k["cell"]:
            values[k["code"]] = load_workbook(folder / k["file"])[k["sheet"]][k["cell"]].value
    assert values["E_ENUM"] == "优良"
    assert values["E_RANGE"] == 120
    assert values["E_REQUIRED"] is None
    assert values["E_TYPE"] == "三十余人"
    assert values["E_DATE"] == "2010-13-45"
    assert values["E_UNKNOWN_SUBJECT"] == "FN99"
    assert str(values["N_POINTS"]).rstrip("分").isdigit()
    assert values["N_HEADER_MOVED"] == "日期*" and values["N_EXTRA_COLUMN"] == "备注"
    dup = next(k for k in key if k["code"] == "W_DUPLICATE_FILE")
    same = [p.name for p in folder.iterdir() if p.read_bytes() == (folder / dup["file"]).read_bytes()]
    assert len(same) == 2


def test_formula_like_text_is_stored_as_text(campaign, defects_inbox):
    folder, _ = defects_inbox
    first = next(p for p in folder.glob("FN01*.xlsx"))
    ws = load_workbook(first)["组织评议"]
    opinions = [ws.cell(r, 8).value for r in range(2, 6)]
    assert opinions == demo.FORMULA_TEXTS
    assert all(ws.cell(r, 8).data_type == "s" for r in range(2, 6))


@pytest.mark.parametrize("kw, message", [({"units": 11}, "单位数"), ({"members": 2}, "至少为 3"),
                                         ({"round_code": "R9"}, "R9"), ({"as_of": dt.date(2010, 1, 1)}, "早于")])
def test_bad_options_are_refused(campaign, tmp_path, kw, message):
    with pytest.raises(DemoError, match=message):
        demo.generate(campaign, tmp_path, **kw)


def test_round_two_dates_follow_the_round(campaign, tmp_path):
    folder, _ = make_demo(campaign, tmp_path / "r2", units=2, round_code="R2", as_of=dt.date(2012, 6, 10))
    files = _unit_files(campaign, folder)
    assert sorted(ident.kind for ident in files.values()) == ["street", "unit", "unit"]
    for path, ident in files.items():
        assert ident.meta["round"] == "R2"
        if ident.kind == "unit":
            for r in _records(path, "活动记录"):
                assert dt.date(2011, 8, 1) <= _as_date(r["日期"]) <= dt.date(2012, 6, 10)
