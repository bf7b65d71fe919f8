"""The demo's data shapes and seeded helpers: every draw comes from a named, seeded stream."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field

from pipeline.campaign import Unit
from pipeline.demo import text as T


@dataclass
class Variant:
    """How a workbook departs from the template: as a person who rebuilt or rearranged it would."""
    title_rows: dict[str, int] = field(default_factory=dict)
    order: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, tuple[str, list]] = field(default_factory=dict)

    def touches(self, sheet_key: str) -> bool:
        return sheet_key in self.title_rows or sheet_key in self.order or sheet_key in self.extra


@dataclass
class Submission:
    layout: str  # "unit" or "street"
    file_name: str
    info: dict
    rows: dict[str, list[dict]]
    unit: Unit | None = None
    variant: Variant = field(default_factory=Variant)
    expected: list[tuple] = field(default_factory=list)  # (sheet_key, row or None, column key or None, code)


def seeded(seed, *parts) -> random.Random:
    digest = hashlib.sha256("|".join(map(str, (seed,) + parts)).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def person_name(rng: random.Random) -> str:
    given = rng.choice(T.GIVEN) + (rng.choice(T.GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(T.SURNAMES) + given


def day_between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def pick(rng: random.Random, scale, quality: float) -> str:
    """An option for a voter who sees `quality` (0..1): better subjects draw better options."""
    scored = [o.label for o in scale.scored]
    unscored = [o.label for o in scale.options if o.points is None]
    if unscored and rng.random() < 0.05:
        return rng.choice(unscored)
    z = quality + rng.gauss(0, 0.15)
    cuts = [0.78, 0.58, 0.38][: len(scored) - 1]
    for label, cut in zip(scored, cuts):
        if z > cut:
            return label
    return scored[len(cuts)]
