"""Killed at any instant, a run leaves the ledger consistent and no half-written output visible;
a rerun then gives exactly the results of an uninterrupted run."""

import importlib.util
import random
import signal
import subprocess
import time

import pytest
from conftest import ROOT, make_demo

from pipeline.ledger import store as ledger

SEED = 2026  # the delays are drawn from this seed: the same kill points on every run of the test


def _kills():
    """bench/kills.py: the checks the 50-kill bench makes after each kill, shared with this seeded sample."""
    spec = importlib.util.spec_from_file_location("kills_bench", ROOT / "bench" / "kills.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KILLS = _kills()
_run_cmd, _visible_runs, _check_consistent, _results = (KILLS.run_cmd, KILLS.visible_runs, KILLS.check_consistent,
                                                         KILLS.results)


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
