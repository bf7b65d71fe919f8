"""The wall time and memory of each stage of a run, written as JSON where FNC_REVIEW_TIMINGS points
(the benchmark sets it)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


class Stages:
    """Wall time per stage, written as JSON where FNC_REVIEW_TIMINGS points (the benchmark sets it)."""

    def __init__(self):
        self.last, self.times, self.rss = time.perf_counter(), {}, {}

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = round(now - self.last, 3)
        self.last = now
        self.rss[stage] = _rss_mib()

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
