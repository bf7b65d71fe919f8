"""The two workbook layouts of campaign.toml ([workbooks.unit], [workbooks.street]): info fields, sheets
and columns, with the columns a campaign derives (one rating column per criterion, one count column per
option of a tally)."""

from __future__ import annotations

from pipeline.campaign.model import CampaignError, Column, InfoField, Sheet, WorkbookLayout
from pipeline.campaign.parsing import get as _get, known as _known, unique as _unique
from pipeline.findings import FLAG_CODES


_COLUMN_TYPES = {"text", "id", "int", "date", "enum", "rating", "phone", "preview"}
_WORKBOOK = ("title", "purpose", "how_to", "info", "sheets")
_INFO = ("key", "label", "type", "enum", "required")
_SHEET = ("key", "name", "note", "optional", "host", "columns")
_COLUMN = ("key", "label", "type", "enum", "required", "unique", "ref", "min", "max", "width", "criteria", "options",
           "expect", "note")


def workbooks(raw, criteria, forms, enums) -> dict[str, WorkbookLayout]:
    section = _get(raw, "workbooks", "", dict)
    out = {}
    for key in ("unit", "street"):
        wb = _get(section, key, "workbooks", dict)
        p = f"workbooks.{key}"
        source = "street" if key == "street" else "unit"
        info = []
        for i, f in enumerate(_get(wb, "info", p, list)):
            ip = f"{p}.info[{i}]"
            ftype, enum = _typed(f, enums, ip)
            info.append(InfoField(_get(f, "key", ip, str), _get(f, "label", ip, str), ftype,
                                  bool(f.get("required", False)), enum))
        sheets = []
        for i, s in enumerate(_get(wb, "sheets", p, list)):
            sp = f"{p}.sheets[{i}]"
            columns = []
            for j, c in enumerate(_get(s, "columns", sp, list)):
                cp = f"{sp}.columns[{j}]"
                if "criteria" in c or "options" in c:
                    group = c.get("criteria", c.get("options"))
                    _get(c, "key", cp, str)
                    if group not in criteria:
                        raise CampaignError(f"{cp}.{'criteria' if 'criteria' in c else 'options'}", "应为 org 或 member")
                    labels = []
                    for form in forms[group]:
                        if form.source == source:
                            labels += [lab for lab in form.scale.labels if lab not in labels]
                    if "options" in c:  # a tally: one count column per option of the group's forms
                        columns += [Column(f"n{k}", lab, "int", False, False, int(c.get("width", 9)), min=0,
                                           max=100000, option=lab) for k, lab in enumerate(labels, start=1)]
                        continue
                    for crit in criteria[group]:
                        columns.append(Column(crit.code, crit.name, "rating", bool(c.get("required", True)), False,
                                              int(c.get("width", 11)), tuple(labels), criterion=crit))
                    continue
                ctype, enum = _typed(c, enums, cp)
                expect = c.get("expect")
                if expect is not None and (expect not in FLAG_CODES or c.get("required")):
                    raise CampaignError(f"{cp}.expect", "应为空着时给出的问题标记代码（如 R_NO_MEASURE），且该列不是必填列")
                columns.append(Column(
                    _get(c, "key", cp, str), _get(c, "label", cp, str), ctype, bool(c.get("required", False)),
                    bool(c.get("unique", False)), int(c.get("width", 12)), enum, c.get("ref"),
                    c.get("min"), c.get("max"), expect=expect, note=c.get("note", "")))
            _unique([c.label for c in columns], f"{sp}.columns", "列名")
            _unique([c.key for c in columns], f"{sp}.columns", "列键")
            sheets.append(Sheet(_get(s, "key", sp, str), _get(s, "name", sp, str), s.get("note", ""), tuple(columns),
                                bool(s.get("optional", False)), s.get("host")))
        _unique([s.name for s in sheets], f"{p}.sheets", "工作表名")
        _check_hosts(sheets, p)
        how_to = wb.get("how_to", [])
        if not isinstance(how_to, list) or not all(isinstance(x, str) for x in how_to):
            raise CampaignError(f"{p}.how_to", "应为文字列表")
        out[key] = WorkbookLayout(key, _get(wb, "title", p, str), wb.get("purpose", ""), tuple(info), tuple(sheets),
                                  tuple(how_to))
    return out


def _check_hosts(sheets: list[Sheet], path: str) -> None:
    """A guest sheet names an earlier, unhosted sheet and starts with that sheet's first column (its key)."""
    seen = {}
    for i, s in enumerate(sheets):
        if s.host is not None:
            host = seen.get(s.host)
            if host is None or host.host is not None:
                raise CampaignError(f"{path}.sheets[{i}].host", f"“{s.host}”应为排在前面的、本身不寄放的工作表")
            if s.columns[0].key != host.columns[0].key:
                raise CampaignError(f"{path}.sheets[{i}].columns", f"第一列应与“{host.name}”的第一列相同")
        seen[s.key] = s


def check_keys(raw) -> None:
    """Every key of [workbooks] is one the program knows (checked before anything refers to them)."""
    section = _get(raw, "workbooks", "", dict)
    _known(section, ("unit", "street"), "workbooks")
    for key in ("unit", "street"):
        p = f"workbooks.{key}"
        wb = _get(section, key, "workbooks", dict)
        _known(wb, _WORKBOOK, p)
        for i, f in enumerate(_get(wb, "info", p, list)):
            _known(f, _INFO, f"{p}.info[{i}]")
        for i, s in enumerate(_get(wb, "sheets", p, list)):
            _known(s, _SHEET, f"{p}.sheets[{i}]")
            for j, c in enumerate(_get(s, "columns", f"{p}.sheets[{i}]", list)):
                _known(c, _COLUMN, f"{p}.sheets[{i}].columns[{j}]")


def _typed(field: dict, enums, path: str) -> tuple[str, tuple[str, ...] | None]:
    """A column's or info field's type, and its options when it is a dropdown: both stated, never implied."""
    if "type" not in field:
        raise CampaignError(f"{path}.type", "缺少此项（由标准或选项派生的列请写 criteria 或 options）")
    ftype = _get(field, "type", path, str)
    if ftype not in _COLUMN_TYPES - {"rating"}:
        raise CampaignError(f"{path}.type", f"未知的类型“{ftype}”（可用：{'、'.join(sorted(_COLUMN_TYPES - {'rating'}))}）")
    enum = _enum_values(field.get("enum"), enums, f"{path}.enum")
    if (ftype == "enum") != (enum is not None):
        raise CampaignError(f"{path}.enum" if ftype == "enum" else f"{path}.type",
                            "下拉列（type = \"enum\"）必须指定选项列表 enum，其他类型不能有 enum")
    return ftype, enum


def _enum_values(name, enums, path) -> tuple[str, ...] | None:
    if name is None:
        return None
    if name not in enums:
        raise CampaignError(path, f"未知的选项列表“{name}”")
    return enums[name]


