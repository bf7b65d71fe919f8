"""The campaign as frozen dataclasses: every domain fact the pipeline uses (SPEC §2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path


class CampaignError(Exception):
    """The campaign file is missing, unreadable or inconsistent."""

    def __init__(self, key: str, reason: str):
        self.key, self.reason = key, reason
        super().__init__(f"活动配置文件有误：{key}：{reason}")


@dataclass(frozen=True)
class Option:
    label: str
    points: float | None  # None: a vote that is not scored (不了解)


@dataclass(frozen=True)
class Scale:
    key: str
    name: str
    options: tuple[Option, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(o.label for o in self.options)

    @property
    def scored(self) -> tuple[Option, ...]:
        return tuple(o for o in self.options if o.points is not None)

    @property
    def top2(self) -> tuple[str, ...]:
        return tuple(o.label for o in self.scored[:2])

    @property
    def lowest(self) -> float:
        return min(o.points for o in self.scored)

    @property
    def highest(self) -> float:
        return max(o.points for o in self.scored)

    def points_of(self, label: str) -> float | None:
        return next((o.points for o in self.options if o.label == label), None)

    def label_for_points(self, points: float) -> str | None:
        return next((o.label for o in self.scored if o.points == points), None)


FORM_ROLES = ("street", "public", "upward", "self", "peer", "branch")


@dataclass(frozen=True)
class Form:
    name: str
    group: str  # "org" or "member"
    scale: Scale
    source: str  # "street" or "unit"
    role: str  # one of FORM_ROLES: what the form is, whatever its name
    weight: float
    min_ballots: int
    max_ballots: int | None


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    description: str
    group: str


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str
    lower_orgs: bool = True  # has lower-level organisations: the "upward" review is expected of it


@dataclass(frozen=True)
class RequiredActivity:
    type: str
    due: dt.date


@dataclass(frozen=True)
class Round:
    code: str
    name: str
    start: dt.date
    end: dt.date
    submission_due: dt.date
    review_due: dt.date
    commendation_date: dt.date
    commendation_kind: str  # "regular" or "special"
    required_activities: tuple[RequiredActivity, ...]
    publish_results_on: dt.date  # the results' 公示 starts
    publish_nominees_on: dt.date  # the 拟表彰对象 公示 starts (it ends before commendation_date)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def span(self) -> str:
        """The round and its dates as people read them: 第一阶段（2010-05-20 至 2011-07-31）."""
        return f"{self.name}（{self.start} 至 {self.end}）"


@dataclass(frozen=True)
class Band:
    grade: str
    min: float


@dataclass(frozen=True)
class Veto:
    form: str
    min_rate: float
    grade: str


@dataclass(frozen=True)
class Cap:
    grade: str
    denominator: int
    demote_to: str


@dataclass(frozen=True)
class Grading:
    bands: tuple[Band, ...]
    probationary_grade: str | None = None
    not_reviewed_grade: str | None = None  # a full member without ballots (未参评)
    veto: Veto | None = None
    cap: Cap | None = None

    @property
    def grades(self) -> tuple[str, ...]:
        return tuple(b.grade for b in self.bands)

    def grade_for(self, composite: float) -> str:
        return next(b.grade for b in self.bands if composite >= b.min)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str  # text, id, int, date, enum, rating, phone
    required: bool
    unique: bool
    width: int
    enum: tuple[str, ...] | None = None
    ref: str | None = None  # "roster" or "@subjects"
    min: float | None = None
    max: float | None = None
    criterion: Criterion | None = None
    option: str | None = None  # a tally's count column: the votes for this option
    expect: str | None = None  # 应填: accepted blank, but the rules flag a blank with this code
    note: str = ""  # what to fill in, where a label does not say it (shown with the header)


@dataclass(frozen=True)
class InfoField:
    key: str
    label: str
    type: str
    required: bool
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Sheet:
    key: str
    name: str
    note: str
    columns: tuple[Column, ...]
    optional: bool = False  # a workbook may leave it out (the tallies: units that keep ballot rows)
    # Laid out on the host sheet's rows, sharing its first column (评定结果 beside each member in 党员名册);
    # a workbook of an earlier template that has a sheet called `name` is read from that sheet.
    host: str | None = None

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def rating_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.type == "rating")

    @property
    def option_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.option)


@dataclass(frozen=True)
class WorkbookLayout:
    key: str  # "unit" or "street"
    title: str
    purpose: str
    info: tuple[InfoField, ...]
    sheets: tuple[Sheet, ...]
    how_to: tuple[str, ...] = ()  # 填写方法 lines of the template's instructions

    def sheet(self, key: str) -> Sheet:
        return next(s for s in self.sheets if s.key == key)

    def guests(self, host_key: str) -> tuple[Sheet, ...]:
        """The sheets laid out on the rows of this sheet."""
        return tuple(s for s in self.sheets if s.host == host_key)

    def worksheet_columns(self, key: str) -> tuple[Column, ...]:
        """The columns of the worksheet that holds this sheet, in template order: a host sheet's own
        columns, then each guest's columns that the host does not already have."""
        sheet = self.sheet(key)
        host = self.sheet(sheet.host) if sheet.host else sheet
        keys = {c.key for c in host.columns}
        extra = [c for g in self.guests(host.key) for c in g.columns if c.key not in keys]
        return host.columns + tuple(extra)

    def worksheet_name(self, key: str) -> str:
        sheet = self.sheet(key)
        return self.sheet(sheet.host).name if sheet.host else sheet.name


