"""The benchmark script runs its realistic round (R1, R2, rerun) end to end on a small district and prints its
table and targets (no timings checked)."""

import subprocess
import sys

from conftest import ROOT


def test_benchmark_smoke(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "run_bench.py"), "--sizes", "10", "--members", "20",
                          "--no-write", "--runs", "1", "--work", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert any(line.startswith("| units | members/unit |") for line in lines)
    row = [line for line in lines if line.startswith("| 10 | 20 | 11, 11 | 1, 1 |")]  # one unit file in ten returned
    assert row, out.stdout
    cells = [c.strip() for c in row[-1].strip("|").split("|")]
    # Timings may round to 0.0 on a fast machine; what matters is that every figure was measured.
    assert len(cells) == 16 and all(float(c) >= 0 for c in cells[4:])
    assert any(line.startswith("| rerun <= 0.5x R1 |") for line in lines)
    assert (tmp_path / "inbox-10x20-R1").is_dir() and (tmp_path / "inbox-10x20-R2").is_dir()
    assert not (ROOT / "bench" / "results.md").read_text(encoding="utf-8").count("| 10 | 20 |")
