"""Hostile and foreign input against its time and memory targets (moved out of the tests, where a busy
machine made them fail): each foreign corpus file (../shared/corpus/foreign) refused within 10 s, the whole
corpus in one process under 1 GiB peak, a million-row sheet refused within 10 s and 1 GiB. Prints a table;
asserts nothing.

usage: python bench/hostile.py"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "foreign"

MEASURE = """import json, resource, sys, time
from pathlib import Path
from pipeline import campaign
from pipeline.validation import validate
c = campaign.load(sys.argv[1])
times = {}
for p in sorted(Path(a) for a in sys.argv[2:]):
    t = time.perf_counter()
    validate.validate_file(p, p.name, c)
    times[p.name] = time.perf_counter() - t
print(json.dumps({"times": times, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(files: list[Path]) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, str(ROOT / "campaign.toml"), *map(str, files)],
                         capture_output=True, text=True, cwd=ROOT, timeout=3600)
    if out.returncode:
        sys.exit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def million_rows(work: Path) -> Path:
    """A demo unit's workbook whose roster holds a million rows (no <dimension> to refuse it early)."""
    sys.path.insert(0, str(ROOT))
    from pipeline import campaign, demo
    c = campaign.load(ROOT / "campaign.toml")
    demo.generate(c, work / "inbox", units=1, members=4, seed=1)
    src = next((work / "inbox").glob("FN01*.xlsx"))
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>X{i}</t></is></c></row>' for i in range(2, 1_000_002))
    xml = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
           'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>党员编号</t></is></c>'
           '</row>' + rows + "</sheetData></worksheet>").encode()
    big = work / "million.xlsx"
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zo:
        for item in zi.infolist():  # the roster is the workbook's third sheet (after 填报说明 and _lists)
            zo.writestr(item.filename, xml if item.filename == "xl/worksheets/sheet3.xml" else zi.read(item.filename))
    return big


def main() -> None:
    files = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.suffix != ".md" and p.name != "expect.tsv")
    corpus = measure(files)
    slowest = sorted(corpus["times"].items(), key=lambda kv: -kv[1])[:5]
    with tempfile.TemporaryDirectory() as tmp:
        big = measure([million_rows(Path(tmp))])
    print("| measure | figure | target |\n|---|---|---|")
    print(f"| foreign files | {len(files)} | |")
    print(f"| slowest foreign file | {slowest[0][1]:.2f} s ({slowest[0][0]}) | <= 10 s |")
    print(f"| whole corpus, one process, peak | {corpus['rss_mib']:.0f} MiB | <= 1024 MiB |")
    print(f"| million-row sheet refused | {next(iter(big['times'].values())):.2f} s, peak {big['rss_mib']:.0f} MiB "
          f"| <= 10 s, <= 1024 MiB |")


if __name__ == "__main__":
    main()
