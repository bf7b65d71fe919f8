"""Demo submissions: realistic, seeded, date-consistent workbooks for every unit and the street.

With `defects`, the catalogued mistakes and the accepted human variations are injected, and
an answer key lists each expected finding (file, sheet, cell, code).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from pipeline import scoring
from pipeline.campaign import Campaign, Round, Unit
from pipeline.demo import text as T
from pipeline.layout import INFO_FIRST_ROW, INFO_SHEET
from pipeline.outputs import templates, xlsx


class DemoError(Exception):
    """The demo cannot be generated with these options."""


# ------------------------------------------------------------------ data shapes

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


def _rng(seed, *parts) -> random.Random:
    digest = hashlib.sha256("|".join(map(str, (seed,) + parts)).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def _name(rng: random.Random) -> str:
    given = rng.choice(T.GIVEN) + (rng.choice(T.GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(T.SURNAMES) + given


def _day_between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def _pick(rng: random.Random, scale, quality: float) -> str:
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


# ------------------------------------------------------------------ one unit

class _UnitBuilder:
    def __init__(self, campaign: Campaign, rnd: Round, unit: Unit, members: int, as_of: dt.date, seed, quality):
        self.c, self.rnd, self.unit, self.as_of = campaign, rnd, unit, as_of
        self.rng = _rng(seed, unit.code)
        self.quality = quality
        self.n_members = members
        self.filled_from = rnd.start
        self.ballot_no = 0

    # roster -------------------------------------------------------
    def roster(self) -> list[dict]:
        rng, e = self.rng, self.c.enums
        rows, self.member_quality = [], {}
        workers = set(rng.sample(range(self.n_members), k=min(self.n_members, 2)))
        for i in range(self.n_members):
            mid = f"{self.unit.code}-{i + 1:03d}"
            q = min(0.98, max(0.15, self.quality + rng.gauss(0, 0.1)))
            if rng.random() < 0.08:
                q = rng.uniform(0.2, 0.4)  # a clearly weaker member
            self.member_quality[mid] = q
            probationary = i > 0 and rng.random() < 0.12
            joined = (self.rnd.start - dt.timedelta(days=rng.randint(100, 360))) if probationary else \
                dt.date(rng.randint(1955, 2008), rng.randint(1, 12), rng.randint(1, 28))
            rows.append({"member_id": mid, "name": _name(rng), "gender": rng.choice(e["gender"]),
                         "branch": rng.choice(T.BRANCHES), "member_kind": e["member_kind"][1 if probationary else 0],
                         "joined_on": joined, "is_worker": e["yes_no"][0 if i in workers else 1]})
        return rows

    # ballots ------------------------------------------------------
    def _ballot(self, prefix: str) -> str:
        self.ballot_no += 1
        return f"{prefix}{self.ballot_no:05d}"

    def org_ballots(self) -> list[dict]:
        rows = []
        for form in self.c.forms["org"]:
            if form.source != "unit":
                continue
            for _ in range(self.rng.randint(form.min_ballots + 2, form.min_ballots + 12)):
                row = {"ballot_id": self._ballot("Z"), "form": form.name, "opinion": None}
                for crit in self.c.criteria["org"]:
                    row[crit.code] = _pick(self.rng, form.scale, self.quality)
                if self.rng.random() < 0.3:
                    row["opinion"] = self.rng.choice(T.OPINIONS)
                rows.append(row)
        return rows

    def member_ballots(self, roster: list[dict]) -> list[dict]:
        rows = []
        for m in roster:
            q = self.member_quality[m["member_id"]]
            for form in self.c.forms["member"]:
                n = form.max_ballots or self.rng.randint(form.min_ballots, form.min_ballots + 3)
                bias = 0.1 if form.role == "self" else 0.0  # people rate themselves higher
                for _ in range(n):
                    row = {"ballot_id": self._ballot("P"), "member_id": m["member_id"], "form": form.name,
                           "opinion": None}
                    for crit in self.c.criteria["member"]:
                        row[crit.code] = _pick(self.rng, form.scale, q + bias)
                    if form.scale.options[-1].points is None and self.rng.random() < 0.1:
                        row["opinion"] = self.rng.choice(T.OPINIONS)
                    rows.append(row)
        return rows

    # decisions ----------------------------------------------------
    def decisions(self, roster, ballots, deviate: bool = True) -> list[dict]:
        suggested = suggested_grades(self.c, self.unit.code, roster, ballots)
        grades = self.c.grades["member"]
        rows = []
        for m in roster:
            grade = suggested.get(m["member_id"]) or grades.probationary_grade
            rows.append({"member_id": m["member_id"], "decided_grade": grade, "explanation": None})
        # A few explained deviations (不以票取人), never into the capped grade.
        mid_grades = grades.grades[1:3]
        candidates = [r for r in rows if r["decided_grade"] in mid_grades]
        if deviate and candidates and self.rng.random() < 0.6:
            r = self.rng.choice(candidates)
            i = grades.grades.index(r["decided_grade"])
            down = i + 1 < len(grades.grades) and self.rng.random() < 0.5
            r["decided_grade"] = grades.grades[i + 1] if down else grades.grades[1]
            if r["decided_grade"] == grades.grades[1] and not down:
                r["decided_grade"] = grades.grades[2] if i == 1 else grades.grades[1]
            r["explanation"] = T.DEVIATION_REASONS["down" if grades.grades.index(r["decided_grade"]) > i else "up"]
        return rows

    # rectification ledger -----------------------------------------
    def rectifications(self, roster) -> list[dict]:
        rng, c, e = self.rng, self.c, self.c.enums
        weak = sorted(self.member_quality, key=self.member_quality.get)[:3]
        rows = []
        last_raise = max(self.rnd.start, self.as_of - dt.timedelta(days=10))
        for k in range(rng.randint(5, 10)):
            raised = _day_between(rng, self.rnd.start, last_raise)
            on_unit = rng.random() < 0.6 or not weak
            subject = self.unit.code if on_unit else rng.choice(weak)
            crit = rng.choice(c.criteria["org" if on_unit else "member"]).name if rng.random() < 0.9 \
                else e["criterion_other"][0]
            deadline = raised + dt.timedelta(days=rng.randint(20, 120))
            row = {"item_id": f"ZG{k + 1:02d}", "raised_on": raised, "source": rng.choice(e["rect_source"]),
                   "subject_id": subject, "criterion": crit, "problem": T.PROBLEMS[crit],
                   "measure": rng.choice(T.MEASURES), "owner": _name(rng), "deadline": deadline,
                   "status": None, "closed_on": None, "outcome": None, "satisfaction": None}
            statuses = e["rect_status"]  # 未启动, 整改中, 已销号, 复号
            closable = (min(deadline, self.as_of) - raised).days >= 3
            if closable and (deadline < self.as_of and rng.random() < 0.7 or rng.random() < 0.2):
                row["status"] = statuses[2]
                row["closed_on"] = _day_between(rng, raised + dt.timedelta(days=3), min(deadline, self.as_of))
                row["outcome"] = rng.choice(T.OUTCOMES)
                row["satisfaction"] = rng.choices(e["rect_satisfaction"], weights=[70, 25, 5])[0]
                if rng.random() < 0.05:
                    row["outcome"] = None  # 销号不实: closed without an outcome
            else:
                row["status"] = rng.choices([statuses[0], statuses[1], statuses[3]], weights=[25, 70, 5])[0]
            r = rng.random()
            if r < 0.08:
                row["measure"] = None
            elif r < 0.16:
                row["owner"] = None
            elif r < 0.22:
                row["deadline"] = None
            rows.append(row)
        return rows

    # activities ---------------------------------------------------
    def activities(self, skip_required: bool) -> list[dict]:
        rng, e = self.rng, self.c.enums
        rows = []
        for req in self.rnd.required_activities:
            if skip_required and req is self.rnd.required_activities[-1]:
                continue
            day = _day_between(rng, self.rnd.start, min(req.due, self.as_of))
            rows.append(self._activity(day, req.type))
        others = [t for t in e["activity_type"] if t not in {r.type for r in self.rnd.required_activities}]
        for _ in range(rng.randint(3, 8)):
            rows.append(self._activity(_day_between(rng, self.rnd.start, self.as_of), rng.choice(others)))
        rows.sort(key=lambda r: r["held_on"])
        return rows

    def _activity(self, day, kind) -> dict:
        rng = self.rng
        return {"held_on": day, "activity_type": kind, "attendance": rng.randint(8, 120),
                "summary": T.ACTIVITY_SUMMARY.get(kind, T.ACTIVITY_SUMMARY["其他"]),
                "reported": self.c.enums["yes_no"][0 if rng.random() < 0.8 else 1]}

    # nominations --------------------------------------------------
    def nominations(self, roster, decisions) -> list[dict]:
        rng, cm = self.rng, self.c.commendation
        rows = []
        if rng.random() < 0.6:
            rows.append({"nomination_kind": cm["org_kind"], "subject_id": self.unit.code, "deeds": rng.choice(T.DEEDS)})
        by_grade = {d["member_id"]: d["decided_grade"] for d in decisions}
        excellent = [m["member_id"] for m in roster if by_grade.get(m["member_id"]) == cm["member_grade"]]
        others = [m["member_id"] for m in roster if m["member_id"] not in excellent]
        picks = excellent[:2]
        if others and rng.random() < 0.3:
            picks = picks[:1] + [rng.choice(others)]  # some nominations do not meet the rules
        for mid in picks:
            rows.append({"nomination_kind": cm["member_kind"], "subject_id": mid, "deeds": rng.choice(T.DEEDS)})
        workers = [m["member_id"] for m in roster if m["is_worker"] == self.c.enums["yes_no"][0]]
        if workers and rng.random() < 0.5:
            rows.append({"nomination_kind": cm["worker_kind"], "subject_id": rng.choice(workers),
                         "deeds": rng.choice(T.DEEDS)})
        return rows

    def info(self) -> dict:
        filled = max(self.rnd.start, self.as_of - dt.timedelta(days=self.rng.randint(1, 10)))
        return {"unit_code": self.unit.code, "round": self.rnd.code, "filled_by": _name(self.rng),
                "phone": f"139{self.rng.randint(10000000, 99999999)}", "filled_on": filled}


def suggested_grades(campaign: Campaign, unit_code: str, roster: list[dict], ballots: list[dict]) -> dict[str, str]:
    """The suggested grade of each member, computed by the pipeline's own scoring from these rows."""
    graded = scoring.unit_member_grades(campaign, unit_code, pd.DataFrame(roster), pd.DataFrame(ballots))
    return dict(zip(graded["member_id"], graded["suggested_grade"]))


