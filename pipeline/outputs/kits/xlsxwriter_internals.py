"""The one place sheetkit reaches under XlsxWriter's public API (STYLE: library internals behind one adapter):
table rows written as sheet XML straight into XlsxWriter's row file in constant-memory mode, with the bytes
its own write_* calls give (tests/test_sheetkit.py compares them), for the XlsxWriter versions that was
checked against; any other version gets sheetkit's public calls (Sheet._rows_public)."""

from __future__ import annotations

import datetime as dt
import math

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from pipeline import frames
from pipeline.outputs.kits.xlsx import clean_text

NUMERIC = ("score", "score2", "rate", "int", "delta")
FAST_VERSIONS = ("3.3.",)
ROW_BLOCK = 2000  # rows made and written at a time: memory stays a block's


def fast_rows(ws) -> bool:
    """Whether this XlsxWriter is one whose internals sheetkit's row writer was checked against."""
    return xlsxwriter.__version__.startswith(FAST_VERSIONS) and ws.constant_memory and all(
        hasattr(ws, name) for name in ("fh", "row_info", "_write_single_row", "_write_row", "_check_dimensions",
                                       "previous_row"))


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
        day = frames.day(value)
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


def write_rows(ws, first: int, col0: int, cols: list, rows: list[list], lines: list[int], fill, row_fills,
               levels, bold, cell_format) -> None:
    """The data rows, as sheet XML straight into XlsxWriter's row file (constant-memory mode): the
    bytes its write_* calls would produce (tests/test_sheetkit.py compares them), at a fraction of
    the cost on the large sheets. Built column by column, a block of rows at a time (memory stays a
    block's); row properties still go through set_row (`lines`: each row's height in lines)."""
    fh = ws.fh
    ws._write_single_row(first)  # the header row goes out first
    letters = [xl_col_to_name(col0 + j) for j in range(len(cols))]
    styles: list[dict] = [{} for _ in cols]  # per column: (colour, bold) -> style number
    for start in range(0, len(rows), ROW_BLOCK):
        block = rows[start:start + ROW_BLOCK]
        n, at = len(block), first + start  # `at`: the block's first row, 0-based
        strong = [bool(b) for b in bold[start:start + n]] if bold else [False] * n
        keys = []  # per column, per row: (colour, bold) of the cell's format
        for j in range(len(cols)):
            colours = [fill(r, j) for r in block] if fill else [None] * n
            if row_fills:
                colours = [c or rc for c, rc in zip(colours, row_fills[start:start + n])]
            keys.append(list(zip(colours, strong)))
        _new_styles(cols, keys, styles, cell_format)
        numbers = range(at + 1, at + n + 1)  # Excel's row numbers
        cells = [column_xml(ws, letters[j], numbers, [styles[j][k] for k in keys[j]], [r[j] for r in block], col.kind)
                 for j, col in enumerate(cols)]
        out = []
        for i, row_cells in enumerate(zip(*cells)):
            r = at + i
            level, height = levels[start + i] if levels else 0, lines[start + i]
            if height > 1 or level:
                ws.set_row(r, 15 * height + 2 if height > 1 else None, None,
                           {"level": level, "hidden": True} if level else {})
            if r in ws.row_info:
                ws.fh = Collect(out)  # the row's start tag with its properties, as XlsxWriter writes it
                try:
                    ws._write_row(r, None, ws.row_info[r])
                finally:
                    ws.fh = fh
            else:
                out.append(f'<row r="{r + 1}">')
            out.append("".join(row_cells))
            out.append("</row>")
        fh.write("".join(out))  # one write per block: each write to a text file has a cost
    last = first + len(rows) - 1
    ws._check_dimensions(last, col0 + len(cols) - 1)
    ws.previous_row = last + 1  # rows up to `last` are written: XlsxWriter carries on below them


def _new_styles(cols: list, keys: list[list], styles: list[dict], cell_format) -> None:
    """Style numbers for the formats of a block not seen before, given in the order XlsxWriter
    gives them: the order in which formats first appear, row by row."""
    seen = []
    for j, column in enumerate(keys):
        first: dict = {}
        for i, k in enumerate(column):
            if k not in first and k not in styles[j]:
                first[k] = i
        seen += [(i, j, k) for k, i in first.items()]
    for _, j, (colour, strong) in sorted(seen, key=lambda t: (t[0], t[1])):
        styles[j][(colour, strong)] = cell_format(cols[j], colour, strong)._get_xf_index()
