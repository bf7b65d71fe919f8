"""District-scale benchmark (SPEC §10), on a realistic round: about a third of the units send 得票汇总
instead of ballots, about one file in ten has an error and comes back as a returned copy; round 1 from a
fresh archive, round 2 on that archive, then round 2 again with nothing new (the rerun). Beside them: the
calamine floor (exactly the sheets the pipeline reads, in one process and in two) and the naive way
(pandas' calamine engine and pandera). Medians of --runs runs; peak memory is the largest sum of
proportional set sizes (PSS) over the run's processes, sampled every 50 ms.

    .venv/bin/python bench/run_bench.py                  # 100 and 200 units x 300 members
    .venv/bin/python bench/run_bench.py --sizes 10 --members 50 --no-write   # a quick look

Each measurement runs in its own process, one after another. Inboxes are generated once (seeded) under
bench/work/ and reused. Results are printed and, unless --no-write, written to bench/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
ROUNDS = (("R1", "2010-08-02", "bench"), ("R2", "2012-06-15", "bench-r2"))  # round, as-of date, demo seed
KINDS = ("社区", "机关")
STREET_FILE = "街道党工委"  # how the demo's street workbook is named
TALLIED_EVERY, RETURNED_EVERY = 3, 10  # a third of the units send tallies; one file in ten comes back

FLOOR = """
import sys
from multiprocessing import Pool
from pathlib import Path
import python_calamine
sys.path.insert(0, sys.argv[3])
from pipeline import campaign
from pipeline.layout import INFO_SHEET, META_SHEET
c = campaign.load(sys.argv[2])

def read(p):
    kind = "street" if p.name.startswith(sys.argv[-1]) else "unit"
    layout = c.workbooks[kind]
    book = python_calamine.CalamineWorkbook.from_path(str(p))
    # exactly the sheets the pipeline reads: _meta, 填报说明 and the layout's sheets (not the formula-only
    # helper sheets of the preview)
    for name in dict.fromkeys([META_SHEET, INFO_SHEET] + [layout.worksheet_name(s.key) for s in layout.sheets]):
        if name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()

if __name__ == "__main__":
    files = sorted(Path(sys.argv[1]).glob("*.xlsx"))
    if int(sys.argv[4]) == 1:
        for p in files:
            read(p)
    else:
        with Pool(int(sys.argv[4])) as pool:
            pool.map(read, files, chunksize=1)
"""

NAIVE = """
import sys
from pathlib import Path
import pandas as pd
import pandera.pandas as pa
sys.path.insert(0, sys.argv[3])
from pipeline import campaign
from pipeline.validation import schemas
c = campaign.load(sys.argv[2])
for p in sorted(Path(sys.argv[1]).glob("*.xlsx")):
    kind = "street" if p.name.startswith(sys.argv[-1]) else "unit"
    layout = c.workbooks[kind]
    for sheet in layout.sheets:
        df = pd.read_excel(p, sheet_name=layout.worksheet_name(sheet.key), engine="calamine", dtype=object)
        df = df.rename(columns=lambda h: str(h).rstrip("*"))  # the template marks required columns with *
        df = df.rename(columns={col.label: col.key for col in sheet.columns})
        try:
            schemas.build(sheet, {}).validate(df, lazy=True)
        except pa.errors.SchemaErrors:
            pass
"""

# One mistake a clerk makes, put into every RETURNED_EVERY-th unit file: a member's name left out (E_REQUIRED).
BREAK = """
import sys
from pathlib import Path
from openpyxl import load_workbook
sys.path.insert(0, sys.argv[2])
from pipeline import campaign
c = campaign.load(sys.argv[3])
layout = c.workbooks["unit"]
sheet = layout.worksheet_name("roster")
label = next(col.label for col in layout.sheet("roster").columns if col.key == "name")
for p in sys.argv[4:]:
    wb = load_workbook(p)
    ws = wb[sheet]
    col = next(c.column for c in ws[1] if str(c.value).rstrip("*") == label)
    ws.cell(3, col).value = None
    wb.save(p)
