"""The Windows zip as the clerk gets it, measured under Wine (../shared/wine/winpy): its size, `--version`
(Python's start, the floor of the window's first line, which comes before the heavy libraries load), the
sample round (示例.bat) and the same round again with nothing new. (Wine hands the output over when the
program ends, so the first line's own time cannot be read here.) Figures for README's quick start; Wine is not Windows, and this machine is shared, so
read them as orders of magnitude (medians of --runs runs).

    .venv/bin/python bench/windows_bundle.py            # build the zip, unzip it, run it
    .venv/bin/python bench/windows_bundle.py --runs 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WINPY = ROOT.parent / "shared" / "wine" / "winpy"


def winpy(*args, timeout=900) -> tuple[float, float | None, subprocess.CompletedProcess]:
    """Run under Wine: (seconds in all, seconds until the first line of output, the process)."""
    start = time.perf_counter()
    proc = subprocess.Popen(["bash", str(WINPY), "run", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "NOPAUSE": "1"}, start_new_session=True)
    first, out = None, []
    try:
        for line in iter(proc.stdout.readline, b""):
            if first is None and line.strip():
                first = time.perf_counter() - start
            out.append(line)
        err = proc.stderr.read()
        proc.wait(timeout=timeout)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    done = subprocess.CompletedProcess(proc.args, proc.returncode, b"".join(out).decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))
    return time.perf_counter() - start, first, done


def win(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        built = subprocess.run([sys.executable, str(ROOT / "packaging" / "bundle.py"), "--out", str(tmp / "dist")],
                               capture_output=True, text=True, timeout=1800)
        if built.returncode:
            raise SystemExit(built.stderr[-3000:])
        zip_path = tmp / "dist" / "fnc-review-win64.zip"
        size, unpacked = zip_path.stat().st_size, sum(i.file_size for i in zipfile.ZipFile(zip_path).infolist())
        zipfile.ZipFile(zip_path).extractall(tmp / "评议 汇总")
        top = tmp / "评议 汇总" / "fnc-review"
        subprocess.run(["bash", str(WINPY), "adapt", str(top / "python")], check=True, capture_output=True)
        rows = {"--version": [], "示例.bat（首次）": [], "示例.bat（没有新报送，再运行）": []}
        for _ in range(args.runs):
            rows["--version"].append(winpy(top / "python" / "python.exe", top / "run.py", "--version")[0])
            shutil.rmtree(top / "示例" / "archive", ignore_errors=True)
            shutil.rmtree(top / "示例" / "outbox", ignore_errors=True)
            seconds, _, done = winpy("cmd", "/c", win(top / "示例.bat"))
            if done.returncode not in (0, 3):
                raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
            rows["示例.bat（首次）"].append(seconds)
            rows["示例.bat（没有新报送，再运行）"].append(winpy("cmd", "/c", win(top / "示例.bat"))[0])
    print(f"zip: {size / 2**20:.1f} MiB (unpacked {unpacked / 2**20:.0f} MiB)")
    for name, values in rows.items():
        print(f"{name}: {statistics.median(values):.1f} s (median of {len(values)})")


if __name__ == "__main__":
    main()