# ------------------------------------------------------------------ the street

def _street(campaign: Campaign, rnd: Round, units: list[Unit], qualities: dict, as_of: dt.date, seed) -> Submission:
    rng = _rng(seed, "street")
    form = campaign.form_by_role("org", "street")
    leaders = [_name(rng) for _ in range(3)]
    rows, n = [], 0
    for unit in units:
        for leader in leaders:
            n += 1
            q = qualities[unit.code]
            row = {"ballot_id": f"J{n:04d}", "unit_code": unit.code, "reviewer": leader,
                   "reviewed_on": _day_between(rng, rnd.start, min(rnd.review_due, as_of)),
                   "achievements": rng.choice(T.ACHIEVEMENTS), "problems": None, "suggestions": None}
            for crit in campaign.criteria["org"]:
                row[crit.code] = _pick(rng, form.scale, q)
            if q < 0.75 or rng.random() < 0.3:
                row["problems"] = rng.choice(T.REVIEW_PROBLEMS)
                row["suggestions"] = rng.choice(T.SUGGESTIONS)
            rows.append(row)
    filled = max(rnd.start, as_of - dt.timedelta(days=2))
    info = {"round": rnd.code, "filled_by": leaders[0], "phone": "0571-86000000", "filled_on": filled}
    return Submission("street", f"街道党工委组织点评表（{rnd.name}）.xlsx", info, {"street_reviews": rows})


