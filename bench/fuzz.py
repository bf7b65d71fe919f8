"""The fuzz campaign (SPEC §10, issue 35): mutated workbooks through the whole pipeline, round after round.
Sources are the demo's unit and street workbooks; each file gets one to three mutations of three families:

- structure (openpyxl): merged ranges, inserted and deleted rows and columns, renamed, hidden, duplicated and
  deleted sheets, a cell far away (XFD1048576);
- values: inf, nan, 1e308, 2**63, -0.0, huge texts, times, booleans, error texts, dates and numbers in odd
  forms, in random cells of the sheets the pipeline reads;
- packages (the zip): a truncated part, a part removed, a wrong content type, a shared string index past the
  table, a shared formula without its master, flipped bytes.

Each round is one inbox run by `run.py` in its own process with a timeout. A crash is an exit status 1, a
traceback, or a finding E_INTERNAL (a file the pipeline could not judge); a hang is a round past the timeout;
every file must be in the round's manifest. Prints files, rounds, crashes, hangs and the peak memory of a
round; `--write` adds the figures to bench/results.md.

    .venv/bin/python bench/fuzz.py                          # 10,000 workbooks in rounds of 200
    .venv/bin/python bench/fuzz.py --files 300 --round-size 100 --seed 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = "2010-08-02"
ODD_VALUES = [float("inf"), float("-inf"), float("nan"), 1e308, -1e308, 2**63, -(2**63), -0.0, 1e-320,
              "长" * 32767, "x" * 40000, dt.time(23, 59, 59), dt.datetime(1900, 1, 1), dt.date(9999, 12, 31), True, False,
              "#DIV/0!", "#N/A", "#REF!", "=1/0", "=A1", "2010-02-30", "2010/13/01", "31.12.2010", "today",
              "２０１０年６月１日", "1,000", "1e5", "0x1F", "-", " ", "\u3000", "\u200b", "_x0000_", "\ufffd", "１２",
              "85分", "好 ", "满意\n", None, 0, -1, 12.5, 100000, 100001]


def sources(root: Path, seed: int) -> list[tuple[str, bytes]]:
    """The demo's workbooks of a few seeds (unit and street), as (name, bytes)."""
    from pipeline import campaign as campaign_mod, demo
    campaign = campaign_mod.load(ROOT / "campaign.toml")
    out = []
    for i in range(3):
        inbox = root / f"src{i}"
        demo.generate(campaign, inbox, units=2, members=4, seed=f"fuzz-{seed}-{i}", as_of=dt.date.fromisoformat(AS_OF))
        out += [(p.name, p.read_bytes()) for p in sorted(inbox.glob("*.xlsx"))]
    return out


# ------------------------------------------------------------------ mutations

def _structure(wb, rng: random.Random) -> str:
    ws = rng.choice(wb.worksheets)
    kind = rng.choice(["merge", "insert_rows", "delete_rows", "insert_cols", "delete_cols", "rename", "hide",
                       "duplicate", "delete_sheet", "far_cell"])
    if kind == "merge":
        r, c = rng.randint(1, 30), rng.randint(1, 12)
        ws.merge_cells(start_row=r, start_column=c, end_row=r + rng.randint(0, 3), end_column=c + rng.randint(1, 3))
    elif kind == "insert_rows":
        ws.insert_rows(rng.randint(1, 20), rng.randint(1, 3))
    elif kind == "delete_rows":
        ws.delete_rows(rng.randint(1, 20), rng.randint(1, 3))
    elif kind == "insert_cols":
        ws.insert_cols(rng.randint(1, 12), rng.randint(1, 2))
    elif kind == "delete_cols":
        ws.delete_cols(rng.randint(1, 12), rng.randint(1, 2))
    elif kind == "rename":
        ws.title = rng.choice(["Sheet1", "党员 名册'二", "问题清单", "填报说明 ", "x" * 31, ws.title[::-1]])
    elif kind == "hide":
        ws.sheet_state = rng.choice(["hidden", "veryHidden"]) if len(wb.worksheets) > 1 else "visible"
    elif kind == "duplicate":
        wb.copy_worksheet(ws)
    elif kind == "delete_sheet" and len(wb.worksheets) > 1:
        wb.remove(ws)
    elif kind == "far_cell":
        ws["XFD1048576"] = rng.choice(["远处", 1, None])
    return f"structure:{kind}"


def _value(wb, rng: random.Random) -> str:
    ws = rng.choice(wb.worksheets)
    for _ in range(rng.randint(1, 5)):
        cell = ws.cell(rng.randint(1, max(3, min(ws.max_row, 60))), rng.randint(1, max(2, min(ws.max_column, 20))))
        if type(cell).__name__ == "MergedCell":
            continue
        value = rng.choice(ODD_VALUES)
        try:
            cell.value = value
        except (ValueError, TypeError):  # openpyxl refuses some (a control character): the text as it is
            cell.value = str(value)
    return "value"