@dataclass(frozen=True)
class Roles:
    """What a value means, named instead of implied by its place in a list (SPEC §2)."""
    full_member: str  # the enums.member_kind value that is graded and counted in the cap (正式党员)
    probationary_member: str  # the one that is not (预备党员)
    yes: str  # enums.yes_no
    no: str


@dataclass(frozen=True)
class Rectification:
    """整改: the flags' parameters and the statuses and answers they read."""
    due_soon_days: int
    low_score_threshold: float  # a criterion score below this needs an item
    low_grades: frozenset[str]  # suggested member grades that need an item
    closed_status: str  # 已销号
    reopened_status: str  # 复号
    unsatisfied: str  # the 群众满意度 answer that makes a closed item a false close


@dataclass(frozen=True)
class Commendation:
    """表彰: the kinds (values of enums.nomination_kind), each kind's quota, the grades a nominee needs."""
    quota_per_unit: dict[str, int]
    org_kind: str
    member_kind: str
    worker_kind: str
    org_grade: str
    member_grade: str
    special_floor_grade: str  # 专项表彰: never below this in any round


@dataclass(frozen=True)
class Supervision:
    """督查: the random spot check."""
    spot_check_units_per_kind: int
    spot_check_closed_items: int
    spot_check_seed: str


@dataclass(frozen=True)
class Documents:
    """The documents the 党办 issues (情况通报): who issues them, the 发文字号's prefix, to whom they go and are
    copied (版记), and each flag in plain words (flag code -> phrase)."""
    issuer: str
    number_prefix: str
    recipients: str
    copies_to: str
    printer: str
    phrases: dict[str, str]


@dataclass(frozen=True)
class Publication:
    """公示 (在一定范围内): the decided grades a unit's own notice lists and those the street-wide notice names,
    whether 预备党员 are listed (without a grade), how long each 公示 runs, who takes opinions."""
    grades: tuple[str, ...]
    street_grades: tuple[str, ...]
    list_probationary: bool
    days: int
    nominee_days: int
    office: str
    contact: str
    phone: str

    def period(self, start: dt.date) -> tuple[dt.date, dt.date]:
        """The results' 公示期 from its first day, both days included."""
        return start, start + dt.timedelta(days=self.days - 1)

    def nominee_period(self, rnd: "Round") -> tuple[dt.date, dt.date]:
        return rnd.publish_nominees_on, rnd.publish_nominees_on + dt.timedelta(days=self.nominee_days - 1)


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_uncompressed_bytes: int
    max_rows: int
    max_cols: int
    template_rows: int
    preview_rows: int


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    street: str
    organiser: str
    template_version: str
    template_versions: tuple[str, ...]  # every released version of this campaign's templates, oldest first
    rounds: tuple[Round, ...]
    units: tuple[Unit, ...]
    criteria: dict[str, tuple[Criterion, ...]]
    criteria_titles: dict[str, str]  # group -> its name (五个好 / 五带头)
    scales: dict[str, Scale]
    forms: dict[str, tuple[Form, ...]]
    trim: int
    decimals: int
    grades: dict[str, Grading]
    roles: Roles
    rectification: Rectification
    commendation: Commendation
    supervision: Supervision
    limits: Limits
    enums: dict[str, tuple[str, ...]]
    aliases: dict[str, str]
    workbooks: dict[str, WorkbookLayout]
    outputs: dict[str, str]  # output key -> its title (汇总报告 / 公示名单 / 情况通报)
    publication: Publication
    documents: Documents
    source: Path = field(default=Path("campaign.toml"), compare=False)

    def round(self, code: str) -> Round:
        return next(r for r in self.rounds if r.code == code)

    def round_before(self, code: str) -> Round | None:
        """The round before `code` in the campaign's order; None for the first."""
        i = [r.code for r in self.rounds].index(code)
        return self.rounds[i - 1] if i else None

    def unit(self, code: str) -> Unit:
        return next(u for u in self.units if u.code == code)

    def expects(self, unit_code: str, form: Form) -> bool:
        """Whether a unit is expected to have ballots of an org form: the upward review needs lower-level
        organisations to give it."""
        unit = next((u for u in self.units if u.code == unit_code), None)
        return form.role != "upward" or unit is None or unit.lower_orgs

    def unit_name(self, code: str, default: str = "") -> str:
        """The unit's name, or `default` for a code that is not in the campaign."""
        return self._unit_names.get(code, default)

    @cached_property
    def _unit_names(self) -> dict[str, str]:
        return {u.code: u.name for u in self.units}

    def form(self, group: str, name: str) -> Form:
        return next(f for f in self.forms[group] if f.name == name)

    def form_by_role(self, group: str, role: str) -> Form | None:
        return next((f for f in self.forms[group] if f.role == role), None)

    def tally_options(self, group: str) -> tuple[tuple[str, str], ...]:
        """(column key, option label) of each count a group's tally (得票汇总) carries: the options of the
        group's forms that units fill in."""
        return tuple((c.key, c.option) for c in self.workbooks["unit"].sheet(f"{group}_tallies").option_columns)

    def round_for(self, day: dt.date) -> Round | None:
        return next((r for r in self.rounds if r.contains(day)), None)