# ------------------------------------------------------------------ defects and variations

FORMULA_TEXTS = ['=HYPERLINK("http://example.com/x","点此查看")', "+1 同意", "@SUM(A1:A3)", "-无意见-"]


def _inject_errors(c: Campaign, s: Submission) -> None:
    """The catalogued cell-level mistakes (SPEC §4), each recorded in the submission's answer key."""
    rows, exp, unit = s.rows, s.expected, s.unit.code
    crit_o, crit_m = c.criteria["org"], c.criteria["member"]
    rows["org_ballots"][0][crit_o[0].code] = "优良"
    exp.append(("org_ballots", 0, crit_o[0].code, "E_ENUM"))
    rows["member_ballots"][3][crit_m[1].code] = 120
    exp.append(("member_ballots", 3, crit_m[1].code, "E_RANGE"))
    rows["roster"][2]["name"] = None
    exp.append(("roster", 2, "name", "E_REQUIRED"))
    rows["org_ballots"][5]["ballot_id"] = rows["org_ballots"][4]["ballot_id"]
    exp.append(("org_ballots", 5, "ballot_id", "E_DUPLICATE_ID"))
    peer = next(b for b in rows["member_ballots"] if b["form"] == c.form_by_role("member", "peer").name)
    rows["member_ballots"].append(dict(peer, ballot_id="P99901", member_id=f"{unit}-999"))
    exp.append(("member_ballots", len(rows["member_ballots"]) - 1, "member_id", "E_UNKNOWN_MEMBER"))
    self_form = c.form_by_role("member", "self").name
    first_self = next(b for b in rows["member_ballots"] if b["form"] == self_form)
    rows["member_ballots"].append(dict(first_self, ballot_id="P99902"))
    exp.append(("member_ballots", len(rows["member_ballots"]) - 1, "form", "E_FORM_COUNT"))
    item = rows["rectifications"][0]
    item.update(status=c.enums["rect_status"][2], closed_on=item["raised_on"] - dt.timedelta(days=5),
                outcome=T.OUTCOMES[0], satisfaction=c.enums["rect_satisfaction"][0])
    exp.append(("rectifications", 0, "closed_on", "E_DATE_ORDER"))
    rows["rectifications"][1]["subject_id"] = "FN99"
    exp.append(("rectifications", 1, "subject_id", "E_UNKNOWN_SUBJECT"))
    rows["activities"][0]["attendance"] = "三十余人"
    exp.append(("activities", 0, "attendance", "E_TYPE"))
    rows["roster"][4 % len(rows["roster"])]["joined_on"] = "2010-13-45"
    exp.append(("roster", 4 % len(rows["roster"]), "joined_on", "E_DATE"))
    full = c.enums["member_kind"][0]
    dropped = next(i for i, m in enumerate(rows["roster"]) if m["member_kind"] == full and i != 2)
    rows["decisions"] = [d for d in rows["decisions"] if d["member_id"] != rows["roster"][dropped]["member_id"]]
    exp.append(("roster", dropped, "member_id", "E_GRADE_MISSING"))


