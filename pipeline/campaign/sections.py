"""The flat sections of campaign.toml ([roles], [rectification], [commendation], [supervision], [outputs],
[publication], [limits]): each typed, each key required unless it has a stated default, each value that
names something elsewhere in the file checked against it."""

from __future__ import annotations

from pipeline.campaign.model import (CampaignError, Commendation, Documents, Limits, Publication, Rectification,
                                     Roles, Supervision)
from pipeline.campaign.parsing import get as _get, known as _known, member_of as _member_of, unique as _unique


def _number(section: dict, key: str, path: str, lowest: float = 0, whole: bool = True):
    value = _get(section, key, path, int if whole else (int, float))
    if isinstance(value, bool) or value < lowest:
        raise CampaignError(f"{path}.{key}", f"应为不小于 {lowest:g} 的{'整数' if whole else '数字'}")
    return value


def roles(raw, enums: dict) -> Roles:
    s = _get(raw, "roles", "", dict)
    _known(s, Roles.__dataclass_fields__, "roles")
    where = {"full_member": "member_kind", "probationary_member": "member_kind", "yes": "yes_no", "no": "yes_no"}
    values = {k: _get(s, k, "roles", str) for k in where}
    for key, enum in where.items():
        _member_of(values[key], enums[enum], f"roles.{key}", f"enums.{enum} 中的选项")
    for a, b in (("full_member", "probationary_member"), ("yes", "no")):
        if values[a] == values[b]:
            raise CampaignError(f"roles.{b}", f"不能与 roles.{a} 相同")
    return Roles(**values)


def _names(section: dict, key: str, path: str, allowed, what: str) -> list:
    """A list whose every value names one of `allowed` (grades, statuses...)."""
    values = _get(section, key, path, list)
    for v in values:
        _member_of(v, allowed, f"{path}.{key}", what)
    return values


def rectification(raw, enums: dict, member_grades: tuple[str, ...]) -> Rectification:
    p = "rectification"
    s = _get(raw, p, "", dict)
    _known(s, Rectification.__dataclass_fields__, p)
    low = _names(s, "low_grades", p, member_grades, "党员的等次")
    out = Rectification(
        due_soon_days=_number(s, "due_soon_days", p), low_score_threshold=float(_number(s, "low_score_threshold", p,
                                                                                       whole=False)),
        low_grades=frozenset(low), closed_status=_get(s, "closed_status", p, str),
        reopened_status=_get(s, "reopened_status", p, str), unsatisfied=_get(s, "unsatisfied", p, str))
    _member_of(out.closed_status, enums["rect_status"], f"{p}.closed_status", "enums.rect_status 中的整改状态")
    _member_of(out.reopened_status, enums["rect_status"], f"{p}.reopened_status", "enums.rect_status 中的整改状态")
    if out.closed_status == out.reopened_status:
        raise CampaignError(f"{p}.reopened_status", "不能与 closed_status 相同")
    _member_of(out.unsatisfied, enums["rect_satisfaction"], f"{p}.unsatisfied", "enums.rect_satisfaction 中的选项")
    return out


def commendation(raw, enums: dict, grades: dict) -> Commendation:
    p = "commendation"
    s = _get(raw, p, "", dict)
    _known(s, Commendation.__dataclass_fields__, p)
    kinds = enums["nomination_kind"]
    quota = _get(s, "quota_per_unit", p, dict)
    for kind, n in quota.items():
        _member_of(kind, kinds, f"{p}.quota_per_unit.{kind}", "enums.nomination_kind 中的推荐类别")
        _number(quota, kind, f"{p}.quota_per_unit")
    out = Commendation(quota_per_unit=dict(quota), **{k: _get(s, k, p, str) for k in (
        "org_kind", "member_kind", "worker_kind", "org_grade", "member_grade", "special_floor_grade")})
    for key in ("org_kind", "member_kind", "worker_kind"):
        _member_of(getattr(out, key), kinds, f"{p}.{key}", "enums.nomination_kind 中的推荐类别")
        if getattr(out, key) not in quota:
            raise CampaignError(f"{p}.quota_per_unit", f"缺少“{getattr(out, key)}”的名额")
    _unique([out.org_kind, out.member_kind, out.worker_kind], p, "表彰的类别")
    _member_of(out.org_grade, grades["org"].grades, f"{p}.org_grade", "组织的等次")
    for key in ("member_grade", "special_floor_grade"):
        _member_of(getattr(out, key), grades["member"].grades, f"{p}.{key}", "党员的等次")
    return out


