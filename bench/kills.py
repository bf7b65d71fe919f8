"""Kills (SPEC §5, issue 35): the run killed (SIGKILL) at --kills random instants spread over every stage —
starting up, intake (the ledger, the snapshots, storing), the round, each writer, the rename of the run folder —
and after each kill: the ledger passes integrity_check, nothing half-written is visible, and the next run
gives the results of an uninterrupted run. Each kill starts from an empty archive and outbox.

A kill is aimed by what the run has made, not by the clock (a loaded machine shifts every stage): a reference
run is watched, each path it makes in its outbox and archive marks a stage, and a kill waits until the path
before its point appears, then a random part of the time the reference run took to the next path. A kill that
finds the run ended is aimed again; the last line says how many landed.

    .venv/bin/python bench/kills.py                 # 50 kills on a 10-unit x 40-member round
    .venv/bin/python bench/kills.py --kills 10 --seed 3

tests/test_kill.py runs a seeded few of these (and imports the checks from here).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
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
POLL = 0.003  # seconds between two looks at the run's folders
ATTEMPTS = 4  # a kill that finds the run ended is aimed again at the same stage, at most this often


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


RUN_ID = re.compile(r"\d{8}-\d{6}(-\d+)?")


def seen(work: Path) -> set[str]:
    """Every path under the run's outbox and archive, relative, with run ids and process ids normalised so
    that two runs of the same inbox see the same names."""
    found = set()
    stack = [work / "out", work / "arch"]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for e in entries:
            rel = Path(e.path).relative_to(work).as_posix()
            found.add(re.sub(r"(\.tmp-[0-9a-f]{64})-\d+$", r"\1", RUN_ID.sub("RUN", rel)))
            if e.is_dir(follow_symlinks=False):
                stack.append(Path(e.path))
    return found


def stage_of(path: str) -> str:
    """The stage a run is in while it is about to make `path`."""
    parts = path.split("/") + [""]
    if parts[0] == "arch" or not parts[1]:  # the outbox itself is made with the archive, at the start
        if parts[1] == ledger.FILES_DIR and parts[2]:
            return "validating and storing"
        return "intake: snapshots" if parts[1].startswith(".incoming") else "intake: opening the ledger"
    if not parts[2].startswith(".tmp-"):
        return "the rename" if parts[2] == "RUN" else "the round"
    return "the round" if not parts[3] else f"writing {parts[3].removeprefix('.tmp-')}"


def record(inbox: Path, work: Path) -> tuple[list[tuple[str, float]], float]:
    """The reference run, watched: each path in the order it appeared, with its time from the start; and the
    wall time."""
    start, events, known = time.monotonic(), [], set()
    proc = subprocess.Popen(run_cmd(inbox, work / "out", work / "arch"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    while proc.poll() is None:
        for path in sorted(seen(work) - known):
            events.append((path, time.monotonic() - start))
            known.add(path)
        time.sleep(POLL)
    assert proc.returncode == 3, proc.stderr.read()
    return events, time.monotonic() - start


TEMPORARY = re.compile(r"(^|/)(tmp[a-z0-9_]{8}|\.tmp-[A-Za-z0-9_]{8}\.\w+)(/|$)")  # tempfile's random names


def anchors(events: list[tuple[str, float]], wall: float) -> dict[str, list[tuple[str | None, float, float]]]:
    """Kill points by stage, one for each span between two paths of the reference run: (the latest path at or
    before the span whose name is the same in every run, None for the process's start; the span's start and
    end, counted from that path's appearance). A span is in the stage of the next lasting path it leads to
    ("finishing" once the run folder is in place: the ledger's last write, the closing lines)."""
    lasting = [i for i, (path, _) in enumerate(events) if not TEMPORARY.search(path)]
    by_stage: dict[str, list] = {"startup": [(None, 0.05, events[0][1] if events else wall)]}
    anchor, anchor_t = None, 0.0
    for i, (path, t) in enumerate(events):
        if not TEMPORARY.search(path):
            anchor, anchor_t = path, t
        end = events[i + 1][1] if i + 1 < len(events) else wall
        upcoming = next((events[j][0] for j in lasting if j > i), None)
        stage = stage_of(upcoming) if upcoming and stage_of(path) != "the rename" else "finishing"
        if end > t:  # paths seen in the same look at the folders leave no span between them
            by_stage.setdefault(stage, []).append((anchor, t - anchor_t, end - anchor_t))
    return by_stage


def kill_at(inbox: Path, work: Path, anchor: str | None, wait: float) -> bool:
    """Start a run, wait until `anchor` appears and `wait` seconds more, and kill it; whether the kill landed
    (the run was still going)."""
    proc = subprocess.Popen(run_cmd(inbox, work / "out", work / "arch"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while anchor is not None and proc.poll() is None and anchor not in seen(work):
        time.sleep(POLL)
    time.sleep(wait)
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


def aim(inbox: Path, work: Path, points: list, rng: random.Random) -> tuple[bool, str]:
    """Kill a run at a random point of one stage, aimed again (from empty folders) while it lands after the
    run's end; whether it landed, and at what."""
    for _ in range(ATTEMPTS):
        shutil.rmtree(work, ignore_errors=True)
        anchor, lo, hi = rng.choice(points)
        if kill_at(inbox, work, anchor, rng.uniform(lo, hi)):
            return True, anchor or "the start"
    return False, anchor or "the start"


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
        events, wall = record(tmp / "inbox", tmp / "ref")
        reference, points = results(visible_runs(tmp / "ref" / "out")[0]), anchors(events, wall)
        names = list(points)
        tally = {name: [0, 0, 0] for name in names}  # kills aimed, landed (the run still going), followed by a problem
        for i in range(args.kills):
            name, work = names[i % len(names)], tmp / f"k{i}"
            landed, at = aim(tmp / "inbox", work, points[name], rng)
            problems = after_kill(tmp / "inbox", work, reference)
            for j, count in enumerate((1, landed, bool(problems))):
                tally[name][j] += count
            print(f"kill {i + 1}: {name} (after {at}){'' if landed else ': the run had ended'}: "
                  f"{'; '.join(problems) or 'ok'}", flush=True)
            shutil.rmtree(work, ignore_errors=True)
    print(f"reference run {wall:.1f} s, {len(events)} paths appeared; {len(names)} stages")
    landed = sum(v[1] for v in tally.values())
    ok = sum(v[0] - v[2] for v in tally.values())
    print(f"{landed} of {args.kills} kills landed; {ok} of {args.kills} followed by a run equal to an uninterrupted "
          f"one; by stage (aimed, landed, failed): " + ", ".join(f"{n} {a}/{b}/{c}" for n, (a, b, c) in tally.items()))


if __name__ == "__main__":
    main()