def _inject_variations(c: Campaign, s: Submission, builder: _UnitBuilder) -> None:
    """Human variations that must be ACCEPTED with a note, and two intended warnings."""
    rows, exp = s.rows, s.expected
    e = c.enums
    crit_m = c.criteria["member"]
    scale = {f.name: f.scale for f in c.forms["member"]}
    b0 = rows["member_ballots"][0]
    b0[crit_m[0].code] = f"{scale[b0['form']].points_of(b0[crit_m[0].code]):g}分"
    exp.append(("member_ballots", 0, crit_m[0].code, "N_POINTS"))
    b1 = rows["member_ballots"][1]
    b1[crit_m[1].code] = int(scale[b1["form"]].points_of(b1[crit_m[1].code]) or 0) or b1[crit_m[1].code]
    if isinstance(b1[crit_m[1].code], int):
        exp.append(("member_ballots", 1, crit_m[1].code, "N_POINTS"))
    rows["roster"][0]["gender"] = f" {rows['roster'][0]['gender']} "
    exp.append(("roster", 0, "gender", "N_NORMALISED"))
    r1 = rows["roster"][1 % len(rows["roster"])]
    r1["is_worker"] = "Y" if r1["is_worker"] == e["yes_no"][0] else "N"
    exp.append(("roster", 1 % len(rows["roster"]), "is_worker", "N_NORMALISED"))
    acts = rows["activities"]
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    acts[1]["attendance"] = str(acts[1]["attendance"]).translate(full_width)
    exp.append(("activities", 1, "attendance", "N_NORMALISED"))
    acts[2]["attendance"] = str(acts[2]["attendance"])
    exp.append(("activities", 2, "attendance", "N_NORMALISED"))
    d = acts[0]["held_on"]
    acts[0]["held_on"] = f"{d.year}年{d.month}月{d.day}日"
    exp.append(("activities", 0, "held_on", "N_DATE_TEXT"))
    d = rows["rectifications"][0]["raised_on"]
    rows["rectifications"][0]["raised_on"] = f"{d.year}.{d.month}.{d.day}"
    exp.append(("rectifications", 0, "raised_on", "N_DATE_TEXT"))
    s.variant.title_rows["activities"] = 1
    exp.append(("activities", None, None, "N_HEADER_MOVED"))
    sheet = c.workbooks["unit"].sheet("nominations")
    keys = [col.key for col in sheet.columns]
    s.variant.order["nominations"] = keys[1:] + keys[:1]
    exp.append(("nominations", None, None, "N_COLUMN_ORDER"))
    s.variant.extra["roster"] = ("备注", ["退休" if i % 4 == 0 else None for i in range(len(rows["roster"]))])
    exp.append(("roster", None, "备注", "N_EXTRA_COLUMN"))
    # Intended warnings: one member with too few public-review ballots, one unexplained grade.
    public = c.form_by_role("member", "public")
    victim = rows["roster"][-1]["member_id"]
    kept = 0
    for b in list(rows["member_ballots"]):
        if b["member_id"] == victim and b["form"] == public.name:
            kept += 1
            if kept > 1:
                rows["member_ballots"].remove(b)
    exp.append(("roster", len(rows["roster"]) - 1, "member_id", "W_FEW_BALLOTS"))
    rows["decisions"] = builder.decisions(rows["roster"], rows["member_ballots"], deviate=False)
    grades = c.grades["member"].grades
    target = next((i for i, r in enumerate(rows["decisions"]) if r["decided_grade"] == grades[1]), None)
    if target is not None:
        rows["decisions"][target]["decided_grade"] = grades[2]
        exp.append(("decisions", target, "decided_grade", "W_GRADE_UNEXPLAINED"))