def supervision(raw) -> Supervision:
    p = "supervision"
    s = _get(raw, p, "", dict)
    _known(s, Supervision.__dataclass_fields__, p)
    return Supervision(_number(s, "spot_check_units_per_kind", p), _number(s, "spot_check_closed_items", p),
                       _get(s, "spot_check_seed", p, str))


def limits(raw) -> Limits:
    s = _get(raw, "limits", "", dict)
    _known(s, Limits.__dataclass_fields__, "limits")
    values = {k: _get(s, k, "limits", int) for k in Limits.__dataclass_fields__}
    for k, v in values.items():
        if v <= 0:
            raise CampaignError(f"limits.{k}", "应为正整数")
    return Limits(**values)


OUTPUTS = ("report", "publication", "briefing", "notice", "nominee_notice", "detail")


def outputs(raw) -> dict[str, str]:
    section = _get(raw, "outputs", "", dict)
    _known(section, OUTPUTS, "outputs")
    out = {k: _get(section, k, "outputs", str).strip() for k in OUTPUTS}
    for k, v in out.items():
        if not v or any(ch in v for ch in '\\/:*?"<>|'):
            raise CampaignError(f"outputs.{k}", "应为可作文件名的标题（不含 \\ / : * ? \" < > |）")
    _unique(list(out.values()), "outputs", "标题")
    return out


def publication(raw, decided: tuple[str, ...], rounds, grading, low_grades) -> Publication:
    """[publication]: a unit's notice lists its own members; the street-wide one never names a low grade, and
    no notice singles out 预备党员 by the grade they are not given."""
    p = "publication"
    section = _get(raw, p, "", dict)
    _known(section, Publication.__dataclass_fields__, p)
    what = "党员的评定等次（grades.member 的 bands、not_reviewed_grade）"
    grades = {k: _names(section, k, p, decided, what) for k in ("grades", "street_grades")}
    for key, values in grades.items():
        if grading.probationary_grade in values:
            raise CampaignError(f"{p}.{key}", f"不能列出“{grading.probationary_grade}”（预备党员不定等次，公示时不单独标出；"
                                "是否列出预备党员见 list_probationary）")
    low = [g for g in grades["street_grades"] if g in low_grades]
    if low:
        raise CampaignError(f"{p}.street_grades", f"全街道的公示不能点名“{'、'.join(low)}”的党员（只在本单位公示）")
    days = {}
    for key in ("days", "nominee_days"):
        days[key] = _get(section, key, p, int)
        if isinstance(days[key], bool) or not 1 <= days[key] <= 60:
            raise CampaignError(f"{p}.{key}", "公示天数应为 1 到 60 之间的整数")
    text = {k: _get(section, k, p, str).strip() for k in ("office", "contact", "phone")}
    for k, v in text.items():
        if not v:
            raise CampaignError(f"{p}.{k}", "不能为空（公示须写明联系人和电话）")
    out = Publication(tuple(grades["grades"]), tuple(grades["street_grades"]),
                      _get(section, "list_probationary", p, bool), days["days"], days["nominee_days"], **text)
    for i, rnd in enumerate(rounds):
        end = out.nominee_period(rnd)[1]
        if end >= rnd.commendation_date:
            raise CampaignError(f"rounds[{i}].publish_nominees_on", f"拟表彰对象公示到 {end} 才结束，应在表彰日期 "
                                f"{rnd.commendation_date} 之前结束（或减少 publication.nominee_days）")
    return out


def documents(raw, flag_codes) -> Documents:
    """[documents]: the 通报's issuer, 发文字号 prefix, 主送 and 抄送, and a plain phrase for every flag."""
    p = "documents"
    s = _get(raw, p, "", dict)
    _known(s, Documents.__dataclass_fields__, p)
    values = {k: _get(s, k, p, str).strip() for k in Documents.__dataclass_fields__ if k != "phrases"}
    for k, v in values.items():
        if not v:
            raise CampaignError(f"{p}.{k}", "不能为空")
    phrases = _get(s, "phrases", p, dict)
    _known(phrases, flag_codes, f"{p}.phrases")
    values["phrases"] = {code: _get(phrases, code, f"{p}.phrases", str).strip() for code in flag_codes}
    for code, phrase in values["phrases"].items():
        if not phrase:
            raise CampaignError(f"{p}.phrases.{code}", "不能为空")
    return Documents(**values)
