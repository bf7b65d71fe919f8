"""New workbooks with XlsxWriter: readable tables with Chinese headers, formats, widths that fit,
frozen headers, filters and print setup, written row by row (constant memory). Every text goes in
through write_string: a leading '=' stays text, never a formula."""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import xlsxwriter

from pipeline import frames, fsio
from pipeline.outputs.kits import xlsxwriter_internals as internals
from pipeline.outputs.kits.xlsxwriter_internals import NUMERIC
from pipeline.outputs.kits.xlsx import clean_text

HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#C00000", "border": 1, "border_color": "#BFBFBF",
          "align": "center", "valign": "vcenter", "text_wrap": True}
PLAIN_HEADER = {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}  # to post: no colour
CELL = {"border": 1, "border_color": "#BFBFBF", "valign": "vcenter"}
# Every cell in an East Asian font (宋体 on a Chinese Windows; LibreOffice substitutes its CJK font): figures
# and Chinese text then share one baseline, both centred in the row.
FONT = {"font_name": "宋体", "font_charset": 134, "font_scheme": "none"}
FORMATS = {"score": "0.0", "score2": "0.00", "rate": "0.0%", "int": "0", "date": "yyyy-mm-dd", "text": "@",
           "delta": "+0.00;-0.00;0.00"}
MAX_WIDTH = 48
# The widest table (in Excel character widths) that prints one page wide with text of at least
# about 9 pt after fit-to-width (LibreOffice and Excel: about 111 characters fill A4 landscape at 100%).
PAGE_CHARS = {True: 165, False: 110}  # landscape, portrait
MIN_WRAPPED = 12
A4 = 9
PX_PER_CM = 96 / 2.54

Fill = Callable[[list, int], "str | None"]  # (row values, column index) -> a background colour, or None
MAX_ROWS = 1_048_576  # Excel's rows per worksheet


class TooManyRows(Exception):
    """A table that would pass Excel's row limit: refused with a message, never written cut short."""

    def __init__(self, sheet: str, rows: int):
        super().__init__(f"工作表“{sheet}”需要 {rows:,} 行，超过 Excel 每张工作表 {MAX_ROWS:,} 行的上限，无法写入汇总工作簿。"
                         "请按阶段或按单位分开汇总；全部数据仍可从 data 文件夹的 CSV 文件中查看。")


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
    return _str_width(str(value))


@functools.lru_cache(maxsize=65536)
def _str_width(s: str) -> int:
    if s.isascii():
        return len(s)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _shown(value, col: Col):
    if col.kind == "rate" and isinstance(value, (int, float)):
        return f"{value:.1%}"
    if col.kind in ("score", "score2") and isinstance(value, (int, float)):
        return f"{value:.1f}"
    if col.kind == "delta" and isinstance(value, (int, float)):
        return f"{value:+.2f}"
    return value


def _header_text(name: str) -> str:
    return name.replace("&", "&&")


def _fit(cols: list[Col], widths: list[float], budget: float) -> list[Col]:
    """Narrow the widest text columns (their text then wraps) until the table fits `budget`
    characters, so that fit-to-width never shrinks the print below a readable size. `widths` is
    changed in place; returns the columns with wrapping set where narrowed."""
    cols = list(cols)
    while sum(widths) > budget:
        text = [j for j, c in enumerate(cols) if c.kind == "text" and widths[j] > MIN_WRAPPED]
        if not text:
            break
        j = max(text, key=lambda k: widths[k])
        others = sorted((widths[k] for k in text if k != j), reverse=True)
        target = max(MIN_WRAPPED, widths[j] - (sum(widths) - budget), others[0] if others else 0)
        widths[j] = target if target < widths[j] else max(MIN_WRAPPED, widths[j] - 1)
        if not cols[j].wrap:
            cols[j] = Col(cols[j].label, cols[j].kind, widths[j], True)
    return cols


