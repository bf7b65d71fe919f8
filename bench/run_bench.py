"""District-scale benchmark (SPEC §10): the calamine floor (exactly the sheets the pipeline reads), the naive
way (pandas' calamine engine and pandera) and our pipeline, first run and rerun, side by side; medians of
--runs runs.

    .venv/bin/python bench/run_bench.py                  # 50, 100 and 200 units x 300 members
    .venv/bin/python bench/run_bench.py --sizes 10 --members 50 --no-write   # a quick look

Each measurement runs in its own process, one after another, on the same inbox; wall time from
this script, peak RSS of that process from wait4(). Inboxes are generated once (seeded) under
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
AS_OF = "2010-08-02"
KINDS = ("社区", "机关")

FLOOR = """
import sys
from pathlib import Path
import python_calamine
sys.path.insert(0, sys.argv[3])
from pipeline import campaign
from pipeline.layout import INFO_SHEET, META_SHEET
c = campaign.load(sys.argv[2])
for p in sorted(Path(sys.argv[1]).glob("*.xlsx")):
    kind = "street" if p.name.startswith("街道党工委") else "unit"
    layout = c.workbooks[kind]
    book = python_calamine.CalamineWorkbook.from_path(str(p))
    # exactly the sheets the pipeline reads: _meta, 填报说明 and the layout's sheets (not the formula-only
    # helper sheets of the preview)
    for name in dict.fromkeys([META_SHEET, INFO_SHEET] + [layout.worksheet_name(s.key) for s in layout.sheets]):
        if name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
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
    kind = "street" if p.name.startswith("街道党工委") else "unit"
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


def inbox_for(units: int, members: int) -> Path:
    folder = WORK / f"inbox-{units}x{members}"
    if not folder.exists():
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "run.py"), "--campaign", str(campaign_for(units)), "demo",
                        "--inbox", str(tmp), "--units", str(units), "--members", str(members), "--seed", "bench",
                        "--as-of", AS_OF], check=True, stdout=subprocess.DEVNULL)
        tmp.rename(folder)
        print(f"generated {folder.name} in {time.perf_counter() - start:.0f} s", flush=True)
    return folder


def _tree_rss(session: int) -> int:
    """Resident bytes of every process in a session (the pipeline and its worker processes)."""
    total, page = 0, os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != session:  # field 6 of stat: the session id
                continue
            with open(f"/proc/{entry}/statm") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return total


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak MiB) of one child process. The peak is the largest sum of resident memory
    of the child and all its processes (validation workers, the workbook process), sampled every
    50 ms, or the child's own peak from wait4() if that is larger."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    peak, done = [0], threading.Event()

    def sample():
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss(proc.pid))
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        raise RuntimeError(f"{cmd[:3]} failed with {code}: {proc.stderr.read().decode()[-2000:]}")
    return wall, max(peak[0] / 2**20, usage.ru_maxrss / 1024)


def median_of(runs: int, cmd: list[str], before=lambda: None) -> tuple[float, float]:
    """(median wall seconds, largest peak MiB) of `runs` runs of `cmd`, `before` called ahead of each."""
    results = []
    for _ in range(runs):
        before()
        results.append(measure(cmd))
    return statistics.median(t for t, _ in results), max(m for _, m in results)


def run_size(units: int, members: int, runs: int = 3) -> dict:
    inbox = inbox_for(units, members)
    camp = campaign_for(units)
    py = sys.executable
    floor = median_of(runs, [py, "-c", FLOOR, str(inbox), str(camp), str(ROOT)])
    naive = median_of(runs, [py, "-c", NAIVE, str(inbox), str(camp), str(ROOT)])
    out = WORK / f"run-{units}"
    stages = WORK / f"stages-{units}.json"
    cmd = [py, str(ROOT / "run.py"), "--campaign", str(camp), "--inbox", str(inbox), "--outbox",
           str(out / "outbox"), "--archive", str(out / "archive"), "--as-of", AS_OF]
    os.environ["FNC_REVIEW_TIMINGS"] = str(stages)
    try:
        pipeline = median_of(runs, cmd, before=lambda: shutil.rmtree(out, ignore_errors=True))  # a first run each time
        timings = json.loads(stages.read_text(encoding="utf-8"))
        rerun = median_of(runs, cmd)  # the same inbox again, on the archive the last first run left
    finally:
        del os.environ["FNC_REVIEW_TIMINGS"]
    rows = sum(1 for _ in inbox.glob("*.xlsx"))
    return {"units": units, "members": members, "files": rows, "floor": floor, "naive": naive, "pipeline": pipeline,
            "rerun": rerun, "stages": timings}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    mem = next((int(line.split()[1]) // 1024 // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, Python {platform.python_version()}, {platform.platform()}"


def table(results: list[dict]) -> str:
    lines = ["| units | members/unit | files | floor s | floor MiB | naive s | naive MiB | pipeline s | pipeline MiB "
             "| rerun s | pipeline/floor | naive/pipeline | rerun/pipeline |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        f, n, p, again = r["floor"], r["naive"], r["pipeline"], r["rerun"]
        lines.append(f"| {r['units']} | {r['members']} | {r['files']} | {f[0]:.1f} | {f[1]:.0f} | {n[0]:.1f} | "
                     f"{n[1]:.0f} | {p[0]:.1f} | {p[1]:.0f} | {again[0]:.1f} | {p[0] / f[0]:.2f} | {n[0] / p[0]:.2f} | "
                     f"{again[0] / p[0]:.2f} |")
    stages = list(results[0]["stages"]["seconds"])
    lines += ["", "Pipeline stages: wall seconds, and the main process's resident MiB at the stage's end (the rest"
              " of the pipeline's time is starting Python and reading the campaign):", "",
              "| units | " + " | ".join(stages) + " |", "|---|" + "---|" * len(stages)]
    lines += [f"| {r['units']} | " + " | ".join(f"{r['stages']['seconds'][k]:.1f} s, {r['stages']['rss_mib'][k]} MiB"
                                              for k in stages) + " |" for r in results]
    if len(results) >= 2:
        a, b = results[-2], results[-1]
        lines.append("")
        lines.append(f"Growth {a['units']} -> {b['units']} units: pipeline time x{b['pipeline'][0] / a['pipeline'][0]:.2f}"
                     f" (units x{b['units'] / a['units']:.2f}).")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
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
        print(table(results[-1:]).splitlines()[2], flush=True)
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