"""


def campaign_for(units: int) -> Path:
    """The shipped campaign file with enough fictional units for a district."""
    path = WORK / f"campaign-{units}.toml"
    if not path.exists():
        text = (ROOT / "campaign.toml").read_text(encoding="utf-8")
        extra = "".join(f'\n[[units]]\ncode = "D{i:03d}"\nname = "第{i}社区党委"\nkind = "{KINDS[i % 2]}"\n'
                        for i in range(1, max(0, units - 10) + 1))
        WORK.mkdir(parents=True, exist_ok=True)
        path.write_text(text + extra, encoding="utf-8")
    return path


def _demo(units: int, members: int, rnd: str, as_of: str, seed: str, folder: Path, tallies: bool) -> None:
    subprocess.run([sys.executable, str(ROOT / "run.py"), "--campaign", str(campaign_for(units)), "demo",
                    "--inbox", str(folder), "--units", str(units), "--members", str(members), "--seed", seed,
                    "--round", rnd, "--as-of", as_of] + (["--tallies"] if tallies else []),
                   check=True, stdout=subprocess.DEVNULL)


def inbox_for(units: int, members: int, rnd: str = "R1") -> Path:
    """The realistic inbox of a round: the demo's files, every TALLIED_EVERY-th unit's with tallies, and
    every RETURNED_EVERY-th unit's with a mistake in it."""
    as_of, seed = next((a, s) for r, a, s in ROUNDS if r == rnd)
    folder = WORK / f"inbox-{units}x{members}-{rnd}"
    if not folder.exists():
        start = time.perf_counter()
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        for tallies in (False, True):
            _demo(units, members, rnd, as_of, seed, tmp / str(tallies), tallies)
        tmp_inbox = tmp / "inbox"
        tmp_inbox.mkdir()
        broken = []
        unit_files = [p for p in sorted((tmp / "False").glob("*.xlsx")) if not p.name.startswith(STREET_FILE)]
        for p in sorted((tmp / "False").glob("*.xlsx")):
            i = unit_files.index(p) if p in unit_files else None
            tallied = tmp / "True" / p.name
            shutil.copyfile(tallied if i is not None and i % TALLIED_EVERY == 0 else p, tmp_inbox / p.name)
            if i is not None and i % RETURNED_EVERY == RETURNED_EVERY // 2:
                broken.append(str(tmp_inbox / p.name))
        if broken:
            subprocess.run([sys.executable, "-c", BREAK, "", str(ROOT), str(campaign_for(units)), *broken], check=True)
        tmp_inbox.rename(folder)
        shutil.rmtree(tmp)
        print(f"generated {folder.name} in {time.perf_counter() - start:.0f} s", flush=True)
    return folder


