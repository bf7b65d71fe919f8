"""sheetkit writes table rows as sheet XML itself (speed): the bytes must be those XlsxWriter's own
write_* calls produce for the same cells, formats and row properties, and every text stays text."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings, strategies as st

from pipeline.outputs.kits import sheetkit, xlsxwriter_internals
from pipeline.outputs.kits.sheetkit import Book, Col, Sheet

WHEN = dt.datetime(2010, 8, 2, 18, 0)


class ReferenceSheet(Sheet):
    """Data rows through XlsxWriter's public calls, one cell at a time: sheetkit's fallback."""

    def _rows(self, *args):
        self._rows_public(*args)


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
    monkeypatch.setattr(xlsxwriter_internals, "ROW_BLOCK", 2)  # rows go out in blocks: formats first seen in a later block too
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
    block = xlsxwriter_internals.ROW_BLOCK
    xlsxwriter_internals.ROW_BLOCK = 3
    try:
        assert_same_as_xlsxwriter(tmp_path_factory.mktemp("rows"), [list(r) for r in rows])
    finally:
        xlsxwriter_internals.ROW_BLOCK = block


def test_an_xlsxwriter_whose_internals_were_not_checked_gets_the_public_calls(tmp_path, monkeypatch):
    """Another XlsxWriter version (or internals renamed): the rows go through the public calls, and the
    workbook is the same."""
    fast, fast_styles, _ = _write(tmp_path, "fast.xlsx", Sheet, ROWS)
    assert xlsxwriter_internals.fast_rows(Book(tmp_path / "probe.xlsx", WHEN, "t").sheet("x").ws)
    monkeypatch.setattr(xlsxwriter_internals.xlsxwriter, "__version__", "3.4.0")
    used = []
    monkeypatch.setattr(Sheet, "_rows", lambda self, *a: used.append("fast"))
    slow, slow_styles, path = _write(tmp_path, "other.xlsx", Sheet, ROWS)
    assert used == [] and (slow, slow_styles) == (fast, fast_styles)


def test_a_table_past_excels_row_limit_is_refused_with_its_sheet_named(tmp_path):
    book = Book(tmp_path / "big.xlsx", WHEN, "test")
    sheet = book.sheet("党员评议")
    sheet.skip(sheetkit.MAX_ROWS - 3)
    sheet.table([Col("甲")], [["x"], ["y"]])  # the header and two rows end on the last row: allowed
    with pytest.raises(sheetkit.TooManyRows) as e:
        sheet.table([Col("甲")], [["z"]])
    book.discard()
    assert "党员评议" in str(e.value) and "1,048,576" in str(e.value)


def test_only_the_adapter_reaches_under_xlsxwriter():
    """XlsxWriter's private names appear in one module, guarded by the versions it was checked against."""
    from conftest import ROOT
    import re
    private = re.compile(r"_write_row|_write_single_row|_check_dimensions|_get_xf_index|row_info|previous_row|"
                         r"_convert_date_time|_escape_control_characters|\.fh\b")
    found = sorted(p.name for p in (ROOT / "pipeline").rglob("*.py") if private.search(p.read_text(encoding="utf-8")))
    assert found == ["xlsxwriter_internals.py"]
