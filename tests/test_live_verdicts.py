"""Only live verdicts go back (SPEC §4, §8): a rejected file that a later accepted file of the same unit and
round replaced gets no returned copy and no longer makes the run's exit status 3; the manifest shows it
as superseded."""

import json
import os
import shutil

from conftest import AS_OF, make_demo
from openpyxl import load_workbook

from pipeline import labels
from pipeline.run import batch


def _break(path, to):
    wb = load_workbook(path)
    wb["党员名册"]["B2"].value = None  # 姓名, required
    wb.save(to)


def test_a_fixed_file_stops_coming_back(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=3, members=6, seed=5)
    good = next(inbox.glob("附件1-*.xlsx"))  # FN02's file
    kept = tmp_path / "fixed.xlsx"
    shutil.move(good, kept)
    broken = inbox / "FN02-第一次.xlsx"
    _break(kept, broken)
    first = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert [f.name for f in first.rejected] == [broken.name]
    assert (first.folder / labels.RETURNED_DIR / "FN02_东岭社区党委.xlsx").exists()

    fixed = inbox / "FN02-更正.xlsx"
    shutil.copyfile(kept, fixed)
    os.utime(fixed, (os.stat(broken).st_mtime + 60,) * 2)
    second = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    status = {f.name: f.stored.status for f in second.files}
    assert status[fixed.name] == "accepted" and status[broken.name] == "superseded"
    assert second.rejected == [] and second.complete
    assert not (second.folder / labels.RETURNED_DIR).exists()
    manifest = json.loads((second.folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["name"]: f["status"] for f in manifest["inbox_files"]}
    assert listed[broken.name] == "superseded"


def test_a_later_rejected_file_still_goes_back(campaign, tmp_path):
    """The other way round: the unit's newer file has errors; the older accepted one keeps counting and the
    newer one goes back."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=3, members=6, seed=5)
    good = next(inbox.glob("附件1-*.xlsx"))
    first = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert first.complete
    newer = inbox / "FN02-补充.xlsx"
    _break(good, newer)
    second = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert [f.name for f in second.rejected] == [newer.name]
    assert (second.folder / labels.RETURNED_DIR / "FN02_东岭社区党委.xlsx").exists()
