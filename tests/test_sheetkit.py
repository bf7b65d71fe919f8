"""sheetkit writes table rows as sheet XML itself (speed): the bytes must be those XlsxWriter's own
write_* calls produce for the same cells, formats and row properties, and every text stays text."""

from __future__ import annotations

import datetime as dt
import math
import zipfile

import openpyxl
from hypothesis import given, settings, strategies as st

from pipeline.outputs import sheetkit
from pipeline.outputs.sheetkit import Book, Col, Sheet
from pipeline.outputs.xlsx import clean_text

WHEN = dt.datetime(2010, 8, 2, 18, 0)


class ReferenceSheet(Sheet):
    """Data rows through XlsxWriter's public calls, one cell at a time (what sheetkit did before)."""

    def _rows(self, first, col0, cols, widths, rows, fill, row_fills, levels, bold):
        ws = self.ws
        formats = {}
        for i, r in enumerate(rows, start=first):
            lines = 1
            strong = bool(bold and bold[i - first])
            for j, col in enumerate(cols):
                colour = (fill(r, j) if fill else None) or (row_fills[i - first] if row_fills else None)
                f = formats.get((j, colour, strong))
                if f is None:
                    f = formats[(j, colour, strong)] = self._cell_format(col, colour, strong)
                value = r[j]
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    ws.write_blank(i, col0 + j, None, f)
                elif col.kind in sheetkit.NUMERIC and isinstance(value, (int, float)):
                    ws.write_number(i, col0 + j, float(value) if col.kind != "int" else int(value), f)
                elif col.kind == "date" and isinstance(value, (dt.date, str)) and value:
                    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
                    ws.write_datetime(i, col0 + j, day, f)
                else:
                    text = str(value)
                    ws.write_string(i, col0 + j, text if text.isprintable() and len(text) <= 32767 else clean_text(text), f)
                if col.wrap:
                    lines = max(lines, math.ceil(sheetkit.text_width(r[j]) / max(1, widths[j] - 1)))
            level = levels[i - first] if levels else 0
            if lines > 1 or level:
                ws.set_row(i, 15 * lines + 2 if lines > 1 else None, None, {"level": level, "hidden": True} if level else {})


COLS = [Col("单位"), Col("得分", "score"), Col("率", "rate"), Col("名次", "int"), Col("日期", "date"),
        Col("说明", width=14, wrap=True)]


def _write(tmp_path, name, sheet_class, rows, **options):
    book = Book(tmp_path / name, WHEN, "test")
    ws = sheet_class(book, "表", True)
    ws.title("标题", len(COLS))
    ws.skip()
    ws.table(COLS, rows, **options)
    ws.title("表下的一行", 3)  # XlsxWriter carries on below the rows sheetkit wrote itself
    ws.table([Col("甲"), Col("乙", "score")], [["x", 1.5]])
    path = book.close()
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml"), z.read("xl/styles.xml"), path


def assert_same_as_xlsxwriter(tmp_path, rows, **options):
    fast, fast_styles, path = _write(tmp_path, "fast.xlsx", Sheet, rows, **options)
    slow, slow_styles, _ = _write(tmp_path, "slow.xlsx", ReferenceSheet, rows, **options)
    assert fast == slow
    assert fast_styles == slow_styles
    return path


ROWS = [
    ["A01", 91.25, 0.875, 3, dt.date(2010, 7, 1), "一段很长的说明文字，需要折行才能放下，占了好几行"],
    ["A02", None, float("nan"), 0, "2010-06-30", " 前有空格"],
    ["A03 ", 60, 1, 12.0, None, "a & b < c > d"],
    ["_x0041_ 字面", 0.0, 0.5, None, "", "含\t制表\n换行"],
    ["控制\x01字符", -3.5, None, 7, dt.date(2011, 1, 31), None],
    ["=1+1", 1e-7, 12345.678, 2, "2010-12-31T00:00:00", "x" * 40],
]


def test_rows_are_the_bytes_xlsxwriter_writes(tmp_path):
    assert_same_as_xlsxwriter(tmp_path, ROWS)


def test_row_properties_and_colours_are_the_bytes_xlsxwriter_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(sheetkit, "ROW_BLOCK", 2)  # rows go out in blocks: formats first seen in a later block too
    fill = lambda row, j: "FFC7CE" if j == 0 and str(row[0]).startswith("A0") else None  # noqa: E731
    assert_same_as_xlsxwriter(tmp_path, ROWS, fill=fill, row_fills=[None, "FFEB9C", None, None, "C6EFCE", None],
                        levels=[0, 1, 1, 0, 1, 1], bold=[True, False, False, True, False, False])


def test_text_that_looks_like_markup_stays_text(tmp_path):
    """XlsxWriter (constant memory) would write "<r>...</r>" unescaped; a unit's text never becomes XML."""
    texts = ["<r><t>注入</t></r>", "<r>x</r>", "=HYPERLINK(\"http://x\")"]
    book = Book(tmp_path / "t.xlsx", WHEN, "test")
    book.sheet("表").table([Col("文本")], [[t] for t in texts])
    path = book.close()
    ws = openpyxl.load_workbook(path)["表"]
    assert [ws.cell(r, 1).value for r in range(2, 2 + len(texts))] == texts
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, 2 + len(texts)))


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30).filter(lambda t: not t.startswith("<r>"))
numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False, width=32), st.integers(-10**6, 10**6), texts)
days = st.dates(dt.date(1950, 1, 1), dt.date(2090, 12, 31))
row = st.tuples(st.one_of(st.none(), texts), numbers, numbers, numbers,
                st.one_of(st.none(), days, days.map(dt.date.isoformat)), st.one_of(st.none(), texts))


@settings(max_examples=40, deadline=None)
@given(st.lists(row, min_size=1, max_size=8))
def test_any_rows_are_the_bytes_xlsxwriter_writes(tmp_path_factory, rows):
    """Texts, numbers and blanks anywhere a table holds them (dates only where the pipeline puts them:
    validated dates, as dates or ISO text)."""
    block = sheetkit.ROW_BLOCK
    sheetkit.ROW_BLOCK = 3
    try:
        assert_same_as_xlsxwriter(tmp_path_factory.mktemp("rows"), [list(r) for r in rows])
    finally:
        sheetkit.ROW_BLOCK = block
