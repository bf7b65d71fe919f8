"""Intake and validation against the generator's answer key: every mistake at its cell, every
accepted variation accepted with its note, the clean demo clean."""

import atexit
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import AS_OF, ROOT, make_demo

from pipeline import demo
from pipeline.run import batch, receipts
from pipeline import campaign as campaign_mod

# The answer key is generated at collection time, so that each entry is its own test case.
_CAMPAIGN = campaign_mod.load(ROOT / "campaign.toml")
_INBOX = Path(tempfile.mkdtemp(prefix="defects-")) / "inbox"
_KEY = demo.generate(_CAMPAIGN, _INBOX, units=6, members=10, seed=7, defects=True, as_of=AS_OF)
atexit.register(shutil.rmtree, _INBOX.parent, True)


@pytest.fixture(scope="module")
def defects_run(tmp_path_factory):
    result = batch.run(_CAMPAIGN, _INBOX, tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("arch"), as_of=AS_OF)
    return result, _KEY


def _reported(result):
    return {(x.file, x.sheet, x.cell, x.code) for f in result.files for x in f.findings}


def test_answer_key_is_not_empty():
    assert len(_KEY) >= 25


@pytest.mark.parametrize("k", _KEY, ids=[f"{k['code']}-{k['sheet'] or 'file'}-{k['cell'] or i}"
                                         for i, k in enumerate(_KEY)])
def test_every_answer_key_entry_is_reported_at_its_cell(defects_run, k):
    result, _ = defects_run
    assert (k["file"], k["sheet"], k["cell"], k["code"]) in _reported(result), k


def test_nothing_is_reported_beyond_the_key(defects_run):
    result, key = defects_run
    expected = {(k["file"], k["sheet"], k["cell"], k["code"]) for k in key}
    extra = sorted(r for r in _reported(result) if r not in expected)
    assert extra == []


def test_variations_are_accepted_and_errors_rejected(defects_run, campaign):
    result, key = defects_run
    by_file = {f.name: f for f in result.files}
    notes_only = {k["file"] for k in key if k["code"].startswith(("N_", "W_"))} - \
        {k["file"] for k in key if k["code"].startswith("E_")}
    assert notes_only, "the generator makes an accepted file with notes"
    for name in notes_only:
        assert by_file[name].status in ("accepted", "duplicate"), name
    erroneous = {k["file"] for k in key if k["code"].startswith("E_")}
    for name in erroneous:
        assert by_file[name].status == "rejected", name


def test_clean_demo_has_no_errors_and_no_warnings(campaign, clean_inbox, tmp_path):
    folder, _ = clean_inbox
    result = batch.run(campaign, folder, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    problems = [(f.name, x.code, x.cell) for f in result.files for x in f.findings if x.code[0] in "EW"]
    assert problems == []
    assert all(f.status == "accepted" for f in result.files)
    assert not any(f.returned for f in result.files), "nothing goes back to a unit without problems"


def test_manifest_and_findings_csv_carry_every_finding(defects_run):
    result, _ = defects_run
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    in_manifest = sum(len(f["findings"]) for f in manifest["inbox_files"])
    assert in_manifest == sum(len(f.findings) for f in result.files)
    csv_text = (result.folder / "data" / "findings.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0] == "file,sheet,cell,column,value,code,severity,title,message"
    assert len(csv_text.strip().splitlines()) == in_manifest + 1
    t = manifest["totals"]
    assert t["files"] == t["accepted"] + t["rejected"] + t["duplicate"] + t["superseded"]
    for f in manifest["inbox_files"]:
        for x in f["findings"]:
            assert x["message"] and x["severity"] in ("错误", "警告", "提示")


def test_messages_are_chinese_and_say_how_to_fix(defects_run):
    result, _ = defects_run
    assert any(x.is_error for f in result.files for x in f.findings)
    for f in result.files:
        for x in f.findings:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in x.message)
            if x.is_error:
                assert "请" in x.message, x.code


def test_a_later_accepted_submission_supersedes_the_earlier(campaign, tmp_path):
    a, _ = make_demo(campaign, tmp_path / "a", units=1, seed=1, as_of=dt.date(2010, 7, 20))
    b, _ = make_demo(campaign, tmp_path / "b", units=1, seed=2, as_of=dt.date(2010, 7, 28))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for folder, tag in ((a, "初稿"), (b, "修改稿")):
        for p in folder.glob("FN01*.xlsx"):
            (inbox / f"{tag}{p.name}").write_bytes(p.read_bytes())
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    status = {f.name.split("FN")[0]: f.status for f in result.files}
    assert status == {"初稿": "superseded", "修改稿": "accepted"}


def test_one_failing_file_never_stops_the_batch(campaign, clean_inbox, tmp_path, monkeypatch):
    folder, _ = clean_inbox
    real = receipts.validate.validate_file

    def flaky(path, name, c):
        if name.startswith("FN01"):
            raise RuntimeError("boom")
        return real(path, name, c)
    monkeypatch.setattr(receipts.validate, "validate_file", flaky)
    result = batch.run(campaign, folder, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    codes = {f.name[:4]: [x.code for x in f.findings] for f in result.files}
    assert codes["FN01"] == ["E_INTERNAL"]
    assert sum(f.status == "accepted" for f in result.files) == len(result.files) - 1
