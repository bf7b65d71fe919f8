"""The mutation score when a whole `make mutants` does not fit the time: a seeded, stratified random sample.

A whole run is 4,500 mutants; a mutant that survives runs every test that reaches its function (30 to 60 s on
this 2-core machine), so a whole run takes 3 to 4 hours. This script works in a project where `mutmut run` has
made the mutants (and perhaps tested some of them, whole functions at a time):

    python bench/mutants_sample.py draw --n 800 --seed 35   # draws from the untested mutants of each module
    python bench/mutants_sample.py run [--retest]           # mutmut run on those not killed yet (MUTANT_CHILDREN)
    python bench/mutants_sample.py report                   # the estimate, module by module

What was tested before the draw counts as it is (killed or survived); the untested rest of a module is estimated
from its share of the sample (drawn in proportion to each module's untested mutants), with a 95% Wilson
interval a module; the interval of the whole adds the modules' variances (stratified sampling). The draw is kept in mutants/sample.json. A mutant retested later (after a test was added) counts with
its new result; tests are only ever added, so a killed mutant stays killed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

MUTMUT = [str(Path(sys.executable).with_name("mutmut"))]
DRAW = Path("mutants/sample.json")
KILLED = {"killed", "timeout"}  # mutmut counts a timeout as caught


def statuses() -> dict[str, str]:
    """Every mutant's status as `mutmut results --all true` lists it ("not checked" is "untested")."""
    out = subprocess.run(MUTMUT + ["results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        name, _, status = line.strip().partition(": ")
        if name and status:
            found[name] = "untested" if status == "not checked" else status
    return found


def module(name: str) -> str:
    return re.match(r"(.*?)\.x[_ǁ]", name).group(1)


def draw(n: int, seed: int) -> None:
    now = statuses()
    untested = defaultdict(list)
    for name, status in sorted(now.items()):
        if status == "untested":
            untested[module(name)].append(name)
    total = sum(len(v) for v in untested.values())
    rng = random.Random(seed)
    sample = {m: sorted(rng.sample(names, min(len(names), round(n * len(names) / total))))
              for m, names in sorted(untested.items())}
    DRAW.write_text(json.dumps({"seed": seed, "before": {k: v for k, v in now.items() if v != "untested"},
                                "untested": {m: len(v) for m, v in untested.items()}, "sample": sample},
                               ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"drew {sum(map(len, sample.values()))} of {total} untested mutants (seed {seed}) into {DRAW}")


def run(retest: bool) -> None:
    """mutmut run on the drawn mutants not killed yet (all of them the first time); with `retest` (after tests
    were added or the code changed) also on those tested before the draw that are not killed."""
    kept = json.loads(DRAW.read_text(encoding="utf-8"))
    now = statuses()
    drawn = [x for names in kept["sample"].values() for x in names] + (sorted(kept["before"]) if retest else [])
    names = [x for x in drawn if x in now and now[x] not in KILLED]
    print(f"{len(names)} of {len(drawn)} are not killed yet: testing them")
    children = os.environ.get("MUTANT_CHILDREN", "2")
    if names:
        subprocess.run(MUTMUT + ["run", "--max-children", children] + names, check=False)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if not n:
        return 0.0, 1.0
    p = k / n
    mid, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (mid - half) / (1 + z * z / n), (mid + half) / (1 + z * z / n)


def report() -> None:
    kept = json.loads(DRAW.read_text(encoding="utf-8"))
    now = statuses()
    rows, totals = [], Counter()
    for m in sorted({module(x) for x in now}):
        names = [x for x in now if module(x) == m]
        before = [x for x in names if x in kept["before"]]
        sample = [x for x in kept["sample"].get(m, []) if x in now]  # a function changed since: fewer mutants
        k_before = sum(now[x] in KILLED for x in before)  # retested since the draw: its new result
        tested = [x for x in sample if now[x] != "untested"]
        k_sample = sum(now[x] in KILLED for x in tested)
        rest = len(names) - len(before)  # the module's mutants now (a changed function has other ones) less those
        lo, hi = wilson(k_sample, len(tested))
        est = (k_before + rest * (k_sample / len(tested) if tested else 0), k_before + rest * lo, k_before + rest * hi)
        rows.append((m, len(names), len(before), k_before, rest, len(tested), k_sample, *[e / len(names) for e in est]))
        p = (k_sample + 2) / (len(tested) + 4)  # Agresti-Coull: a sample with no survivor still has a variance
        totals.update(n=len(names), est=est[0], var=rest * rest * p * (1 - p) / max(len(tested), 1))
    print("| module | mutants | tested whole | killed | untested | sampled | killed | score | 95% interval |")
    print("|---|---|---|---|---|---|---|---|---|")
    for m, n, b, kb, rest, s, ks, score, lo, hi in rows:
        print(f"| {m} | {n} | {b} | {kb} | {rest} | {s} | {ks} | {score:.1%} | {lo:.1%} to {hi:.1%} |")
    n, half = totals["n"], 1.96 * math.sqrt(totals["var"])  # the strata's variances add up
    print(f"| **all** | **{n}** | | | | | | **{totals['est'] / n:.1%}** | "
          f"{(totals['est'] - half) / n:.1%} to {min(totals['est'] + half, n) / n:.1%} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=["draw", "run", "report"])
    ap.add_argument("--n", type=int, default=800)
    ap.add_argument("--seed", type=int, default=35)
    ap.add_argument("--retest", action="store_true", help="run: also the survivors tested before the draw")
    a = ap.parse_args()
    {"draw": lambda: draw(a.n, a.seed), "run": lambda: run(a.retest), "report": report}[a.step]()


if __name__ == "__main__":
    main()
