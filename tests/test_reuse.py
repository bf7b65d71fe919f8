"""A rerun with nothing new copies the round's last outputs (pipeline/outputs/reuse.py); anything new, a
changed date, or an output changed since means everything is written again."""

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import AS_OF, ROOT

from pipeline import demo
from pipeline.run import batch


@pytest.fixture()
def folders(tmp_path, campaign):
    inbox = tmp_path / "inbox"
    demo.generate(campaign, inbox, units=3, members=6, seed=11, defects=True, as_of=AS_OF)
    return inbox, tmp_path / "outbox", tmp_path / "archive"


def _run(campaign, folders, **kw):
    inbox, outbox, archive = folders
    return batch.run(campaign, inbox, outbox, archive, as_of=kw.pop("as_of", AS_OF), **kw)


def _outputs(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name not in ("manifest.json", "run.log")}


def test_a_rerun_with_nothing_new_copies_the_last_outputs(campaign, folders):
    first = _run(campaign, folders)
    again = _run(campaign, folders)
    assert first.reused_from is None and again.reused_from == first.run_id
    assert _outputs(again.folder) == _outputs(first.folder) and len(_outputs(first.folder)) > 10
    assert [p.relative_to(again.folder) for p in again.outputs] == [p.relative_to(first.folder) for p in first.outputs]
    copies = {f.name: f.returned.relative_to(again.folder) for f in again.files if f.returned}
    assert copies and copies == {f.name: f.returned.relative_to(first.folder) for f in first.files if f.returned}
    assert all(f.returned.is_file() for f in again.files if f.returned)
    manifest = json.loads((again.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == again.run_id and manifest["reused_from"] == first.run_id
    third = _run(campaign, folders)  # reused from a run that was itself reused
    assert third.reused_from == again.run_id


def test_anything_new_or_changed_writes_everything_again(campaign, folders):
    inbox, outbox, _ = folders
    first = _run(campaign, folders)
    later_day = _run(campaign, folders, as_of=AS_OF.replace(day=AS_OF.day + 1))
    assert later_day.reused_from is None
    edited = later_day.folder / "汇总报告.xlsx"
    edited.write_bytes(edited.read_bytes() + b"\0")  # opened and saved elsewhere
    after_edit = _run(campaign, folders, as_of=later_day.as_of)
    assert after_edit.reused_from is None
    assert _outputs(after_edit.folder)["汇总报告.xlsx"] != edited.read_bytes()
    (inbox / "新来的文件.txt").write_text("x", encoding="utf-8")
    new_file = _run(campaign, folders, as_of=later_day.as_of)
    assert new_file.reused_from is None and first.reused_from is None


def test_the_inputs_digest_is_the_same_in_every_process(campaign):
    """A frozenset in the campaign iterates in another order under another hash seed: the digest must not."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from pipeline import campaign; "
            "from pipeline.outputs import reuse; c = campaign.load(sys.argv[2]); "
            "print(reuse.fingerprint(c))")
    seen = {subprocess.run([sys.executable, "-c", code, str(ROOT), str(ROOT / "campaign.toml")], capture_output=True,
                           text=True, check=True, env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
            for seed in (1, 2, 3)}
    assert len(seen) == 1


def test_the_clerk_is_told_when_the_last_results_were_copied(folders, capsys):
    from pipeline import cli
    inbox, outbox, archive = folders
    args = ["--inbox", str(inbox), "--outbox", str(outbox), "--archive", str(archive), "--as-of", AS_OF.isoformat()]
    first = cli.main(args)
    assert "沿用上次结果" not in capsys.readouterr().out
    assert cli.main(args) == first  # the same verdict, the same exit status
    out = re.sub(r"[\s│]", "", capsys.readouterr().out)  # the summary table folds its lines where it will
    assert "沿用上次结果" in out and "没有新的报送" in out
