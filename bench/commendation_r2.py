"""The round-2 (专项表彰) commendation check at district scale: every member of every unit checked against
its whole history, with and without the history grouped once. Prints seconds; `--write` records them
in bench/results.md. Run: .venv/bin/python bench/commendation_r2.py [--units 40 100] [--members 300]"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.campaign import load  # noqa: E402
from pipeline.rules import commendation  # noqa: E402

SECTION = "## Round 2: the special commendation check"


def inputs(campaign, units: int, members: int):
    codes = [f"U{i:03d}" for i in range(units)]
    ids = [(u, f"{u}-{k:03d}") for u in codes for k in range(members)]
    grades = campaign.grades["member"].grades
    people = pd.DataFrame({"unit_code": [u for u, _ in ids], "member_id": [m for _, m in ids], "name": "某",
                           "is_worker": [campaign.roles.yes if k % 50 == 0 else campaign.roles.no for k in range(len(ids))],
                           "decided_grade": [grades[k % len(grades)] for k in range(len(ids))],
                           "suggested_grade": grades[0]})
    history = pd.concat([people[["unit_code", "member_id", "decided_grade"]].assign(round=r.code)
                         for r in campaign.rounds], ignore_index=True)
    orgs = pd.DataFrame({"unit_code": codes, "grade": campaign.grades["org"].grades[0]})
    noms = pd.DataFrame(columns=["unit_code", "nomination_kind", "subject_id", "deeds", "row_no"])
    return people, history, orgs, noms


def measure(campaign, units: int, members: int) -> float:
    rnd = next(r for r in campaign.rounds if r.commendation_kind == "special")
    people, history, orgs, noms = inputs(campaign, units, members)
    start = time.perf_counter()
    commendation.check(campaign, rnd, noms, orgs, people, history, {})
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", type=int, nargs="+", default=[40, 100, 200])
    p.add_argument("--members", type=int, default=300)
    p.add_argument("--write", action="store_true")
    args = p.parse_args()
    campaign = load(ROOT / "campaign.toml")
    rows = [(u, args.members, min(measure(campaign, u, args.members) for _ in range(3))) for u in args.units]
    table = ["| units | members/unit | members | seconds (best of 3) |", "|---|---|---|---|"] + \
        [f"| {u} | {m} | {u * m:,} | {s:.2f} |" for u, m, s in rows]
    print("\n".join(table))
    if args.write:
        text = (ROOT / "bench" / "results.md").read_text(encoding="utf-8")
        section = "\n".join([SECTION, "", "`commendation.check` for a 专项表彰 round (every member checked against the "
                             "ledger's history of all rounds), history grouped once per check (issue 25; before: "
                             "filtered per member and kind, 132 s at 40 units).", "", *table, ""])
        text = re.sub(rf"{re.escape(SECTION)}.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip() + "\n\n" + section
        (ROOT / "bench" / "results.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
