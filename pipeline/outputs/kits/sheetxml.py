"""The sheet XML of table cells, as XlsxWriter writes it in constant-memory mode (sheetkit's fast row
writer; tests/test_sheetkit.py compares the bytes with XlsxWriter's own calls)."""

from __future__ import annotations

import datetime as dt
import math

from pipeline.outputs.kits.xlsx import clean_text

NUMERIC = ("score", "score2", "rate", "int", "delta")


class Collect:
    """A file-like list: what XlsxWriter writes, kept in order with sheetkit's own parts."""

    def __init__(self, parts: list):
        self.write = parts.append


def column_xml(ws, letter: str, numbers: range, styles: list[int], values: list, kind: str) -> list[str]:
    """One column's cells: plain texts, floats and blanks (nearly all cells) here, the rest by _cell_xml."""
    out = []
    append = out.append
    numeric, date = kind in NUMERIC, kind == "date"
    for n, s, v in zip(numbers, styles, values):
        t = type(v)
        if v is None:
            append(f'<c r="{letter}{n}" s="{s}"/>')
        elif t is str and not date and v.isprintable() and "_x" not in v and len(v) <= 32767:
            append(_text_xml(f"{letter}{n}", s, v))
        elif t is float and numeric and kind != "int" and v == v:
            append(_number_xml(f"{letter}{n}", s, v))
        else:
            append(_cell_xml(ws, f"{letter}{n}", s, v, kind))
    return out


def _cell_xml(ws, ref: str, s: int, value, kind: str) -> str:
    """One cell as XlsxWriter writes it in constant-memory mode (numbers, dates as serial numbers,
    inline strings), except that every text is escaped: XlsxWriter would pass a text that looks like
    rich-text XML ("<r>...</r>") through unescaped."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f'<c r="{ref}" s="{s}"/>'
    if kind in NUMERIC and isinstance(value, (int, float)):
        return _number_xml(ref, s, float(value) if kind != "int" else int(value))
    if kind == "date" and isinstance(value, (dt.date, str)) and value:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        return _number_xml(ref, s, ws._convert_date_time(day))
    text = str(value)
    if not text.isprintable() or len(text) > 32767:
        text = clean_text(text)
    if "_x" in text or not text.isprintable():
        text = ws._escape_control_characters(text)
    return _text_xml(ref, s, text)


def _number_xml(ref: str, s: int, number) -> str:
    return f'<c r="{ref}" s="{s}"><v>{number:.16G}</v></c>'


def _text_xml(ref: str, s: int, text: str) -> str:
    """An inline string, its outer spaces kept, &, < and > escaped (control characters already are)."""
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" s="{s}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
