"""The shipped sample (示例/) is exactly what the generator makes (`make sample`), and running it (`make run`,
`run.py example`, 示例.bat) never touches the real inbox, outbox or archive."""

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys

from conftest import ROOT

from pipeline import cli, demo, ledger


def test_sample_inbox_equals_a_fresh_generation(campaign, tmp_path):
    key = demo.generate(campaign, tmp_path / "inbox", units=5, members=12, seed="sample", defects=True,
                        answer_key=tmp_path / "key.json",
                        as_of=dt.date.fromisoformat((ROOT / "示例" / "基准日期.txt").read_text(encoding="utf-8").strip()))
    fresh = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "inbox").iterdir()}
    shipped = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "示例" / "inbox").iterdir()}
    assert shipped == fresh, "regenerate with: make sample"
    assert json.loads((ROOT / "tests" / "sample_answer_key.json").read_text(encoding="utf-8")) == key


def test_the_example_runs_in_its_own_folders_and_never_touches_the_real_archive(tmp_path):
    """A copy of the program folder with a real archive beside it: the example adds nothing there."""
    for name in ("run.py", "campaign.toml", "Makefile"):
        shutil.copy2(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "pipeline", tmp_path / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "示例", tmp_path / "示例", ignore=shutil.ignore_patterns("outbox", "archive"))
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "ledger.sqlite").write_bytes(b"the real ledger")
    (tmp_path / "inbox").mkdir()
    done = subprocess.run([sys.executable, "run.py", "example"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == cli.EXIT_REJECTED, done.stdout[-2000:]  # the sample has files to send back
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == ["ledger.sqlite"]
    assert (tmp_path / "archive" / "ledger.sqlite").read_bytes() == b"the real ledger"
    assert not (tmp_path / "outbox").exists() and not any((tmp_path / "inbox").iterdir())
    assert (tmp_path / "示例" / "archive" / ledger.DB_NAME).is_file()
    (run,) = (tmp_path / "示例" / "outbox" / "R1").iterdir()
    assert (run / "回复清单.txt").is_file() and "示例" in done.stdout
    # `make run` is this command
    assert "$(PY) run.py example" in (ROOT / "Makefile").read_text(encoding="utf-8")
