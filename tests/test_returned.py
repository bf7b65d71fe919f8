"""Returned copies: the unit's own workbook, its data and pictures unchanged, every faulty cell marked and
commented, and a first sheet 问题清单 linking to each cell whose first line says what the copy is: files
with errors in 退回修改/ (须修改后重新报送), files accepted with warnings or notes in 提示/ (已受理，无需重报)."""

import datetime as dt

import pytest
from conftest import AS_OF, ROOT, SHARED, stored_cells
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from pipeline.run import batch
from pipeline.outputs.units import listing, returned


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


def test_a_copy_for_each_submission_with_findings_in_the_folder_of_its_verdict(run):
    folders = {f.stored.unit_code: f.returned.parent.name for f in _copies(run)}
    assert folders["FN02"] == "退回修改" and folders["FN03"] == "提示"  # errors in FN02; warnings in FN03
    should = {f.stored.unit_code for f in run.files if f.findings and f.stored.kind == "unit"
              and f.stored.status in ("accepted", "rejected")}
    assert set(folders) == should
    assert all((f.returned.parent.name == "退回修改") == (f.stored.status == "rejected") for f in _copies(run))
    assert {f.returned.name for f in _copies(run)} >= {"FN02_东岭社区党委.xlsx", "FN03_西湖社区党总支.xlsx"}


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
        def notes(book):
            return {(ws.title, c.coordinate): c for ws in book.worksheets for c in stored_cells(ws) if c.comment}
        comments = notes(wb)
        template_notes = set(notes(load_workbook(f.received.path)))  # the form's end-of-rows note
        assert set(comments) - template_notes == expected
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
        assert [c.value for c in ws[3]] == returned.HEADERS
        rows = [r for r in ws.iter_rows(min_row=4) if isinstance(r[0].value, int)]  # not the group titles
        assert len(rows) == len(f.findings)
        for row in rows:
            sheet, cell = row[2].value, row[3].value
            if sheet:
                assert row[3].hyperlink.location == f"'{sheet}'!{cell or 'A1'}"
        assert "错误" in ws["A2"].value


def test_ods_and_xls_come_back_as_xlsx_rebuilt_from_values(campaign, tmp_path):
    src = SHARED / "corpus" / "foreign" / "calamine__date.ods"
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


def test_the_first_line_says_whether_to_send_again(run):
    assert {f.stored.status for f in _copies(run)} == {"accepted", "rejected"}  # both kinds of copy
    for f in _copies(run):
        first = load_workbook(f.returned)[returned.SHEET]["A1"].value
        want = "须修改后重新报送" if f.stored.status == "rejected" else "已受理，无需重报"
        assert first.endswith(want) and f.stored.unit_code in first, (f.name, first)


def test_findings_are_grouped_by_sheet_and_every_text_fits_its_row(run):
    f = next(x for x in _copies(run) if x.stored.unit_code == "FN02")
    wb = load_workbook(f.returned)
    ws = wb[returned.SHEET]
    titles = [r[0].value for r in ws.iter_rows(min_row=4) if isinstance(r[0].value, str)]
    sheets = [t.split("（")[0] for t in titles]
    assert len(sheets) == len(set(sheets)) >= 3  # one group a sheet
    assert [s for s in sheets if s in wb.sheetnames] == [s for s in wb.sheetnames if s in sheets]  # workbook order
    for row in ws.iter_rows(min_row=4):
        if not isinstance(row[0].value, int):
            continue
        height = ws.row_dimensions[row[0].row].height
        for cell, width in zip(row, listing.WIDTHS):
            assert height >= 15 * listing.lines(cell.value, width), (cell.coordinate, cell.value)
            assert cell.border.left.style == "thin" and cell.alignment.wrap_text
    assert f.stored.unit_code in ws.oddHeader.left.text and "&P" in ws.oddHeader.right.text
    assert ws.print_title_rows == "$3:$3"


def test_the_warning_colour_is_not_the_templates_fill_in_colour():
    from pipeline.outputs.units import templates
    fill_in = templates.INPUT_FILL.fgColor.rgb
    assert fill_in not in {f.fgColor.rgb for f in returned.FILLS.values()}


def test_a_workbook_with_a_picture_comes_back_with_it(campaign, tmp_path):
    """A unit that pasted a photo into 活动记录 gets its workbook back whole, the photo included."""
    import io

    from openpyxl.drawing.image import Image
    from PIL import Image as PILImage

    from pipeline import demo
    from pipeline.findings import make
    inbox = tmp_path / "inbox"
    demo.generate(campaign, inbox, units=1, members=5, seed=4, as_of=AS_OF)
    path = next(inbox.glob("FN01*.xlsx"))
    wb = load_workbook(path)
    png = io.BytesIO()
    PILImage.new("RGB", (120, 80), (200, 30, 30)).save(png, "PNG")
    wb["活动记录"].add_image(Image(io.BytesIO(png.getvalue())), "G2")
    wb.save(path)
    finding = make("E_REQUIRED", path.name, sheet="活动记录", cell="A2", column="日期")
    out = returned.write(path, "xlsx", path.name, [finding], "FN01 丰年社区党委", tmp_path / "copy.xlsx",
                         dt.datetime(2010, 8, 2), "党办")
    kept = load_workbook(out)["活动记录"]._images
    assert len(kept) == 1 and kept[0].anchor._from.col == 6
    listing = load_workbook(out)[returned.SHEET]
    assert "未能保留" not in str(listing["A2"].value)
