"""Which template a workbook is, and whose: from `_meta` and 填报说明, else from sheet names and headers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from pipeline.campaign import Campaign
from pipeline.layout import HEADER_SCAN_ROWS, INFO_SHEET, META_SHEET


@dataclass
class Identity:
    kind: str | None  # "unit", "street" or None (not a template)
    via: str = ""  # "meta" or "headers"
    meta: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)  # info key -> (value, A1 cell)
    sheets: dict = field(default_factory=dict)  # layout sheet key -> sheet name in the workbook
    reason: str = ""


def label_key(value) -> str:
    """A header label as compared: NFKC, no spaces, no line breaks, no marks like '*' (必填)."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return re.sub(r"[\s*＊:：]", "", text)


def _rows(book, name: str, limit: int) -> list[list]:
    return book.rows(name, limit)


def _clean(v) -> str:
    return "" if v is None else str(v).strip()


def read_meta(book) -> dict:
    if META_SHEET not in book.sheet_names:
        return {}
    return {_clean(r[0]): _clean(r[1]) for r in _rows(book, META_SHEET, 20) if len(r) >= 2 and _clean(r[0])}


def read_info(book, campaign: Campaign, kind: str) -> dict:
    """The 填报说明 values: label in some column, value in the next cell to its right."""
    if INFO_SHEET not in book.sheet_names:
        return {}
    labels = {f.label: f.key for f in campaign.workbooks[kind].info}
    out = {}
    for r, row in enumerate(_rows(book, INFO_SHEET, 60)):
        for j, v in enumerate(row[:-1]):
            key = labels.get(_clean(v))
            if key and key not in out:
                out[key] = (row[j + 1], f"{get_column_letter(j + 2)}{r + 1}")
    return out


def named_unit(book, campaign: Campaign) -> str | None:
    """The campaign's unit a workbook's 填报说明 names (its code, or code and name), whatever its template:
    a rejected file is still answered to the unit that sent it."""
    try:
        for kind in campaign.workbooks:
            for value, _ in read_info(book, campaign, kind).values():
                code = str(value).split()[0] if str(value).strip() else ""
                if campaign.unit_name(code):
                    return code
    except Exception:  # a sheet calamine cannot read: nobody named
        return None
    return None


def match_sheets(book, campaign: Campaign, kind: str) -> dict[str, str]:
    """Layout sheet key -> workbook sheet name, by name first, then by header labels. A hosted sheet
    (评定结果) found nowhere of its own (an earlier template had it) sits on its host's sheet."""
    layout = campaign.workbooks[kind]
    names = [n for n in book.sheet_names if n not in (META_SHEET,)]
    found = {s.key: s.name for s in layout.sheets if s.name in names}
    taken = set(found.values())
    for s in layout.sheets:
        if s.key in found:
            continue
        need = {label_key(c.label) for c in s.columns if c.required}
        for n in names:
            if n in taken:
                continue
            rows = _rows(book, n, HEADER_SCAN_ROWS)
            if any(need <= {label_key(v) for v in row} for row in rows):
                found[s.key] = n
                taken.add(n)
                break
        if s.key not in found and s.host and s.host in found:
            found[s.key] = found[s.host]
    return found


def identify(book, campaign: Campaign) -> Identity:
    meta = read_meta(book)
    kind = meta.get("template_id")
    if kind in campaign.workbooks:
        if meta.get("campaign_id") != campaign.id:
            return Identity(None, "meta", meta, reason=f"模板所属活动为“{meta.get('campaign_id')}”")
        return Identity(kind, "meta", meta, read_info(book, campaign, kind), match_sheets(book, campaign, kind))
    best = None
    for kind, layout in campaign.workbooks.items():
        sheets = match_sheets(book, campaign, kind)
        if len(sheets) == len(layout.sheets) and (best is None or len(sheets) > len(best[1])):
            best = (kind, sheets)
    if best:
        return Identity(best[0], "headers", meta, read_info(book, campaign, best[0]), best[1])
    return Identity(None, reason=f"工作表为：{'、'.join(book.sheet_names[:8]) or '无'}")
