"""Time of one returned copy against its number of marked cells (SPEC §8: <= 0.5 s a copy at 5,000 marks,
linear in the marks). A demo unit workbook with many members; N cells of its largest sheet get an error
each, as when a unit typed its own word in every rating cell. Medians of --runs runs in this process.

    .venv/bin/python bench/returned_marks.py                 # 500 ... 5,000 marks
    .venv/bin/python bench/returned_marks.py --marks 100 1000 --runs 1

The figures to read are the ratios: seconds per 1,000 marks at each size (flat when linear), and the
largest size against the smallest (near the ratio of their marks when linear).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from python_calamine import CalamineWorkbook  # noqa: E402

from pipeline import campaign as campaign_mod, demo  # noqa: E402
from pipeline.findings import make  # noqa: E402
from pipeline.outputs.units import returned  # noqa: E402

WHEN = dt.datetime(2010, 8, 2, 9)


def _cells(path: Path, wanted: int) -> tuple[str, list[str]]:
    """The largest sheet of the workbook and `wanted` of its filled cells below the header row."""
    from openpyxl.utils import get_column_letter
    book = CalamineWorkbook.from_path(str(path))
    sizes = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    sheet = max(sizes, key=lambda n: sum(v != "" for r in sizes[n] for v in r))
    cells = [f"{get_column_letter(c + 1)}{r + 1}" for r, row in enumerate(sizes[sheet]) if r > 0
             for c, v in enumerate(row) if v != ""]
    if len(cells) < wanted:
        raise SystemExit(f"{sheet} has {len(cells)} filled cells, fewer than {wanted}: use more --members")
    return sheet, cells[:wanted]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--marks", type=int, nargs="+", default=[500, 1000, 2500, 5000])
    ap.add_argument("--members", type=int, default=400)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    campaign = campaign_mod.load(ROOT / "campaign.toml")
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        demo.generate(campaign, inbox, units=1, members=args.members, seed=11,
                      as_of=campaign.rounds[0].submission_due)
        book = next(inbox.glob(f"{campaign.units[0].code}*.xlsx"))
        sheet, cells = _cells(book, max(args.marks))
        rows = []
        for n in sorted(args.marks):
            findings = [make("E_ENUM", book.name, sheet=sheet, cell=c, column="x", value="自填") for c in cells[:n]]
            times = []
            for i in range(args.runs):
                start = time.perf_counter()
                returned.write(book, "xlsx", book.name, findings, "FN01", Path(tmp) / f"c{n}_{i}.xlsx", WHEN, "党办")
                times.append(time.perf_counter() - start)
            rows.append((n, statistics.median(times)))
    print(f"{'marks':>6} {'seconds':>8} {'s per 1,000 marks':>18}")
    for n, t in rows:
        print(f"{n:>6} {t:>8.3f} {t / n * 1000:>18.3f}")
    (n0, t0), (n1, t1) = rows[0], rows[-1]
    print(f"{n1} marks against {n0}: {t1 / t0:.1f} times the time for {n1 / n0:.1f} times the marks")


if __name__ == "__main__":
    main()
