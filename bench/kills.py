"""Kills (SPEC §5, issue 35): the run killed (SIGKILL) at --kills random instants spread over every stage —
starting up, intake (read, validate, store), the round, the outputs (each writer), publishing the run folder —
and after each kill: the ledger passes integrity_check, nothing half-written is visible, and the next run
gives the results of an uninterrupted run. Each kill starts from an empty archive and outbox.

    .venv/bin/python bench/kills.py                 # 50 kills on a 10-unit x 40-member round
    .venv/bin/python bench/kills.py --kills 10 --seed 3

tests/test_kill.py runs a seeded few of these (and imports the checks from here).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from python_calamine import CalamineWorkbook  # noqa: E402

from pipeline import labels  # noqa: E402
from pipeline.ledger import store as ledger  # noqa: E402

AS_OF = "2010-08-02"


def run_cmd(inbox: Path, out: Path, arch: Path) -> list[str]:
    return [sys.executable, str(ROOT / "run.py"), "--inbox", str(inbox), "--outbox", str(out), "--archive", str(arch),
            "--as-of", AS_OF]


def visible_runs(out: Path) -> list[Path]:
    return [d for d in out.glob("*/*") if d.is_dir() and not d.name.startswith(".")]


def check_consistent(out: Path, arch: Path) -> None:
    """The ledger passes SQLite's checks, every visible run folder holds what its manifest lists, and every
    archived file is the bytes its name says."""
    conn = sqlite3.connect(arch / ledger.DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    for folder in visible_runs(out):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for o in manifest["outputs"]:
            assert hashlib.sha256((folder / o["path"]).read_bytes()).hexdigest() == o["sha256"], o["path"]
    for p in (arch / ledger.FILES_DIR).iterdir():
        if not p.name.startswith("."):
            assert hashlib.sha256(p.read_bytes()).hexdigest() == p.name.split(".")[0], p.name


def results(folder: Path):
    """What a run gives, compared between runs: the files' verdicts, the totals, the data files and the cells
    of the returned copies."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    data = {p.name: p.read_bytes() for p in (folder / "data").iterdir()}
    copies = {}
    for p in sorted((folder / labels.RETURNED_DIR).glob("*.xlsx")):
        book = CalamineWorkbook.from_path(str(p))
        copies[p.name] = {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}
    return manifest["inbox_files"], manifest["totals"], data, copies


def stages(folder: Path, wall: float) -> list[tuple[str, float, float]]:
    """(stage, start, end) in seconds from the process's start, from the reference run's run.log; starting up
    is what the stages leave of the wall time, publishing is the last tenth of a second past the outputs."""
    spans = [(m.group(1), float(m.group(2))) for m in
             re.finditer(r"^(\w+): .*?: ([\d.]+) s", (folder / "run.log").read_text(encoding="utf-8"), re.M)]
    start = max(0.1, wall - sum(s for _, s in spans) - 0.1)
    out, t = [("startup", 0.05, start)], start
    for name, seconds in spans:
        out.append((name, t, t + seconds))
        t += seconds
    return out + [("publish", t, t + 0.1)]


def kill_once(inbox: Path, work: Path, delay: float) -> bool:
    """Start a run, kill it after `delay` seconds; whether it was still running."""
    proc = subprocess.Popen(run_cmd(inbox, work / "out", work / "arch"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(delay)
    alive = proc.poll() is None
    if alive:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return alive


def after_kill(inbox: Path, work: Path, reference) -> list[str]:
    """What is wrong after a kill and the next run, if anything."""
    out, arch = work / "out", work / "arch"
    problems = []
    try:
        if (arch / ledger.DB_NAME).exists():
            check_consistent(out, arch)
    except AssertionError as e:
        problems.append(f"after the kill: {e}")
    final = subprocess.run(run_cmd(inbox, out, arch), capture_output=True, text=True)
    if final.returncode != 3:
        problems.append(f"the next run: exit {final.returncode} {final.stderr[-500:]}")
        return problems
    try:
        check_consistent(out, arch)
    except AssertionError as e:
        problems.append(f"after the next run: {e}")
    latest = max(visible_runs(out), key=lambda d: d.name)
    if results(latest) != reference:
        problems.append("the next run's results differ from an uninterrupted run's")
    if list(out.glob("*/.tmp-*")) or list(arch.glob(".incoming-*")):
        problems.append("half-written files left visible")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--units", type=int, default=10)
    ap.add_argument("--members", type=int, default=40)
    args = ap.parse_args()
    from pipeline import campaign as campaign_mod, demo
    import datetime as dt
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        campaign = campaign_mod.load(ROOT / "campaign.toml")
        demo.generate(campaign, tmp / "inbox", units=args.units, members=args.members, seed=13, defects=True,
                      answer_key=tmp / "key.json", as_of=dt.date.fromisoformat(AS_OF))
        start = time.monotonic()
        ref = subprocess.run(run_cmd(tmp / "inbox", tmp / "ref" / "out", tmp / "ref" / "arch"), capture_output=True)
        wall = time.monotonic() - start
        assert ref.returncode == 3, ref.stderr
        folder = visible_runs(tmp / "ref" / "out")[0]
        reference, windows = results(folder), stages(folder, wall)
        tally = {name: [0, 0, 0] for name, _, _ in windows}  # kills aimed, landed (still running), failed
        for i in range(args.kills):
            name, lo, hi = windows[i % len(windows)]
            work = tmp / f"k{i}"
            landed = kill_once(tmp / "inbox", work, rng.uniform(lo, hi))
            problems = after_kill(tmp / "inbox", work, reference)
            tally[name][0] += 1
            tally[name][1] += landed
            tally[name][2] += bool(problems)
            print(f"kill {i + 1}: {name}{'' if landed else ' (the run had ended)'}: {'; '.join(problems) or 'ok'}",
                  flush=True)
            shutil.rmtree(work, ignore_errors=True)
    print(f"reference run {wall:.1f} s; stages " + ", ".join(f"{n} {lo:.1f}-{hi:.1f} s" for n, lo, hi in windows))
    ok = sum(v[0] - v[2] for v in tally.values())
    print(f"{ok} of {args.kills} kills followed by a run equal to an uninterrupted one; by stage (aimed, landed, "
          f"failed): " + ", ".join(f"{n} {a}/{b}/{c}" for n, (a, b, c) in tally.items()))


if __name__ == "__main__":
    main()