def _pss(session: int) -> int:
    """Proportional set size in bytes of every process in a session (the pipeline and its worker
    processes): shared pages counted once over them all, where plain resident sizes count them in each."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != session:  # field 6 of stat: the session id
                continue
            with open(f"/proc/{entry}/smaps_rollup") as f:
                total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:"))
        except (OSError, IndexError, ValueError, StopIteration):
            continue  # a process that ended meanwhile
    return total


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak MiB) of one child process and all its processes (validation workers, the
    workbook process): the largest sum of their PSS, sampled every 50 ms."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    peak, done = [0], threading.Event()

    def sample():
        while not done.wait(0.05):
            peak[0] = max(peak[0], _pss(proc.pid))
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        raise RuntimeError(f"{cmd[:3]} failed with {code}: {proc.stderr.read().decode()[-2000:]}")
    return wall, peak[0] / 2**20


def median_of(runs: int, cmd: list[str], before=lambda: None) -> tuple[float, float]:
    """(median wall seconds, largest peak MiB) of `runs` runs of `cmd`, `before` called ahead of each."""
    results = []
    for _ in range(runs):
        before()
        results.append(measure(cmd))
    return statistics.median(t for t, _ in results), max(m for _, m in results)


def _restore(saved: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    if saved.exists():
        shutil.copytree(saved, out)


def run_size(units: int, members: int, runs: int = 3) -> dict:
    inboxes = {rnd: inbox_for(units, members, rnd) for rnd, _, _ in ROUNDS}
    camp = campaign_for(units)
    py = sys.executable
    floor = median_of(runs, [py, "-c", FLOOR, str(inboxes["R1"]), str(camp), str(ROOT), "1", STREET_FILE])
    floor2 = median_of(runs, [py, "-c", FLOOR, str(inboxes["R1"]), str(camp), str(ROOT), "2", STREET_FILE])
    naive = median_of(runs, [py, "-c", NAIVE, str(inboxes["R1"]), str(camp), str(ROOT), STREET_FILE])
    out, after_r1 = WORK / f"run-{units}", WORK / f"run-{units}-after-R1"

    def cmd(rnd: str) -> list[str]:
        as_of = next(a for r, a, _ in ROUNDS if r == rnd)
        return [py, str(ROOT / "run.py"), "--campaign", str(camp), "--inbox", str(inboxes[rnd]), "--round", rnd,
                "--outbox", str(out / "outbox"), "--archive", str(out / "archive"), "--as-of", as_of]
    stages = {}
    try:
        for rnd, before in (("R1", lambda: _restore(WORK / "nothing", out)), ("R2", lambda: _restore(after_r1, out))):
            os.environ["FNC_REVIEW_TIMINGS"] = str(WORK / f"stages-{units}-{rnd}.json")
            stages[rnd] = median_of(runs, cmd(rnd), before=before)
            stages[rnd + " timings"] = json.loads((WORK / f"stages-{units}-{rnd}.json").read_text(encoding="utf-8"))
            if rnd == "R1":
                _restore(out, after_r1)
        stages["rerun"] = median_of(runs, cmd("R2"))  # R2 again, nothing new, on the archive the last R2 left
    finally:
        os.environ.pop("FNC_REVIEW_TIMINGS", None)
    returned = {rnd: len({p.name for p in (out / "outbox").glob(f"{rnd}/*/退回修改/*.xlsx")}) for rnd in inboxes}
    files = {rnd: sum(1 for _ in inboxes[rnd].glob("*.xlsx")) for rnd in inboxes}
    return {"units": units, "members": members, "files": files, "floor": floor, "floor2": floor2, "naive": naive,
            "r1": stages["R1"], "r2": stages["R2"], "rerun": stages["rerun"], "returned": returned,
            "stages": {"R1": stages["R1 timings"], "R2": stages["R2 timings"]}}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    mem = next((int(line.split()[1]) // 1024 // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, Python {platform.python_version()}, {platform.platform()}"


HEAD = ("| units | members/unit | files R1, R2 | returned R1, R2 | floor s | floor 2 procs s | naive s | R1 s | R1 MiB "
        "| R2 s | R2 MiB | rerun s | R1/floor | R2/R1 | rerun/R1 | naive/R1 |")


def row(r: dict) -> str:
    f, f2, n, r1, r2, again = r["floor"], r["floor2"], r["naive"], r["r1"], r["r2"], r["rerun"]
    return (f"| {r['units']} | {r['members']} | {r['files']['R1']}, {r['files']['R2']} | "
            f"{r['returned']['R1']}, {r['returned']['R2']} | {f[0]:.1f} | {f2[0]:.1f} | {n[0]:.1f} | {r1[0]:.1f} | "
            f"{r1[1]:.0f} | {r2[0]:.1f} | {r2[1]:.0f} | {again[0]:.1f} | {r1[0] / f[0]:.2f} | {r2[0] / r1[0]:.2f} | "
            f"{again[0] / r1[0]:.2f} | {n[0] / r1[0]:.2f} |")


def targets(results: list[dict]) -> list[str]:
    """The targets of SPEC §10 against this run's figures: the ratios at the first size (100 units by
    default), memory at every size, the growth from the first size to the next."""
    first = results[0]
    peak = max(r[k][1] for r in results for k in ("r1", "r2", "rerun"))
    checks = [("R1 <= 3x the one-process floor", f"{first['r1'][0] / first['floor'][0]:.2f}x", first["r1"][0] <= 3 * first["floor"][0]),
              ("R2 <= 1.2x R1", f"{first['r2'][0] / first['r1'][0]:.2f}x", first["r2"][0] <= 1.2 * first["r1"][0]),
              ("rerun <= 0.5x R1", f"{first['rerun'][0] / first['r1'][0]:.2f}x", first["rerun"][0] <= 0.5 * first["r1"][0]),
              ("peak memory <= 1 GiB (every size)", f"{peak:.0f} MiB", peak <= 1024)]
    if len(results) >= 2:
        b = results[1]
        growth = b["r1"][0] / first["r1"][0]
        checks.append((f"{b['units']} units <= 2.1x the time of {first['units']} (R1, for twice the units)",
                       f"{growth:.2f}x (units x{b['units'] / first['units']:.2f})",
                       growth <= 2.1 * b["units"] / first["units"] / 2))
    return [f"Targets at {first['units']} units x {first['members']} members:", "", "| target | this run | met? |",
            "|---|---|---|"] + [f"| {name} | {figure} | {'yes' if ok else 'no'} |" for name, figure, ok in checks]


def table(results: list[dict]) -> str:
    lines = [HEAD, "|" + "---|" * HEAD.count(" | ") + "---|"] + [row(r) for r in results]
    for rnd in ("R1", "R2"):
        stages = list(results[0]["stages"][rnd]["seconds"])
        lines += ["", f"{rnd} by stage: wall seconds, and the main process's resident MiB at the stage's end (the rest"
                  " is starting Python and reading the campaign):", "",
                  "| units | " + " | ".join(stages) + " |", "|---|" + "---|" * len(stages)]
        lines += [f"| {r['units']} | " + " | ".join(f"{r['stages'][rnd]['seconds'][k]:.1f} s, "
                                                  f"{r['stages'][rnd]['rss_mib'][k]} MiB" for k in stages) + " |"
                  for r in results]
    return "\n".join(lines + [""] + targets(results))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 200])
    ap.add_argument("--members", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3, help="runs of each measurement; the median time is shown")
    ap.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    ap.add_argument("--work", type=Path, default=None, help="where inboxes and runs go (default bench/work/)")
    args = ap.parse_args()
    global WORK
    WORK = args.work or WORK
    results = []
    for units in args.sizes:
        results.append(run_size(units, args.members, args.runs))
        print(row(results[-1]), flush=True)
    text = table(results)
    print(text)
    if not args.no_write:
        analysis = ROOT / "bench" / "analysis.md"  # the hand-written reading of the figures, kept with them
        results = ROOT / "bench" / "results.md"
        marker = "\n## The unit template in LibreOffice"  # bench/template_recalc.py's section stays
        kept = results.read_text(encoding="utf-8").partition(marker) if results.exists() else ("", "", "")
        results.write_text(
            f"# Benchmark results\n\nRun {dt.date.today()} on {machine()}.\n"
            f"Command: `.venv/bin/python bench/run_bench.py --sizes {' '.join(map(str, args.sizes))} "
            f"--members {args.members}`.\n\n{text}\n"
            + ("\n" + analysis.read_text(encoding="utf-8") if analysis.exists() else "")
            + (kept[1] + kept[2] if kept[1] else ""), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
