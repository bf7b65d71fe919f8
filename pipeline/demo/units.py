"""One unit's workbook contents, and the street's: roster, ballots, decisions, rectifications, activities, nominations."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline import scoring
from pipeline.campaign import Campaign, Round, Unit
from pipeline.demo import text as T
from pipeline.demo.shapes import Submission, day_between, person_name, pick, seeded


class UnitBuilder:
    def __init__(self, campaign: Campaign, rnd: Round, unit: Unit, members: int, as_of: dt.date, seed, quality):
        self.c, self.rnd, self.unit, self.as_of = campaign, rnd, unit, as_of
        self.rng = seeded(seed, unit.code)
        self.quality = quality
        self.n_members = members
        self.filled_from = rnd.start
        self.ballot_no = 0

    # roster -------------------------------------------------------
    def roster(self) -> list[dict]:
        rng, e, roles = self.rng, self.c.enums, self.c.roles
        rows, self.member_quality = [], {}
        workers = set(rng.sample(range(self.n_members), k=min(self.n_members, 2)))
        for i in range(self.n_members):
            mid = f"{self.unit.code}-{i + 1:03d}"
            q = min(0.98, max(0.15, self.quality + rng.gauss(0, 0.07)))
            if rng.random() < 0.03:
                q = rng.uniform(0.3, 0.45)  # a clearly weaker member: a few per cent
            self.member_quality[mid] = q
            probationary = i > 0 and rng.random() < 0.12
            joined = (self.rnd.start - dt.timedelta(days=rng.randint(100, 360))) if probationary else \
                dt.date(rng.randint(1955, 2008), rng.randint(1, 12), rng.randint(1, 28))
            rows.append({"member_id": mid, "name": person_name(rng), "gender": rng.choice(e["gender"]),
                         "branch": rng.choice(T.BRANCHES), "member_kind": roles.probationary_member if probationary else roles.full_member,
                         "joined_on": joined, "is_worker": roles.yes if i in workers else roles.no})
        return rows

    # ballots ------------------------------------------------------
    def _ballot(self, prefix: str) -> str:
        self.ballot_no += 1
        return f"{prefix}{self.ballot_no:05d}"

    def org_ballots(self) -> list[dict]:
        rows = []
        for form in self.c.forms["org"]:
            if form.source != "unit" or not self.c.expects(self.unit.code, form):
                continue
            for _ in range(self.rng.randint(form.min_ballots + 2, form.min_ballots + 12)):
                row = {"ballot_id": self._ballot("Z"), "form": form.name, "opinion": None}
                for crit in self.c.criteria["org"]:
                    row[crit.code] = pick(self.rng, form.scale, self.quality)
                if self.rng.random() < 0.3:
                    row["opinion"] = self.rng.choice(T.OPINIONS)
                rows.append(row)
        return rows

    def mark_absent(self, roster: list[dict], k: int) -> None:
        """K full members who took no part this round (a 未参评原因, no ballots): the last ones of the roster."""
        full = [m for m in roster if m["member_kind"] == self.c.roles.full_member][1:]  # never the first
        draw = seeded(self.unit.code, "absent")  # its own stream: the other members' draws stay the same
        for m in full[-k:] if k else []:
            m["absence_reason"] = draw.choice(self.c.enums["absence_reason"])

    def member_ballots(self, roster: list[dict]) -> list[dict]:
        rows = []
        for m in roster:
            if m.get("absence_reason"):
                continue
            q = self.member_quality[m["member_id"]]
            for form in self.c.forms["member"]:
                n = form.max_ballots or self.rng.randint(form.min_ballots, form.min_ballots + 3)
                bias = 0.1 if form.role == "self" else 0.0  # people rate themselves higher
                for _ in range(n):
                    row = {"ballot_id": self._ballot("P"), "member_id": m["member_id"], "form": form.name,
                           "opinion": None}
                    for crit in self.c.criteria["member"]:
                        row[crit.code] = pick(self.rng, form.scale, q + bias)
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
            if m.get("absence_reason"):
                grade = grades.not_reviewed_grade
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
            raised = day_between(rng, self.rnd.start, last_raise)
            on_unit = rng.random() < 0.6 or not weak
            subject = self.unit.code if on_unit else rng.choice(weak)
            crit = rng.choice(c.criteria["org" if on_unit else "member"]).name if rng.random() < 0.9 \
                else e["criterion_other"][0]
            deadline = raised + dt.timedelta(days=rng.randint(20, 120))
            row = {"item_id": f"ZG{k + 1:02d}", "raised_on": raised, "source": rng.choice(e["rect_source"]),
                   "subject_id": subject, "criterion": crit, "problem": T.PROBLEMS[crit],
                   "measure": rng.choice(T.MEASURES), "owner": person_name(rng), "deadline": deadline,
                   "status": None, "closed_on": None, "outcome": None, "satisfaction": None}
            closed, reopened = c.rectification.closed_status, c.rectification.reopened_status
            open_ = [s for s in e["rect_status"] if s not in (closed, reopened)]  # 未启动, 整改中: the last is the usual one
            closable = (min(deadline, self.as_of) - raised).days >= 3
            if closable and (deadline < self.as_of and rng.random() < 0.7 or rng.random() < 0.2):
                row["status"] = closed
                row["closed_on"] = day_between(rng, raised + dt.timedelta(days=3), min(deadline, self.as_of))
                row["outcome"] = rng.choice(T.OUTCOMES)
                row["satisfaction"] = rng.choices(e["rect_satisfaction"], weights=[70, 25, 5])[0]
                if rng.random() < 0.05:
                    row["outcome"] = None  # 销号不实: closed without an outcome
            else:
                row["status"] = rng.choices([*open_, reopened], weights=[25] * (len(open_) - 1) + [70, 5])[0]
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
            day = day_between(rng, self.rnd.start, min(req.due, self.as_of))
            rows.append(self._activity(day, req.type))
        others = [t for t in e["activity_type"] if t not in {r.type for r in self.rnd.required_activities}]
        for _ in range(rng.randint(3, 8)):
            rows.append(self._activity(day_between(rng, self.rnd.start, self.as_of), rng.choice(others)))
        rows.sort(key=lambda r: r["held_on"])
        return rows

    def _activity(self, day, kind) -> dict:
        rng = self.rng
        return {"held_on": day, "activity_type": kind, "attendance": rng.randint(8, 120),
                "summary": T.ACTIVITY_SUMMARY.get(kind, T.ACTIVITY_SUMMARY["其他"]),
                "reported": self.c.roles.yes if rng.random() < 0.8 else self.c.roles.no}

    # nominations --------------------------------------------------
    def nominations(self, roster, decisions) -> list[dict]:
        rng, cm = self.rng, self.c.commendation
        rows = []
        if rng.random() < 0.6:
            rows.append({"nomination_kind": cm.org_kind, "subject_id": self.unit.code, "deeds": rng.choice(T.DEEDS)})
        by_grade = {d["member_id"]: d["decided_grade"] for d in decisions}
        excellent = [m["member_id"] for m in roster if by_grade.get(m["member_id"]) == cm.member_grade]
        others = [m["member_id"] for m in roster if m["member_id"] not in excellent]
        picks = excellent[:2]
        if others and rng.random() < 0.3:
            picks = picks[:1] + [rng.choice(others)]  # some nominations do not meet the rules
        for mid in picks:
            rows.append({"nomination_kind": cm.member_kind, "subject_id": mid, "deeds": rng.choice(T.DEEDS)})
        workers = [m["member_id"] for m in roster if m["is_worker"] == self.c.roles.yes]
        if workers and rng.random() < 0.5:
            rows.append({"nomination_kind": cm.worker_kind, "subject_id": rng.choice(workers),
                         "deeds": rng.choice(T.DEEDS)})
        return rows

    def info(self) -> dict:
        filled = max(self.rnd.start, self.as_of - dt.timedelta(days=self.rng.randint(1, 10)))
        return {"unit_code": self.unit.code, "round": self.rnd.code, "filled_by": person_name(self.rng),
                "phone": f"139{self.rng.randint(10000000, 99999999)}", "filled_on": filled}


def tally_rows(campaign: Campaign, ballots: list[dict], group: str) -> list[dict]:
    """The same votes as 得票汇总 rows (票数 and the votes per option, per subject, form and criterion),
    in the order the ballots came; the ballots' 意见建议 on the first criterion's row of each subject and
    form, one a line."""
    key_of = {c.option: c.key for c in campaign.workbooks["unit"].sheet(f"{group}_tallies").option_columns}
    first = campaign.criteria[group][0].name
    out: dict[tuple, dict] = {}
    for b in ballots:
        for crit in campaign.criteria[group]:
            subject = {"member_id": b["member_id"]} if group == "member" else {}
            row = out.setdefault((b.get("member_id"), b["form"], crit.name),
                                 {**subject, "form": b["form"], "criterion": crit.name, "n_ballots": 0})
            row["n_ballots"] += 1
            if b.get(crit.code) is not None:
                key = key_of[b[crit.code]]
                row[key] = row.get(key, 0) + 1
            if crit.name == first and b.get("opinion"):
                row["opinion"] = "\n".join(filter(None, [row.get("opinion"), b["opinion"]]))
    return list(out.values())


def suggested_grades(campaign: Campaign, unit_code: str, roster: list[dict], ballots: list[dict]) -> dict[str, str]:
    """The suggested grade of each member, computed by the pipeline's own scoring from these rows."""
    graded = scoring.unit_member_grades(campaign, unit_code, pd.DataFrame(roster), pd.DataFrame(ballots))
    return dict(zip(graded["member_id"], graded["suggested_grade"]))