# ------------------------------------------------------------------ rendering

def _write(cell, value) -> None:
    if isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        xlsx.set_text(cell, value)


def render(campaign: Campaign, s: Submission, round_code: str):
    """The submission as an openpyxl workbook built on the template, and a function from
    (sheet key, row index, column key) to the A1 cell where that value sits."""
    layout = campaign.workbooks[s.layout]
    wb = templates.build(campaign, s.layout, round_code)
    info = wb[INFO_SHEET]
    for i, f in enumerate(layout.info):
        if s.info.get(f.key) is not None:
            _write(info.cell(INFO_FIRST_ROW + i, 2), s.info[f.key])
    positions = {}
    for sheet in layout.sheets:
        ws = wb[sheet.name]
        order = s.variant.order.get(sheet.key, [c.key for c in sheet.columns])
        top = s.variant.title_rows.get(sheet.key, 0)
        if s.variant.touches(sheet.key):  # rebuilt by hand: a plain sheet in the template's place
            index = wb.sheetnames.index(sheet.name)
            wb.remove(ws)
            ws = wb.create_sheet(sheet.name, index)
            for t in range(top):
                ws.cell(t + 1, 1, f"{s.unit.name if s.unit else ''}{sheet.name}")
            labels = {c.key: c.label for c in sheet.columns}
            for j, key in enumerate(order, start=1):
                ws.cell(top + 1, j, labels[key])
        extra = s.variant.extra.get(sheet.key)
        if extra:
            ws.cell(top + 1, len(order) + 1, extra[0])
        for r, row in enumerate(s.rows.get(sheet.key, [])):
            for j, key in enumerate(order, start=1):
                _write(ws.cell(top + 2 + r, j), row.get(key))
            if extra and extra[1][r] is not None:
                _write(ws.cell(top + 2 + r, len(order) + 1), extra[1][r])
        positions[sheet.key] = (top, order, extra[0] if extra else None)

    def locate(sheet_key, row, col):
        top, order, extra_label = positions[sheet_key]
        if col is None:
            return f"A{top + 1}"
        j = len(order) + 1 if col == extra_label else order.index(col) + 1
        return f"{get_column_letter(j)}{top + 1 if row is None else top + 2 + row}"
    return wb, locate


# ------------------------------------------------------------------ entry point

def default_as_of(rnd: Round) -> dt.date:
    return rnd.submission_due