def _package(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    kind = rng.choice(["truncate", "remove", "content_type", "shared_string", "shared_formula", "flip"])
    if kind == "flip":
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b), "package:flip"
    target = rng.choice([n for n in names if n.endswith(".xml")] or names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            part = src.read(n)
            if n == target and kind == "truncate":
                part = part[: rng.randrange(max(1, len(part)))]
            elif n == target and kind == "remove":
                continue
            elif n == "[Content_Types].xml" and kind == "content_type":
                part = re.sub(rb'ContentType="[^"]+"', b'ContentType="application/octet-stream"', part, count=rng.randint(1, 5))
            elif kind == "shared_string" and n.startswith("xl/worksheets/") and n.endswith(".xml"):
                part = re.sub(rb'(t="s"[^>]*><v>)\d+(</v>)', lambda m: m.group(1) + b"999999" + m.group(2), part, count=3)
            elif kind == "shared_formula" and n.startswith("xl/worksheets/") and n.endswith(".xml"):
                part = re.sub(rb"<v>([^<]*)</v>", rb'<f t="shared" si="7"/><v>\1</v>', part, count=3)
            z.writestr(n, part)
    return out.getvalue(), f"package:{kind}"


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """One to three mutations; the package family last (it works on the saved bytes)."""
    from openpyxl import load_workbook
    done = []
    families = sorted(rng.sample(["structure", "value", "package"], rng.randint(1, 3)), key=["structure", "value", "package"].index)
    if "structure" in families or "value" in families:
        wb = load_workbook(io.BytesIO(data))
        for f in families:
            if f == "structure":
                done.append(_structure(wb, rng))
            elif f == "value":
                done.append(_value(wb, rng))
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
    if "package" in families:
        data, what = _package(data, rng)
        done.append(what)
    return data, done


# ------------------------------------------------------------------ rounds

def run_round(inbox: Path, work: Path, timeout: float) -> dict:
    """Run the pipeline on one inbox in its own process; what a round gives for the report."""
    out, arch = work / "out", work / "arch"
    cmd = [sys.executable, str(ROOT / "run.py"), "-q", "--inbox", str(inbox), "--outbox", str(out), "--archive", str(arch),
           "--as-of", AS_OF]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"hang": True, "seconds": timeout, "crashes": [], "missing": [], "rss_mib": 0}
    seconds = time.perf_counter() - start
    rss = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    crashes, missing = [], []
    if done.returncode == 1 or "Traceback" in done.stdout + done.stderr:
        crashes.append(f"exit {done.returncode}: {(done.stdout + done.stderr)[-2000:]}")
    manifests = sorted(out.glob("*/*/manifest.json"))
    if manifests:
        m = json.loads(manifests[-1].read_text(encoding="utf-8"))
        listed = {f["name"] for key in ("inbox_files", "ignored_files", "changed_files", "held_files") for f in m[key]}
        missing = sorted({p.name for p in inbox.iterdir()} - listed)
        crashes += [f"{f['name']}: E_INTERNAL" for f in m["inbox_files"]
                    if any(x["code"] == "E_INTERNAL" for x in f["findings"])]
    elif done.returncode != 2:
        missing = sorted(p.name for p in inbox.iterdir())
    return {"hang": False, "seconds": seconds, "crashes": crashes, "missing": missing, "rss_mib": rss,
            "exit": done.returncode}


def campaign_run(files: int, round_size: int, seed: int, timeout: float, keep: Path | None = None) -> dict:
    """`files` mutated workbooks in rounds of `round_size`; the totals."""
    rng = random.Random(seed)
    totals = {"files": 0, "rounds": 0, "crashes": [], "hangs": 0, "missing": [], "peak_rss_mib": 0.0,
              "mutations": {}, "seconds": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pool = sources(tmp, seed)
        n = 0
        while n < files:
            work = tmp / f"round{totals['rounds']}"
            inbox = work / "inbox"
            inbox.mkdir(parents=True)
            for i in range(min(round_size, files - n)):
                name, data = rng.choice(pool)
                mutated, what = mutate(data, rng)
                for w in what:
                    totals["mutations"][w.split(":")[0]] = totals["mutations"].get(w.split(":")[0], 0) + 1
                (inbox / f"{n + i:05d}-{name}").write_bytes(mutated)
            count = len(list(inbox.iterdir()))
            r = run_round(inbox, work, timeout)
            n += count
            totals["files"] += count
            totals["rounds"] += 1
            totals["hangs"] += r["hang"]
            totals["crashes"] += r["crashes"]
            totals["missing"] += r["missing"]
            totals["peak_rss_mib"] = max(totals["peak_rss_mib"], r["rss_mib"])
            totals["seconds"] += r["seconds"]
            if (r["crashes"] or r["hang"]) and keep:
                shutil.copytree(inbox, keep / work.name, dirs_exist_ok=True)
            else:
                shutil.rmtree(work)
            print(f"round {totals['rounds']}: {count} files, {r['seconds']:.0f} s, exit {r.get('exit')}, "
                  f"crashes {len(r['crashes'])}, missing {len(r['missing'])}{', HANG' if r['hang'] else ''}", flush=True)
    return totals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--round-size", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--timeout", type=float, default=900, help="seconds a round may take before it counts as a hang")
    ap.add_argument("--keep", type=Path, default=None, help="keep the inboxes of rounds with a crash or a hang here")
    ap.add_argument("--write", action="store_true", help="add the figures to bench/results.md")
    args = ap.parse_args()
    t = campaign_run(args.files, args.round_size, args.seed, args.timeout, args.keep)
    line = (f"{t['files']} workbooks in {t['rounds']} rounds (seed {args.seed}): {len(t['crashes'])} crashes, "
            f"{t['hangs']} hangs, {len(t['missing'])} files missing from their manifest, peak {t['peak_rss_mib']:.0f} MiB "
            f"a round, {t['seconds'] / 60:.0f} min; mutations {t['mutations']}")
    print(line)
    for c in t["crashes"][:20]:
        print("  crash:", c[:500])
    if args.write:
        with open(ROOT / "bench" / "results.md", "a", encoding="utf-8") as f:
            f.write(f"\n- fuzz ({dt.date.today()}): {line}\n")


if __name__ == "__main__":
    main()
