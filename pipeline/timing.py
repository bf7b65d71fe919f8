"""The wall time and memory of each stage of a run, written as JSON where FNC_REVIEW_TIMINGS points
(the benchmark sets it)."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)


class Stages:
    """Wall time per stage, written as JSON where FNC_REVIEW_TIMINGS points (the benchmark sets it)."""

    def __init__(self):
        self.last, self.times, self.rss = time.perf_counter(), {}, {}

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = round(now - self.last, 3)
        self.last = now
        self.rss[stage] = _rss_mib()
        log.info("%s: %.3f s", stage, self.times[stage])

    def write_log(self, path: Path, head: str) -> None:
        """The run's log in its folder: what ran, and each stage's wall time so far."""
        lines = [head] + [f"{stage}: {seconds:.3f} s" + (f", {self.rss[stage]} MiB" if self.rss.get(stage) else "")
                          for stage, seconds in self.times.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def save(self) -> None:
        target = os.environ.get("FNC_REVIEW_TIMINGS")
        if target:
            Path(target).write_text(json.dumps({"seconds": self.times, "rss_mib": self.rss}), encoding="utf-8")


def _rss_mib() -> float | None:
    """This process's resident memory where the system tells it cheaply (Linux), else None."""
    try:
        with open("/proc/self/statm") as f:
            return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20)
    except (OSError, ValueError, AttributeError):
        return None