def street_submission(campaign: Campaign, rnd: Round, units: list[Unit], qualities: dict, as_of: dt.date, seed) -> Submission:
    rng = seeded(seed, "street")
    form = campaign.form_by_role("org", "street")
    leaders = [person_name(rng) for _ in range(3)]
    rows, n = [], 0
    for unit in units:
        for leader in leaders:
            n += 1
            q = qualities[unit.code]
            row = {"ballot_id": f"J{n:04d}", "unit_code": unit.code, "reviewer": leader,
                   "reviewed_on": day_between(rng, rnd.start, min(rnd.review_due, as_of)),
                   "achievements": rng.choice(T.ACHIEVEMENTS), "problems": None, "suggestions": None}
            for crit in campaign.criteria["org"]:
                row[crit.code] = pick(rng, form.scale, q)
            if q < 0.75 or rng.random() < 0.3:
                row["problems"] = rng.choice(T.REVIEW_PROBLEMS)
                row["suggestions"] = rng.choice(T.SUGGESTIONS)
            rows.append(row)
    filled = max(rnd.start, as_of - dt.timedelta(days=2))
    info = {"round": rnd.code, "filled_by": leaders[0], "phone": "0571-86000000", "filled_on": filled}
    return Submission("street", f"街道党工委组织点评表（{rnd.name}）.xlsx", info, {"street_reviews": rows})
