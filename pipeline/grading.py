"""The member grading rules of SPEC §6, in one home: the bands, the veto, the cap and who is not graded
(预备党员, 未参评). scoring applies them to the round's frames; the template's preview (outputs/units/preview.py)
is generated from the same definitions as Excel formulas, so that the two cannot drift apart.

A member's grade before the cap is the first case that holds, in this order:
  not a full member (预备党员)  -> probationary_grade: reviewed, never graded
  a full member without a composite (未参评) -> not_reviewed_grade
  the veto form's top-two rate, pooled over the criteria, below min_rate -> the veto's grade
  the bands, highest first -> the band's grade
Then the cap, over each unit's full members with a composite (N): at most floor(N / denominator) keep the
cap's grade, in CAP_ORDER; the others become demote_to. The veto comes before the cap: a vetoed member never
holds a place the cap counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.campaign.model import Cap, Grading, Veto

PROBATIONARY, NOT_REVIEWED, VETOED, BAND = "probationary", "not_reviewed", "vetoed", "band"
# Who keeps the cap's grade first: the highest composite, then the lowest 党员编号 (key, ascending).
CAP_ORDER = (("composite", False), ("member_id", True))


@dataclass(frozen=True)
class Case:
    when: str  # PROBATIONARY, NOT_REVIEWED, VETOED or BAND
    grade: str | None
    min: float = 0.0  # a band's lower bound


def cases(g: Grading) -> list[Case]:
    """The grade before the cap: the first of these cases that holds decides."""
    out = [Case(PROBATIONARY, g.probationary_grade), Case(NOT_REVIEWED, g.not_reviewed_grade)]
    if g.veto:
        out.append(Case(VETOED, g.veto.grade))
    return out + [Case(BAND, b.grade, b.min) for b in g.bands]


def vetoed(veto: Veto, rate: pd.Series) -> pd.Series:
    """The veto holds where the pooled top-two rate is known and below its minimum."""
    return rate.notna() & (rate < veto.min_rate)


def cap_allowed(cap: Cap, n_reviewed_full: int) -> int:
    """How many members of the cap's grade a unit may have: floor(N / denominator)."""
    return n_reviewed_full // cap.denominator


# ------------------------------------------------------------------ the rules on a frame (scoring)

def pre_grades(g: Grading, holds: dict[str, pd.Series], composite: pd.Series) -> pd.Series:
    """Each member's grade before the cap; `holds`: case -> where it holds (PROBATIONARY, NOT_REVIEWED,
    VETOED), a band holding where the composite reaches its bound."""
    conditions = [(composite >= c.min).to_numpy() if c.when == BAND else holds[c.when].to_numpy() for c in cases(g)]
    return pd.Series(np.select(conditions, [c.grade for c in cases(g)], default=None), index=composite.index,
                     dtype=object)


def over_cap(cap: Cap, members: pd.DataFrame) -> pd.Index:
    """Of one unit's reviewed full members (with their grade before the cap), those past the cap: their
    grade becomes demote_to."""
    top = members[members["suggested_grade"] == cap.grade]
    top = top.sort_values([k for k, _ in CAP_ORDER], ascending=[a for _, a in CAP_ORDER])
    return top.index[cap_allowed(cap, len(members)):]


# ------------------------------------------------------------------ the same rules as Excel formulas (the preview)

def pre_grade_formula(g: Grading, holds: dict[str, str], composite: str) -> str:
    """The grade before the cap as nested IFs, the cases in their order (the last band is what is left)."""
    steps = cases(g)
    expr = f'"{steps[-1].grade}"'  # the last band: the loader requires its grade
    for c in reversed(steps[:-1]):
        test = f"{composite}>={c.min:g}" if c.when == BAND else holds[c.when]
        expr = f'IF({test},"{c.grade or ""}",{expr})'
    return expr


def vetoed_formula(veto: Veto, top2: str, votes: str) -> str:
    return f"AND({votes}>0,{top2}/{votes}<{veto.min_rate:g})"


def cap_allowed_formula(cap: Cap, kinds: str, full: str, composites: str) -> str:
    """floor(N / denominator), N the full members with a composite."""
    return f"INT(COUNTIFS({kinds},\"{full}\",{composites},\">=0\")/{cap.denominator})"


def cap_place_formula(cap: Cap, pre: dict[str, str], mine: dict[str, str]) -> str:
    """A member's place among the unit's members of the cap's grade, in CAP_ORDER: 1 + those ahead of it
    (better on a key, equal on the keys before it). `pre`: 'grade' and each key -> its column's range;
    `mine`: each key -> this member's cell."""
    terms = []
    for i, (key, ascending) in enumerate(CAP_ORDER):
        args = [pre["grade"], f'"{cap.grade}"'] + [x for k, _ in CAP_ORDER[:i] for x in (pre[k], mine[k])]
        args += [pre[key], f'"{"<" if ascending else ">"}"&{mine[key]}']
        terms.append(f"COUNTIFS({','.join(args)})")
    return "1+" + "+".join(terms)
