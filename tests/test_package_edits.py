"""Returned copies are the unit's package with only the parts a mark needs changed (pipeline/outputs/units/package.py):
every other part byte for byte, cells added in their row and column order, earlier comments kept, and the
openpyxl way taken when a package is shaped otherwise."""

import datetime as dt
import re
import zipfile

import pytest
from conftest import AS_OF, SHARED
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from pipeline.findings import make
from pipeline.outputs.units import package, returned

WHEN = dt.datetime(2010, 8, 2, 9)
FOREIGN = SHARED / "corpus" / "foreign"


@pytest.fixture(scope="module")
def unit_book(tmp_path_factory, campaign):
    from pipeline import demo
    inbox = tmp_path_factory.mktemp("pkg") / "inbox"
    demo.generate(campaign, inbox, units=1, members=6, seed=7, as_of=AS_OF)
    return next(inbox.glob("FN01*.xlsx"))


def _parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_only_the_parts_a_mark_needs_change(unit_book, tmp_path, campaign):
    roster = campaign.workbooks["unit"].worksheet_name("roster")
    finding = make("E_REQUIRED", unit_book.name, sheet=roster, cell="B3", column="姓名")
    out = returned.write(unit_book, "xlsx", unit_book.name, [finding], "FN01 丰年社区党委", tmp_path / "c.xlsx", WHEN, "党办")
    before, after = _parts(unit_book), _parts(out)
    pkg = package.Package.open(unit_book.read_bytes())
    sheet = pkg.sheets[roster]
    rels = pkg.rels(sheet)
    may_change = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", sheet,
                  package.Package.rels_name(sheet)} | {p for _, p in rels.values()}
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed and changed <= may_change
    assert set(before) <= set(after) and len(after) == len(before) + 1  # one part added: 问题清单
    assert set(before) - may_change  # the untouched parts exist, and were compared byte for byte
    assert sheet in changed and "xl/styles.xml" in changed


def test_a_copy_of_a_workbook_excel_saved_with_comments_keeps_them(tmp_path):
    """openpyxl's reader_comments.xlsx, saved by Excel: shared strings, its own comments and their drawing."""
    src = FOREIGN / "openpyxl__reader_comments.xlsx"
    sheet = load_workbook(src).worksheets[0].title
    findings = [make("E_REQUIRED", src.name, sheet=sheet, cell=c, column="x") for c in ("A1", "F9")]
    out = returned.write(src, "xlsx", src.name, findings, "测试单位", tmp_path / "c.xlsx", WHEN, "党办")
    ws = load_workbook(out)[sheet]
    assert ws["A1"].comment.text.startswith("Cuke:\nFirst Comment\n【错误】")  # the unit's comment first, then ours
    assert ws["D1"].comment.text == load_workbook(src)[sheet]["D1"].comment.text
    assert ws["F9"].comment.text.startswith("【错误】") and ws["F9"].fill.fgColor.rgb == "00FF9999"
    a, b = CalamineWorkbook.from_path(str(src)), CalamineWorkbook.from_path(str(out))
    assert b.sheet_names == [returned.SHEET] + a.sheet_names
    assert a.get_sheet_by_name(sheet).to_python() == b.get_sheet_by_name(sheet).to_python()


def test_a_package_shaped_otherwise_is_copied_with_openpyxl(unit_book, tmp_path, monkeypatch, campaign, caplog):
    roster = campaign.workbooks["unit"].worksheet_name("roster")
    finding = make("E_REQUIRED", unit_book.name, sheet=roster, cell="B3", column="姓名")

    from test_returned_cases import refuse_once
    opened = refuse_once(monkeypatch)
    with caplog.at_level("INFO", logger=returned.log.name):
        out = returned.write(unit_book, "xlsx", unit_book.name, [finding], "FN01", tmp_path / "c.xlsx", WHEN, "党办")
    assert "made with openpyxl" in caplog.text and len(opened) == 2
    wb = load_workbook(out)
    assert wb.sheetnames[0] == returned.SHEET and wb[roster]["B3"].fill.fgColor.rgb == "00FF9999"
    assert wb[roster]["B3"].comment.text.startswith("【错误】")


