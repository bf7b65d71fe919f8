"""退回修改: the unit's own workbook, its data unchanged, every faulty cell marked and commented,
and a first sheet 问题清单 linking to each cell."""

import datetime as dt

import pytest
from conftest import AS_OF, ROOT
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from pipeline import batch
from pipeline.outputs import returned


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from pipeline import campaign as c
    from pipeline import demo
    campaign = c.load(ROOT / "campaign.toml")
    inbox = tmp_path_factory.mktemp("ret") / "inbox"
    demo.generate(campaign, inbox, units=4, members=8, seed=4, defects=True, as_of=AS_OF)
    return batch.run(campaign, inbox, tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("arch"), as_of=AS_OF)


def _copies(run):
    return [f for f in run.files if f.returned]


def test_a_copy_for_each_rejected_or_warned_submission(run):
    with_copy = {f.stored.unit_code for f in _copies(run)}
    assert with_copy == {"FN02", "FN03"}  # errors in FN02; warnings in FN03
    names = sorted(f.returned.name for f in _copies(run))
    assert names == ["FN02_东岭社区党委.xlsx", "FN03_西湖社区党总支.xlsx"]
    assert all(f.returned.parent.name == "退回修改" for f in _copies(run))


def _values(rows):
    """Cell values as compared; times to the millisecond, the precision an .xlsx stores."""
    def one(v):
        if v == "":
            return None
        if isinstance(v, dt.time):
            return v.replace(microsecond=v.microsecond // 1000 * 1000)
        return v
    return [[one(v) for v in row] for row in rows]


def test_copies_open_in_both_readers_and_keep_the_data(run):
    copies = _copies(run)
    assert copies, "the defects demo sends copies back"
    for f in copies:
        original = CalamineWorkbook.from_path(str(f.received.path))
        copy = CalamineWorkbook.from_path(str(f.returned))
        assert copy.sheet_names[0] == returned.SHEET
        assert copy.sheet_names[1:] == original.sheet_names
        for name in original.sheet_names:
            a = original.get_sheet_by_name(name).to_python(skip_empty_area=False)
            b = copy.get_sheet_by_name(name).to_python(skip_empty_area=False)
            assert _values(a) == _values(b), name
        load_workbook(f.returned)  # opens in openpyxl too


def test_one_comment_per_faulty_cell_with_colour(run):
    copies = _copies(run)
    assert copies, "the defects demo sends copies back"
    for f in copies:
        wb = load_workbook(f.returned)
        marked = [x for x in f.findings if x.code[0] in "EW" and x.cell and x.sheet]
        expected = {(x.sheet, x.cell) for x in marked}
        comments = {(ws.title, c.coordinate): c for ws in wb.worksheets for row in ws.iter_rows() for c in row
                    if c.comment}
        assert set(comments) == expected
        for x in marked:
            c = comments[(x.sheet, x.cell)]
            assert x.message in c.comment.text
            colour = returned.FILLS["错误" if x.is_error else "警告"].fgColor.rgb
            if x.is_error or not any(y.is_error for y in marked if (y.sheet, y.cell) == (x.sheet, x.cell)):
                assert c.fill.fgColor.rgb == colour


def test_findings_list_links_to_every_cell(run):
    copies = _copies(run)
    assert copies, "the defects demo sends copies back"
    for f in copies:
        ws = load_workbook(f.returned)[returned.SHEET]
        assert [c.value for c in ws[2]] == returned.HEADERS
        rows = list(ws.iter_rows(min_row=3))
        assert len(rows) == len(f.findings)
        for row in rows:
            sheet, cell = row[2].value, row[3].value
            if sheet:
                assert row[3].hyperlink.location == f"'{sheet}'!{cell or 'A1'}"
        assert "错误" in ws["A1"].value


def test_ods_and_xls_come_back_as_xlsx_rebuilt_from_values(campaign, tmp_path):
    src = ROOT.parent / "shared" / "corpus" / "foreign" / "calamine__date.ods"
    out = returned.write(src, "ods", src.name, [], "测试单位", tmp_path / "x.xlsx", dt.datetime(2010, 8, 2), "党办")
    copy = CalamineWorkbook.from_path(str(out))
    original = CalamineWorkbook.from_path(str(src))
    assert copy.sheet_names == [returned.SHEET] + original.sheet_names
    for name in original.sheet_names:
        a = _values(original.get_sheet_by_name(name).to_python(skip_empty_area=False))
        b = _values(copy.get_sheet_by_name(name).to_python(skip_empty_area=False))
        assert a == b
    listing = load_workbook(out)[returned.SHEET]
    assert any("重建为 .xlsx" in str(c.value) for row in listing.iter_rows() for c in row)


def test_a_returned_copy_sent_back_is_read_as_the_units_workbook(campaign, run, tmp_path):
    """The 问题清单 sheet and the marks do not stop the copy from being read as the unit's submission."""
    from pipeline.validation import validate
    f = next(x for x in _copies(run) if x.stored.unit_code == "FN03")
    back = tmp_path / "FN03_修改后.xlsx"
    back.write_bytes(f.returned.read_bytes())
    sub = validate.validate_file(back, back.name, campaign)
    assert sub.accepted and sub.unit_code == "FN03"
