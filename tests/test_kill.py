"""Killed at any instant, a run leaves the ledger consistent and no half-written output visible;
a rerun then gives exactly the results of an uninterrupted run."""

import hashlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import ROOT, make_demo
from python_calamine import CalamineWorkbook

from pipeline import labels
from pipeline.ledger import store as ledger

SEED = 2026  # the delays are drawn from this seed: the same kill points on every run of the test


def _run_cmd(inbox, out, arch):
    return [sys.executable, str(ROOT / "run.py"), "--inbox", str(inbox), "--outbox", str(out), "--archive", str(arch),
            "--as-of", "2010-08-02"]


def _visible_runs(out):
    return [d for d in out.glob("*/*") if d.is_dir() and not d.name.startswith(".")]


def _check_consistent(out, arch):
    conn = sqlite3.connect(arch / ledger.DB_NAME)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    for folder in _visible_runs(out):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for o in manifest["outputs"]:
            assert hashlib.sha256((folder / o["path"]).read_bytes()).hexdigest() == o["sha256"]
    for p in (arch / ledger.FILES_DIR).iterdir():
        if not p.name.startswith("."):
            assert hashlib.sha256(p.read_bytes()).hexdigest() == p.name.split(".")[0]


def _results(folder):
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    data = {p.name: p.read_bytes() for p in (folder / "data").iterdir()}
    copies = {}
    for p in sorted((folder / labels.RETURNED_DIR).glob("*.xlsx")):
        book = CalamineWorkbook.from_path(str(p))
        copies[p.name] = {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}
    return manifest["inbox_files"], manifest["totals"], data, copies


@pytest.mark.slow
def test_sigkill_at_seeded_instants_then_rerun(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=10, members=40, seed=13, defects=True)
    start = time.monotonic()
    ref = subprocess.run(_run_cmd(inbox, tmp_path / "ref_out", tmp_path / "ref_arch"), capture_output=True)
    duration = time.monotonic() - start
    assert ref.returncode == 3, ref.stderr
    reference = _results(_visible_runs(tmp_path / "ref_out")[0])

    out, arch = tmp_path / "out", tmp_path / "arch"
    rng = random.Random(SEED)
    # Kill points within the first 60% of an uninterrupted run: a warm rerun is faster than the reference.
    delays = sorted(max(0.2, rng.uniform(0.1, 0.6) * duration) for _ in range(5))
    killed = 0
    for delay in delays:
        proc = subprocess.Popen(_run_cmd(inbox, out, arch), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        if (arch / ledger.DB_NAME).exists():
            _check_consistent(out, arch)
    assert killed >= 2, f"the run finished before the kill points ({duration:.1f} s)"  # later runs are faster
    final = subprocess.run(_run_cmd(inbox, out, arch), capture_output=True)
    assert final.returncode == 3, final.stderr
    _check_consistent(out, arch)
    latest = max(_visible_runs(out), key=lambda d: d.name)
    assert _results(latest) == reference
    assert not list(out.glob("*/.tmp-*")), "the rerun removed what the killed runs left half-written"
    assert not list(arch.glob(".incoming-*")), "and the snapshots the killed runs left"