def test_a_returned_copy_sent_in_again_gets_one_fresh_list(unit_book, tmp_path, campaign):
    roster = campaign.workbooks["unit"].worksheet_name("roster")
    first = returned.write(unit_book, "xlsx", unit_book.name, [make("E_REQUIRED", "x", sheet=roster, cell="B3")],
                           "FN01", tmp_path / "1.xlsx", WHEN, "党办")
    again = returned.write(first, "xlsx", first.name, [make("E_REQUIRED", "x", sheet=roster, cell="C4")],
                           "FN01", tmp_path / "2.xlsx", WHEN, "党办")
    wb = load_workbook(again)
    assert wb.sheetnames.count(returned.SHEET) == 1 and wb.sheetnames[0] == returned.SHEET
    assert "C4" in [c.value for row in wb[returned.SHEET].iter_rows() for c in row]


def test_print_titles_of_other_sheets_move_with_them(tmp_path):
    """A workbook's sheet-scoped names (print titles, print areas) follow their sheets when 问题清单 goes first."""
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.title = "甲"
    wb.create_sheet("乙").print_title_rows = "1:2"
    src = tmp_path / "src.xlsx"
    wb.save(src)
    out = returned.write(src, "xlsx", src.name, [make("E_REQUIRED", "x", sheet="乙", cell="A1")], "单位",
                         tmp_path / "c.xlsx", WHEN, "党办")
    copy = load_workbook(out)
    assert copy.sheetnames == [returned.SHEET, "甲", "乙"]
    assert copy["乙"].print_title_rows == "$1:$2" and copy[returned.SHEET].print_title_rows == "$3:$3"
    assert copy["甲"].print_title_rows is None
    assert re.search(rb'activeTab="[1-9]', _parts(out)["xl/workbook.xml"]) is None


def _sheet(rows: dict[int, list[int]], self_closed: set[int]) -> str:
    def col(n):
        s = ""
        while n:
            n, r = divmod(n - 1, 26)
            s = chr(65 + r) + s
        return s
    body = "".join(f'<row r="{r}"/>' if r in self_closed and not cols else
                   f'<row r="{r}">' + "".join(f'<c r="{col(c)}{r}" s="1"><v>{c}</v></c>' for c in cols) + "</row>"
                   for r, cols in sorted(rows.items()))
    return f'<worksheet xmlns="{package.MAIN}"><sheetData>{body}</sheetData></worksheet>'


@settings(max_examples=60, deadline=None)
@given(rows=st.dictionaries(st.integers(1, 30), st.lists(st.integers(1, 30), unique=True).map(sorted), max_size=8),
       marks=st.lists(st.tuples(st.integers(1, 30), st.integers(1, 30)), min_size=1, max_size=6),
       at_once=st.booleans())
def test_marked_cells_are_added_in_order_and_keep_their_values(rows, marks, at_once):
    """Marked one by one or all in one pass (restyle_all), the same cells, in order, values kept."""
    xml = _sheet(rows, {r for r, cols in rows.items() if not cols})
    from openpyxl.utils import get_column_letter
    if at_once:
        xml = package.restyle_all(xml, {f"{get_column_letter(c)}{r}": lambda s: s + 100 for r, c in marks})
    for r, c in [] if at_once else marks:
        xml = package.restyle(xml, f"{get_column_letter(c)}{r}", lambda s: s + 100)
    found = [(int(r), package._col(c)) for c, r in re.findall(r'<c r="([A-Z]+)(\d+)"', xml)]
    assert found == sorted(set(found))  # row by row, column by column, each cell once
    row_numbers = [int(r) for r in re.findall(r'<row r="(\d+)"', xml)]
    assert row_numbers == sorted(set(row_numbers))
    assert set(found) == {(r, c) for r, cols in rows.items() for c in cols} | set(marks)
    values = dict(((int(r), package._col(c)), v) for c, r, v in re.findall(r'<c r="([A-Z]+)(\d+)"[^>]*><v>(\d+)</v>', xml))
    assert values == {(r, c): str(c) for r, cols in rows.items() for c in cols}
    marked = {(int(r), package._col(c)) for c, r, s in re.findall(r'<c r="([A-Z]+)(\d+)" s="(\d+)"', xml) if int(s) >= 100}
    assert marked == set(marks)