class Book:
    """One workbook, written to a temporary file beside `path` and renamed into place on close."""

    def __init__(self, path: Path, when: dt.datetime, creator: str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=self.path.suffix, dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self.wb = xlsxwriter.Workbook(str(self.tmp), {
            "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False, "tmpdir": str(self.path.parent), "default_format_properties": FONT})  # its scratch files stay beside the output
        self.wb.set_properties({"author": creator, "created": when})
        self._formats: dict = {}
        self._sheets: list[Sheet] = []

    def fmt(self, **props):
        """A cell format, made once per distinct set of properties."""
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def sheet(self, name: str, landscape: bool = True) -> "Sheet":
        """A new worksheet on A4, printed one page wide."""
        self._sheets.append(Sheet(self, name, landscape))
        return self._sheets[-1]

    def close(self) -> Path:
        try:
            for sheet in self._sheets:
                if sheet.breaks:
                    sheet.ws.set_h_pagebreaks(sheet.breaks)
            self.wb.close()
            os.chmod(self.tmp, 0o644)
            fsio.replace(self.tmp, self.path)
        except BaseException:
            self.tmp.unlink(missing_ok=True)
            raise
        finally:
            self._remove_scratch()
        return self.path

    def _remove_scratch(self) -> None:
        """XlsxWriter leaves the row file of a sheet that got no row (an empty table) beside the output."""
        for ws in self.wb.worksheets():
            name = getattr(ws, "row_data_filename", None)
            if name and os.path.exists(name):
                if ws.row_data_fh is not None and not ws.row_data_fh.closed:
                    ws.row_data_fh.close()
                os.unlink(name)

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)
        self._remove_scratch()


class Sheet:
    """A worksheet filled from the top down: `row` is the next row to write (0-based)."""

    def __init__(self, book: Book, name: str, landscape: bool):
        self.book, self.ws, self.row = book, book.wb.add_worksheet(name), 0
        self.name = name
        self.breaks: list[int] = []  # rows a new page starts at
        self.budget = PAGE_CHARS[landscape]
        self._widths: dict[int, float] = {}
        ws = self.ws
        ws.set_header(f"&L&10{_header_text(name)}")
        ws.set_footer("&C&10第 &P 页，共 &N 页")
        ws.set_landscape() if landscape else ws.set_portrait()
        ws.set_paper(A4)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)

    def title(self, text: str, span: int, size: int = 14, bold: bool = True, align: str | None = None) -> int:
        """A title line over `span` columns at the next row, as tall as its wrapped lines (measured on the
        columns' widths once they are set); returns its row."""
        r = self.row
        text = clean_text(text)
        f = self.book.fmt(bold=bold, font_size=size, text_wrap=True, valign="vcenter", **({"align": align} if align else {}))
        known = [self._widths.get(c) for c in range(span)]
        chars = sum(known) * 11 / size if all(known) else 12 * span  # widths are in 11-point characters
        lines = max(1, math.ceil(text_width(text) / max(20, chars - 2)))
        self.ws.set_row(r, max(22, math.ceil(size * 1.35) * lines + 6))  # a wrapped line: 1.3 times the font
        if span > 1:
            self.ws.merge_range(r, 0, r, span - 1, "", f)
        self.ws.write_string(r, 0, text, f)
        self.row += 1
        return r

    def skip(self, n: int = 1) -> None:
        self.row += n

    def page_break(self) -> None:
        """What follows starts a new page."""
        self.breaks.append(self.row)

    def width_of(self, col: int) -> float:
        """A column's width as set so far (Excel's default, 8.43, where none is)."""
        return self._widths.get(col, 8.43)

    def width(self, col: int, width: float) -> None:
        self._widths[col] = max(self._widths.get(col, 0), width)
        self.ws.set_column(col, col, self._widths[col])

    def plan(self, cols: list[Col], rows: list[list], col0: int = 0) -> tuple[list[Col], list[float]]:
        """The widths a table of `rows` gets (set on the sheet now, so that what is written above it, a
        title or a colour key, is laid out on them); returns the columns (wrapping where narrowed) and widths."""
        widths = []
        for j, col in enumerate(cols):
            if col.width:
                widths.append(col.width)
                continue
            fitted = max([text_width(line) for line in col.label.split("\n")] +  # a header breaks where its label says
                         [text_width(_shown(v, col)) for v in {r[j] for r in rows}]) + 2
            widths.append(min(MAX_WIDTH, max(6, fitted)))
        cols = _fit(cols, widths, self.budget)
        for j, w in enumerate(widths):
            self.width(col0 + j, w)
        return cols, widths

    def table(self, cols: list[Col], rows: list[list], *, col0: int = 0, fill: Fill | None = None, plain: bool = False,
              freeze: bool = True, autofilter: bool = True, repeat: bool = True,
              row_fills: list[str | None] | None = None, levels: list[int] | None = None,
              bold: list[bool] | None = None) -> tuple[int, int]:
        """Header at the next row, data below; returns (first data row, last data row), 0-based.
        `fill` colours cells by value, `row_fills` whole rows; `levels` gives rows an outline level
        (hidden when > 0) and `bold` marks summary rows."""
        top = self.row
        if top + 1 + len(rows) > MAX_ROWS:
            raise TooManyRows(self.name, top + 1 + len(rows))
        book, ws = self.book, self.ws
        cols, widths = self.plan(cols, rows, col0)
        lines = max([2] + [sum(max(1, math.ceil(text_width(part) / max(1, w - 1))) for part in col.label.split("\n"))
                           for col, w in zip(cols, widths)])
        ws.set_row(top, 15 * lines)  # the header as tall as its longest label wraps to (two lines at least)
        head = book.fmt(**(PLAIN_HEADER if plain else HEADER))
        for j, col in enumerate(cols):
            ws.write_string(top, col0 + j, clean_text(col.label), head)
        if rows:
            write = self._rows if internals.fast_rows(ws) else self._rows_public
            write(top + 1, col0, cols, widths, rows, fill, row_fills, levels, bold)
        last = top + max(len(rows), 1)
        if freeze:
            ws.freeze_panes(top + 1, col0)
        if repeat:
            ws.repeat_rows(top)
        if autofilter and rows:
            ws.autofilter(top, col0, last, col0 + len(cols) - 1)
        self.row = last + 1
        return top + 1, last

    def _cell_format(self, col: Col, colour: str | None, bold: bool):
        props = dict(CELL) | ({} if col.wrap else {"align": "center"})  # a figure never runs into the text beside it
        if col.kind in FORMATS and col.kind != "text":
            props["num_format"] = FORMATS[col.kind]
        if col.wrap:
            props["text_wrap"] = True
        if colour:
            props["bg_color"] = f"#{colour}"
        if bold:
            props["bold"] = True
        return self.book.fmt(**props)

    def _rows(self, first: int, col0: int, cols: list[Col], widths: list[float], rows: list[list], fill: Fill | None,
              row_fills: list | None, levels: list[int] | None, bold: list[bool] | None) -> None:
        """The data rows straight into XlsxWriter's row file (xlsxwriter_internals: the bytes its own calls
        give, at a fraction of the cost on the large sheets)."""
        internals.write_rows(self.ws, first, col0, cols, rows, _lines(cols, widths, rows), fill, row_fills, levels, bold,
                             self._cell_format)

    def _rows_public(self, first: int, col0: int, cols: list[Col], widths: list[float], rows: list[list],
                     fill: Fill | None, row_fills: list | None, levels: list[int] | None, bold: list[bool] | None) -> None:
        """The same rows through XlsxWriter's public calls, one cell at a time: slower, and right whatever
        XlsxWriter's internals are."""
        ws, formats, heights = self.ws, {}, _lines(cols, widths, rows)
        for i, r in enumerate(rows, start=first):
            lines, strong = heights[i - first], bool(bold and bold[i - first])
            for j, col in enumerate(cols):
                colour = (fill(r, j) if fill else None) or (row_fills[i - first] if row_fills else None)
                f = formats.get((j, colour, strong))
                if f is None:
                    f = formats[(j, colour, strong)] = self._cell_format(col, colour, strong)
                value = r[j]
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    ws.write_blank(i, col0 + j, None, f)
                elif col.kind in NUMERIC and isinstance(value, (int, float)):
                    ws.write_number(i, col0 + j, float(value) if col.kind != "int" else int(value), f)
                elif col.kind == "date" and isinstance(value, (dt.date, str)) and value:
                    day = frames.day(value)
                    ws.write_datetime(i, col0 + j, day, f)
                else:
                    text = str(value)
                    ws.write_string(i, col0 + j, text if text.isprintable() and len(text) <= 32767 else clean_text(text), f)
            level = levels[i - first] if levels else 0
            if lines > 1 or level:
                ws.set_row(i, 15 * lines + 2 if lines > 1 else None, None, {"level": level, "hidden": True} if level else {})


def _lines(cols: list[Col], widths: list[float], rows: list[list]) -> list[int]:
    """Each row's height in lines: its longest wrapped text over its column's width."""
    out = [1] * len(rows)
    for j, col in enumerate(cols):
        if col.wrap:
            w = max(1, widths[j] - 1)
            out = [max(a, math.ceil(text_width(r[j]) / w)) for a, r in zip(out, rows)]
    return out
