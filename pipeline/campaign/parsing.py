"""Reading values out of the parsed TOML: the key's path and a Chinese reason when one is missing or wrong."""

from __future__ import annotations

import datetime as dt

from pipeline.campaign.model import CampaignError


def get(d: dict, key: str, path: str, kind: type | tuple = object):
    if not isinstance(d, dict) or key not in d:
        raise CampaignError(f"{path}.{key}" if path else key, "缺少此项")
    value = d[key]
    if kind is not object and not isinstance(value, kind):
        raise CampaignError(f"{path}.{key}" if path else key, f"类型不对（应为{_kind_name(kind)}）")
    return value


def _kind_name(kind) -> str:
    names = {str: "文字", int: "整数", float: "数字", list: "列表", dict: "表", dt.date: "日期", bool: "是/否"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return "或".join(names.get(k, k.__name__) for k in kinds)


def date(d: dict, key: str, path: str) -> dt.date:
    value = get(d, key, path)
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise CampaignError(f"{path}.{key}", "应为日期，例如 2010-07-31")
    return value


def unique(items, path: str, what: str) -> None:
    seen = set()
    for item in items:
        if item in seen:
            raise CampaignError(path, f"{what}“{item}”重复")
        seen.add(item)


def known(d: dict, allowed, path: str) -> None:
    """Refuse a key the program does not know: a misspelt key would otherwise be ignored in silence."""
    for key in d:
        if key not in allowed:
            raise CampaignError(f"{path}.{key}" if path else str(key),
                                f"未知的配置项（此处可用：{'、'.join(allowed)}）")


def member_of(value, allowed, path: str, what: str) -> None:
    """A value that names one of a list elsewhere in the file (a status, a grade, a kind)."""
    if value not in allowed:
        raise CampaignError(path, f"“{value}”不是{what}（可选：{'、'.join(map(str, allowed))}）")
