"""Read `campaign.toml` into the model; refuse a bad file with the key and the reason."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

from pipeline.campaign import layouts as _layouts
from pipeline.campaign.layouts import workbooks as _workbooks
from pipeline.campaign import sections
from pipeline.findings import FLAG_CODES
from pipeline.campaign.parsing import date as _date, get as _get, known as _known, unique as _unique
from pipeline.campaign.model import (FORM_ROLES, Band, Campaign, CampaignError, Cap, Criterion, Form, Grading,
                                     Option, RequiredActivity, Round, Scale, Unit, Veto)

# The sections of campaign.toml and the keys each may hold: a key the program does not know is refused.
SECTIONS = ("campaign", "rounds", "units", "criteria", "scales", "forms", "weights", "scoring", "grades", "roles",
            "rectification", "commendation", "supervision", "outputs", "publication", "documents", "limits", "enums",
            "aliases",
            "workbooks")
_HEAD = ("id", "name", "street", "organiser", "template_version", "earlier_template_versions", "criteria_titles")
_ROUND = ("code", "name", "start", "end", "submission_due", "review_due", "commendation_date", "commendation_kind",
          "required_activities", "publish_results_on", "publish_nominees_on")
_FORM = ("name", "role", "scale", "source", "min_ballots", "max_ballots")
# Members: bands, the two grades outside them, and the optional veto and cap; organisations: bands only.
_GRADING = {"member": ("bands", "probationary_grade", "not_reviewed_grade", "veto", "cap"), "org": ("bands",)}
# The lists the program itself reads (beside those the workbook columns name).
_ENUMS = ("gender", "member_kind", "yes_no", "rect_source", "rect_status", "rect_satisfaction", "activity_type",
          "nomination_kind", "criterion_other", "unit_kind")


def _rounds(raw) -> tuple[Round, ...]:
    items = _get(raw, "rounds", "", list)
    if not items:
        raise CampaignError("rounds", "至少需要一个评议阶段")
    rounds = []
    for i, r in enumerate(items):
        p = f"rounds[{i}]"
        _known(r, _ROUND, p)
        start, end = _date(r, "start", p), _date(r, "end", p)
        if start > end:
            raise CampaignError(f"{p}.end", "结束日期早于开始日期")
        kind = _get(r, "commendation_kind", p, str)
        if kind not in ("regular", "special"):
            raise CampaignError(f"{p}.commendation_kind", "应为 regular 或 special")
        for j, a in enumerate(r.get("required_activities", [])):
            _known(a, ("type", "due"), f"{p}.required_activities[{j}]")
        acts = tuple(
            RequiredActivity(_get(a, "type", f"{p}.required_activities[{j}]", str),
                             _date(a, "due", f"{p}.required_activities[{j}]"))
            for j, a in enumerate(r.get("required_activities", [])))
        rounds.append(Round(
            code=_get(r, "code", p, str), name=_get(r, "name", p, str), start=start, end=end,
            submission_due=_date(r, "submission_due", p), review_due=_date(r, "review_due", p),
            commendation_date=_date(r, "commendation_date", p), commendation_kind=kind,
            required_activities=acts, publish_results_on=_date(r, "publish_results_on", p),
            publish_nominees_on=_date(r, "publish_nominees_on", p)))
    _unique([r.code for r in rounds], "rounds", "阶段编码")
    ordered = sorted(rounds, key=lambda r: r.start)
    for a, b in zip(ordered, ordered[1:]):
        if b.start <= a.end:
            raise CampaignError("rounds", f"阶段 {a.code} 与 {b.code} 的日期重叠")
    return tuple(rounds)


def _units(raw, kinds) -> tuple[Unit, ...]:
    items = _get(raw, "units", "", list)
    if not items:
        raise CampaignError("units", "至少需要一个单位")
    units = []
    for i, u in enumerate(items):
        p = f"units[{i}]"
        _known(u, ("code", "name", "kind", "lower_orgs"), p)
        kind = _get(u, "kind", p, str)
        if kind not in kinds:
            raise CampaignError(f"{p}.kind", f"单位类别“{kind}”不在 enums.unit_kind 中")
        lower = u.get("lower_orgs", True)
        if not isinstance(lower, bool):
            raise CampaignError(f"{p}.lower_orgs", "应为 true 或 false")
        units.append(Unit(_get(u, "code", p, str).strip(), _get(u, "name", p, str).strip(), kind, lower))
    _unique([u.code for u in units], "units", "单位编码")
    _unique([u.name for u in units], "units", "单位名称")
    return tuple(units)


def _criteria(raw) -> dict[str, tuple[Criterion, ...]]:
    section = _get(raw, "criteria", "", dict)
    _known(section, ("org", "member"), "criteria")
    out = {}
    for group in ("org", "member"):
        items = _get(section, group, "criteria", list)
        for i, c in enumerate(items):
            _known(c, ("code", "name", "description"), f"criteria.{group}[{i}]")
        if not items:
            raise CampaignError(f"criteria.{group}", "至少需要一项标准")
        crits = tuple(Criterion(_get(c, "code", f"criteria.{group}[{i}]", str),
                                _get(c, "name", f"criteria.{group}[{i}]", str),
                                _get(c, "description", f"criteria.{group}[{i}]", str), group)
                      for i, c in enumerate(items))
        _unique([c.code for c in crits], f"criteria.{group}", "标准编码")
        _unique([c.name for c in crits], f"criteria.{group}", "标准名称")
        out[group] = crits
    return out


def _scales(raw) -> dict[str, Scale]:
    section = _get(raw, "scales", "", dict)
    if not section:
        raise CampaignError("scales", "至少需要一个测评量表")
    scales = {}
    for key, s in section.items():
        p = f"scales.{key}"
        _known(s, ("name", "options"), p)
        options = []
        for i, o in enumerate(_get(s, "options", p, list)):
            options.append(_option(o, f"{p}.options[{i}]"))
        scored = [o.points for o in options if o.points is not None]
        if len(scored) < 2:
            raise CampaignError(f"{p}.options", "至少需要两个计分选项")
        _unique([o.label for o in options], f"{p}.options", "选项")
        _unique(scored, f"{p}.options", "分值")
        if scored != sorted(scored, reverse=True):
            raise CampaignError(f"{p}.options", "计分选项应按分值从高到低排列（最好的在前）")
        scales[key] = Scale(key, _get(s, "name", p, str), tuple(options))
    used = {f.get("scale") for g in _get(raw, "forms", "", dict).values() if isinstance(g, list) for f in g
            if isinstance(f, dict)}
    for key in scales:
        if key not in used:
            raise CampaignError(f"scales.{key}", "没有任何评议方式使用这个量表（名称拼写有误？）")
    return scales


def _option(o: dict, path: str) -> Option:
    """An option scores `points`, or says `scored = false` (不了解): never scored by leaving points out."""
    _known(o, ("label", "points", "scored"), path)
    label = _get(o, "label", path, str)
    if o.get("scored", True) is not False and "scored" in o:
        raise CampaignError(f"{path}.scored", "只能写 scored = false（不计分的选项）；计分的选项写 points")
    if "scored" in o:
        if "points" in o:
            raise CampaignError(f"{path}.points", "scored = false 的选项不能有分值")
        return Option(label, None)
    if "points" not in o:
        raise CampaignError(f"{path}.points", "缺少此项（不计分的选项请写 scored = false）")
    points = _get(o, "points", path, (int, float))
    if isinstance(points, bool):
        raise CampaignError(f"{path}.points", "分值应为数字")
    return Option(label, points)


def _forms(raw, scales) -> dict[str, tuple[Form, ...]]:
    section = _get(raw, "forms", "", dict)
    weights = _get(raw, "weights", "", dict)
    _known(section, ("org", "member"), "forms")
    _known(weights, ("org", "member"), "weights")
    out = {}
    for group in ("org", "member"):
        items = _get(section, group, "forms", list)
        for i, f in enumerate(items):
            _known(f, _FORM, f"forms.{group}[{i}]")
        w = _get(weights, group, "weights", dict)
        names = [_get(f, "name", f"forms.{group}[{i}]", str) for i, f in enumerate(items)]
        _unique(names, f"forms.{group}", "评议方式")
        for name, value in w.items():
            if name not in names:
                raise CampaignError(f"weights.{group}.{name}", f"未知的评议方式（forms.{group} 中没有“{name}”）")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise CampaignError(f"weights.{group}.{name}", "权重应为不小于 0 的数字")
        for name in names:
            if name not in w:
                raise CampaignError(f"weights.{group}", f"缺少评议方式“{name}”的权重")
        total = sum(w.values())
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise CampaignError(f"weights.{group}", f"权重之和应为 1，现为 {total:.12g}")
        forms = []
        for i, f in enumerate(items):
            p = f"forms.{group}[{i}]"
            scale = _get(f, "scale", p, str)
            if scale not in scales:
                raise CampaignError(f"{p}.scale", f"未知的量表“{scale}”")
            source = _get(f, "source", p, str)
            if source not in ("street", "unit"):
                raise CampaignError(f"{p}.source", "应为 street 或 unit")
            role = _get(f, "role", p, str)
            if role not in FORM_ROLES:
                raise CampaignError(f"{p}.role", f"应为 {'、'.join(FORM_ROLES)} 之一")
            lo, hi = _get(f, "min_ballots", p, int), f.get("max_ballots")
            if hi is not None and (not isinstance(hi, int) or hi < lo):
                raise CampaignError(f"{p}.max_ballots", "应为不小于 min_ballots 的整数")
            forms.append(Form(names[i], group, scales[scale], source, role, float(w[names[i]]), lo, hi))
        _unique([f.role for f in forms], f"forms.{group}", "评议方式的 role")
        out[group] = tuple(forms)
    return out


def _grading(raw, group: str) -> Grading:
    p = f"grades.{group}"
    section = _get(_get(raw, "grades", "", dict), group, "grades", dict)
    _known(section, _GRADING[group], p)
    bands = []
    for i, b in enumerate(_get(section, "bands", p, list)):
        _known(b, ("grade", "min"), f"{p}.bands[{i}]")
        value = _get(b, "min", f"{p}.bands[{i}]", (int, float))
        bands.append(Band(_get(b, "grade", f"{p}.bands[{i}]", str), float(value)))
    if not bands:
        raise CampaignError(f"{p}.bands", "至少需要一个等次")
    _unique([b.grade for b in bands], f"{p}.bands", "等次")
    for a, b in zip(bands, bands[1:]):
        if b.min >= a.min:
            raise CampaignError(f"{p}.bands", f"等次分数线应从高到低且不重叠：“{a.grade}”≥{a.min:g} 与 “{b.grade}”≥{b.min:g}")
    if bands[-1].min > 0:
        raise CampaignError(f"{p}.bands", "最低一档的分数线应为 0，使每个得分都有等次")
    grades = [b.grade for b in bands]
    veto = cap = None
    if "veto" in section:
        v = section["veto"]
        _known(v, ("form", "min_rate", "grade"), f"{p}.veto")
        veto = Veto(_get(v, "form", f"{p}.veto", str), float(_get(v, "min_rate", f"{p}.veto", (int, float))),
                    _get(v, "grade", f"{p}.veto", str))
        if veto.grade not in grades:
            raise CampaignError(f"{p}.veto.grade", f"“{veto.grade}”不是本组的等次")
        if not 0 <= veto.min_rate <= 1:
            raise CampaignError(f"{p}.veto.min_rate", "应在 0 到 1 之间")
    if "cap" in section:
        c = section["cap"]
        _known(c, ("grade", "denominator", "demote_to"), f"{p}.cap")
        cap = Cap(_get(c, "grade", f"{p}.cap", str), _get(c, "denominator", f"{p}.cap", int),
                  _get(c, "demote_to", f"{p}.cap", str))
        for key in ("grade", "demote_to"):
            if getattr(cap, key) not in grades:
                raise CampaignError(f"{p}.cap.{key}", f"“{getattr(cap, key)}”不是本组的等次")
        if cap.denominator < 1:
            raise CampaignError(f"{p}.cap.denominator", "应为正整数")
    extra = {}
    for key in _GRADING[group][1:3]:
        extra[key] = _get(section, key, p, str)
        if extra[key] in grades:
            raise CampaignError(f"{p}.{key}", f"“{extra[key]}”与 bands 中的等次重名")
    probationary, not_reviewed = extra.get("probationary_grade"), extra.get("not_reviewed_grade")
    return Grading(tuple(bands), probationary, not_reviewed, veto, cap)


def _enums(raw, rounds, units, criteria, forms, grades) -> dict[str, tuple[str, ...]]:
    section = _get(raw, "enums", "", dict)
    enums = {}
    for key, values in section.items():
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise CampaignError(f"enums.{key}", "应为非空的文字列表")
        _unique(values, f"enums.{key}", "选项")
        enums[key] = tuple(values)
    for key in _ENUMS:
        _get(section, key, "enums")
    member = grades["member"]
    enums.update({
        "@units": tuple(u.code for u in units),
        "@rounds": tuple(r.code for r in rounds),
        "@org_unit_forms": tuple(f.name for f in forms["org"] if f.source == "unit"),
        "@member_forms": tuple(f.name for f in forms["member"]),
        "@member_grades_decided": member.grades + tuple(g for g in (member.probationary_grade, member.not_reviewed_grade)
                                                        if g),
        "@org_criteria": tuple(c.name for c in criteria["org"]),
        "@member_criteria": tuple(c.name for c in criteria["member"]),
        "@criteria_any": tuple(c.name for g in ("org", "member") for c in criteria[g]) + enums["criterion_other"],
    })
    return enums


def _check_enums_used(enums: dict, raw_workbooks: dict) -> None:
    """An option list nothing reads is a misspelt name (checked once the columns that name lists are read)."""
    fields = [f for wb in raw_workbooks.values() for f in wb["info"]] + \
        [c for wb in raw_workbooks.values() for s in wb["sheets"] for c in s["columns"]]
    named = set(_ENUMS) | {f["enum"] for f in fields if "enum" in f}
    for key in enums:
        if not key.startswith("@") and key not in named:
            raise CampaignError(f"enums.{key}", "没有任何地方使用这个选项列表（名称拼写有误？）")


def _aliases(raw, enums) -> dict[str, str]:
    out = {}
    values = {v for key, vs in enums.items() if not key.startswith("@") for v in vs}
    for canonical, variants in raw.get("aliases", {}).items():
        if not isinstance(variants, list):
            raise CampaignError(f"aliases.{canonical}", "应为文字列表")
        if canonical not in values:
            raise CampaignError(f"aliases.{canonical}", f"“{canonical}”不是 enums 中任何列表的选项")
        for v in variants:
            out[str(v).upper()] = canonical
    return out


def _titles(head: dict, criteria) -> dict[str, str]:
    titles = _get(head, "criteria_titles", "campaign", dict)
    _known(titles, tuple(criteria), "campaign.criteria_titles")
    for group in criteria:
        _get(titles, group, "campaign.criteria_titles", str)
    return dict(titles)


def version_key(version: str) -> tuple[int, ...]:
    """"1.10" -> (1, 10): template versions compare as numbers, part by part."""
    return tuple(int(p) for p in version.split("."))


def _template_versions(head: dict) -> tuple[str, ...]:
    """The released template versions, oldest first, ending with the current `template_version`."""
    current = _get(head, "template_version", "campaign", str)
    earlier = head.get("earlier_template_versions", [])
    if not isinstance(earlier, list) or not all(isinstance(v, str) for v in earlier):
        raise CampaignError("campaign.earlier_template_versions", "应为版本号文字列表，如 [\"1.0\"]")
    versions = (*earlier, current)
    for key, v in [("campaign.earlier_template_versions", v) for v in earlier] + [("campaign.template_version", current)]:
        if not re.fullmatch(r"\d+(\.\d+)*", v):
            raise CampaignError(key, f"“{v}”不是版本号（应为 1.0、2.1 这样的数字）")
    if [version_key(v) for v in versions] != sorted({version_key(v) for v in versions}):
        raise CampaignError("campaign.earlier_template_versions", "应按从旧到新排列，且都早于 template_version")
    return versions


def parse(raw: dict, source: Path = Path("campaign.toml")) -> Campaign:
    """Turn the parsed TOML into a Campaign, checking every cross-reference."""
    _known(raw, SECTIONS, "")
    head = _get(raw, "campaign", "", dict)
    _known(head, _HEAD, "campaign")
    _layouts.check_keys(raw)
    _known(_get(raw, "grades", "", dict), ("org", "member"), "grades")
    rounds = _rounds(raw)
    kinds = tuple(_get(_get(raw, "enums", "", dict), "unit_kind", "enums", list))
    units = _units(raw, kinds)
    criteria = _criteria(raw)
    scales = _scales(raw)
    forms = _forms(raw, scales)
    grades = {"member": _grading(raw, "member"), "org": _grading(raw, "org")}
    veto = grades["member"].veto
    if veto and veto.form not in [f.name for f in forms["member"]]:
        raise CampaignError("grades.member.veto.form", f"未知的评议方式“{veto.form}”")
    scoring = _get(raw, "scoring", "", dict)
    _known(scoring, ("trim", "decimals"), "scoring")
    trim = _get(scoring, "trim", "scoring", int)
    if trim < 0:
        raise CampaignError("scoring.trim", "应为不小于 0 的整数")
    enums = _enums(raw, rounds, units, criteria, forms, grades)
    versions = _template_versions(head)
    member_grades = grades["member"].grades
    workbooks = _workbooks(raw, criteria, forms, enums)
    _check_enums_used(enums, raw["workbooks"])
    rectification = sections.rectification(raw, enums, member_grades)
    return Campaign(
        id=_get(head, "id", "campaign", str), name=_get(head, "name", "campaign", str),
        street=_get(head, "street", "campaign", str), organiser=_get(head, "organiser", "campaign", str),
        template_version=versions[-1], template_versions=versions,
        rounds=rounds, units=units, criteria=criteria, criteria_titles=_titles(head, criteria), scales=scales, forms=forms, trim=trim,
        decimals=_get(scoring, "decimals", "scoring", int), grades=grades,
        roles=sections.roles(raw, enums), rectification=rectification,
        commendation=sections.commendation(raw, enums, grades), supervision=sections.supervision(raw),
        limits=sections.limits(raw), enums=enums, aliases=_aliases(raw, enums),
        workbooks=workbooks, outputs=sections.outputs(raw),
        publication=sections.publication(raw, enums["@member_grades_decided"], rounds, grades["member"],
                                         rectification.low_grades),
        documents=sections.documents(raw, FLAG_CODES),
        source=source)


def load(path: str | Path) -> Campaign:
    """Read and check a campaign file."""
    path = Path(path)
    try:
        # utf-8-sig: Windows Notepad saves with a byte-order mark; CRLF line ends are read as LF.
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise CampaignError(str(path), "找不到活动配置文件") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CampaignError(str(path), f"无法解析（{e}）") from None
    return parse(raw, path)