def generate(campaign: Campaign, inbox: str | Path, *, units: int | None = None, members: int = 20,
             round_code: str | None = None, as_of: dt.date | None = None, seed: int | str = 1,
             defects: bool = False, answer_key: str | Path | None = None) -> list[dict]:
    """Write demo submissions into `inbox`; return the answer key (also written when `defects`)."""
    if round_code is None:
        rnd = campaign.round_for(as_of) if as_of else None
        rnd = rnd or campaign.rounds[0]
    elif round_code not in {r.code for r in campaign.rounds}:
        raise DemoError(f"评议阶段“{round_code}”不在活动配置中（可选：{'、'.join(r.code for r in campaign.rounds)}）")
    else:
        rnd = campaign.round(round_code)
    as_of = as_of or default_as_of(rnd)
    if as_of < rnd.start:
        raise DemoError(f"基准日期 {as_of} 早于{rnd.name}开始日期 {rnd.start}，无法生成已填报的数据")
    n = len(campaign.units) if units is None else units
    if not 1 <= n <= len(campaign.units):
        raise DemoError(f"单位数应在 1 到 {len(campaign.units)} 之间（活动配置中的单位数）")
    if members < 3:
        raise DemoError("每单位党员数至少为 3")
    chosen = list(campaign.units[:n])
    qrng = _rng(seed, "quality")
    qualities = {u.code: qrng.uniform(0.62, 0.9) for u in chosen}
    if n >= 3:
        qualities[chosen[-1].code] = 0.42  # one clearly weaker unit
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    err_i, var_i = min(1, n - 1), min(2, n - 1)
    subs = []
    for i, unit in enumerate(chosen):
        b = _UnitBuilder(campaign, rnd, unit, members, as_of, seed, qualities[unit.code])
        roster = b.roster()
        ballots = b.member_ballots(roster)
        rows = {"roster": roster, "org_ballots": b.org_ballots(), "member_ballots": ballots,
                "decisions": b.decisions(roster, ballots), "rectifications": b.rectifications(roster),
                "activities": b.activities(skip_required=(n >= 4 and i == n - 2)),
                "nominations": []}
        rows["nominations"] = b.nominations(roster, rows["decisions"])
        name = [f"{unit.code}{unit.name}创先争优填报表.xlsx", f"附件1-{unit.name}.xlsx",
                f"{unit.name}{rnd.name}评议材料.xlsx"][i % 3]
        s = Submission("unit", name, b.info(), rows, unit)
        if defects and i == 0:
            for j, text in enumerate(FORMULA_TEXTS):
                rows["org_ballots"][j]["opinion"] = text
            rows["rectifications"][-1]["problem"] = FORMULA_TEXTS[0]
        if defects and i == err_i:
            _inject_errors(campaign, s)
        if defects and i == var_i and var_i != err_i:
            _inject_variations(campaign, s, b)
        subs.append(s)
    subs.append(_street(campaign, rnd, chosen, qualities, as_of, seed))

    key = []
    when = dt.datetime.combine(as_of, dt.time(9, 0))
    written = {}
    for s in subs:
        wb, locate = render(campaign, s, rnd.code)
        path = xlsx.save(wb, inbox / s.file_name, when, s.info.get("filled_by") or "")
        written[s.file_name] = path
        layout = campaign.workbooks[s.layout]
        for sheet_key, row, col, code in s.expected:
            key.append({"file": s.file_name, "sheet": layout.sheet(sheet_key).name,
                        "cell": locate(sheet_key, row, col), "code": code})
    if defects:
        key += _file_defects(campaign, inbox, chosen, subs, written)
        key_path = Path(answer_key) if answer_key else inbox / "answer_key.json"
        if key_path.parent == inbox:
            key.append({"file": key_path.name, "sheet": "", "cell": "", "code": "E_UNSUPPORTED_FORMAT"})
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_text(json.dumps(key, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return key


def _file_defects(campaign, inbox: Path, chosen, subs, written) -> list[dict]:
    """Whole-file mistakes: a stray non-workbook, an empty attachment, another unit's file renamed."""
    key = []
    (inbox / "活动照片说明.txt").write_text("照片见附件，共 12 张。\n", encoding="utf-8")
    key.append({"file": "活动照片说明.txt", "sheet": "", "cell": "", "code": "E_UNSUPPORTED_FORMAT"})
    (inbox / "新建 Microsoft Excel 工作表.xlsx").write_bytes(b"")
    key.append({"file": "新建 Microsoft Excel 工作表.xlsx", "sheet": "", "cell": "", "code": "E_EMPTY_FILE"})
    if len(chosen) >= 4:
        # The last unit mailed the first unit's file under its own name instead of its own.
        last = subs[len(chosen) - 1]
        written[last.file_name].unlink()
        copy_name = f"{last.unit.name}填报表（定稿）.xlsx"
        shutil.copyfile(written[subs[0].file_name], inbox / copy_name)
        key = [k for k in key if k["file"] != last.file_name]
        key.append({"file": copy_name, "sheet": "", "cell": "", "code": "W_DUPLICATE_FILE"})
    return key
