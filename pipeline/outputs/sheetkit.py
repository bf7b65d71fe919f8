"""Writing readable tables into openpyxl sheets: Chinese headers, formats, widths that fit, frozen
headers, filters, print setup. Every text value goes in as text, never as a formula."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from copy import copy
from dataclasses import dataclass

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from pipeline.outputs.xlsx import set_text

HEADER_FILL = PatternFill("solid", fgColor="C00000")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FORMATS = {"score": "0.0", "score2": "0.00", "rate": "0.0%", "int": "0", "date": "yyyy-mm-dd", "text": "@"}
MAX_WIDTH = 48


@dataclass(frozen=True)
class Col:
    label: str
    kind: str = "text"  # text, score, score2, rate, int, date
    width: float | None = None  # fixed width; else fitted to the content
    wrap: bool = False


def text_width(value) -> float:
    """Display width in Excel character units: CJK and full-width characters count double."""
    if value is None:
        return 0
    if isinstance(value, float):
        value = f"{value:.2f}"
    s = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _value(cell, value, col: Col) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        cell.value = None
    elif col.kind in ("score", "score2", "rate", "int") and isinstance(value, (int, float)):
        cell.value = float(value) if col.kind != "int" else int(value)
    elif col.kind == "date" and isinstance(value, (dt.date, str)) and value:
        cell.value = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    else:
        set_text(cell, str(value))


def _style_model(ws, row: int, column: int, col: Col):
    """Style one cell the slow way; the rest of its column copies the resulting style array."""
    cell = ws.cell(row, column)
    if col.kind in FORMATS and col.kind != "text":
        cell.number_format = FORMATS[col.kind]
    cell.border = BOX
    cell.alignment = Alignment(wrap_text=True, vertical="top") if col.wrap else Alignment(vertical="top")
    return cell._style


def title(ws, row: int, text: str, span: int, size: int = 14) -> None:
    cell = ws.cell(row, 1)
    set_text(cell, text)
    cell.font = Font(bold=True, size=size)
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    if span > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
    lines = max(1, math.ceil(text_width(text) / max(20, sum(12 for _ in range(span)))))
    ws.row_dimensions[row].height = max(22, 20 * lines)


def table(ws, top: int, cols: list[Col], rows: list[list], *, col0: int = 1, freeze: bool = True,
          autofilter: bool = True) -> tuple[int, int]:
    """Header at row `top`, data below. Returns (first data row, last data row)."""
    widths = []
    for j, col in enumerate(cols):
        c = ws.cell(top, col0 + j)
        set_text(c, col.label)
        c.font, c.fill, c.border = HEADER_FONT, HEADER_FILL, BOX
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        fitted = max([text_width(col.label)] + [text_width(_shown(r[j], col)) for r in rows]) + 2
        widths.append(col.width or min(MAX_WIDTH, max(6, fitted)))
    ws.row_dimensions[top].height = 30
    models = [_style_model(ws, top + 1, col0 + j, col) for j, col in enumerate(cols)]
    for i, r in enumerate(rows, start=top + 1):
        lines = 1
        for j, col in enumerate(cols):
            cell = ws.cell(i, col0 + j)
            _value(cell, r[j], col)
            cell._style = copy(models[j])
            if col.wrap:
                lines = max(lines, math.ceil(text_width(r[j]) / max(1, widths[j] - 1)))
        if lines > 1:
            ws.row_dimensions[i].height = 15 * lines + 2
    for j, w in enumerate(widths):
        letter = get_column_letter(col0 + j)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, w)
    last = top + max(len(rows), 1)
    if freeze:
        ws.freeze_panes = ws.cell(top + 1, col0).coordinate
        ws.print_title_rows = f"{top}:{top}"
    if autofilter and rows:
        ws.auto_filter.ref = f"{get_column_letter(col0)}{top}:{get_column_letter(col0 + len(cols) - 1)}{last}"
    return top + 1, last


def _shown(value, col: Col):
    if col.kind == "rate" and isinstance(value, (int, float)):
        return f"{value:.1%}"
    if col.kind in ("score", "score2") and isinstance(value, (int, float)):
        return f"{value:.1f}"
    return value


def fill_cells(ws, cells, fill) -> None:
    """Give cells a fill, keeping the rest of each cell's style; the fill is registered once."""
    fill_id = ws.parent._fills.add(fill)
    for cell in cells:
        style = copy(cell._style)
        style.fillId = fill_id
        cell._style = style


def print_setup(ws, landscape: bool = True) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
