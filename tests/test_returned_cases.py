"""Returned copies as Excel and WPS open them (SPEC §8, issue 33): comments in the sheet's own comments drawing
(a header picture's drawing left alone), a unit's own sheet named 问题清单 kept, links that quote sheet names
as Excel does, a resent copy without the marks of the first one, and file names Windows accepts. Every copy
passes the package checks Excel makes on opening: relationships that point at parts, a content type for
every part, one comment and one drawn note a cell, and the sheet's <legacyDrawing> naming the drawing."""

import datetime as dt
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import AS_OF
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from python_calamine import CalamineWorkbook

from pipeline import fsio
from pipeline.findings import make
from pipeline.layout import INFO_FIRST_ROW, INFO_SHEET
from pipeline.outputs.units import package, returned
from pipeline.outputs.units.templates import INPUT_FILL

WHEN = dt.datetime(2010, 8, 2, 9)
RED, ORANGE = (returned.FILLS[k].fgColor.rgb[-6:] for k in ("错误", "警告"))


def check_package(path: Path) -> None:
    """What Excel checks when it opens a package, or else offers to repair it."""
    with zipfile.ZipFile(path) as z:
        names = {n for n in z.namelist() if not n.endswith("/")}
        types = z.read("[Content_Types].xml").decode("utf-8")
    defaults = {e.lower() for e in re.findall(r'<Default\s[^>]*Extension="([^"]+)"', types)}
    overrides = set(re.findall(r'<Override\s[^>]*PartName="/([^"]+)"', types))
    assert overrides <= names, overrides - names
    untyped = [n for n in names - {"[Content_Types].xml"} if n not in overrides and n.rsplit(".", 1)[-1].lower() not in defaults]
    assert not untyped
    pkg = package.Package.open(path.read_bytes())
    for rels in (n for n in names if n.endswith(".rels")):
        part = rels.replace("_rels/", "").removesuffix(".rels")
        assert all(target in names for _, target in pkg.rels(part).values()), rels
    for part in pkg.sheets.values():
        _check_comments(pkg, part)


def _check_comments(pkg, part: str) -> None:
    rels, xml = pkg.rels(part), pkg.text(part)
    comments = [p for kind, p in rels.values() if kind == "comments"]
    if not comments:
        return
    refs = re.findall(r'<comment\s[^>]*ref="([A-Z]+\d+)"', pkg.text(comments[0]))
    assert len(refs) == len(set(refs)), "one comment a cell"
    drawing = re.search(r"<legacyDrawing\b[^>]*\sr:id=\"([^\"]+)\"", xml)
    assert drawing, "a sheet with comments names its drawing"
    kind, vml = rels[drawing.group(1)]
    assert kind == "vmlDrawing"
    notes = re.findall(r'ObjectType="Note".*?<(?:\w+:)?Row>(\d+)</(?:\w+:)?Row>\s*<(?:\w+:)?Column>(\d+)<', pkg.text(vml), re.S)
    from openpyxl.utils import get_column_letter
    assert sorted(f"{get_column_letter(int(c) + 1)}{int(r) + 1}" for r, c in notes) == sorted(refs), "one note a comment"


def _book(tmp_path: Path, name: str = "src.xlsx", sheets=("甲",)) -> Path:
    wb = Workbook()
    wb.active.title = sheets[0]
    for title in sheets[1:]:
        wb.create_sheet(title)
    for ws in wb.worksheets:
        for r in range(1, 6):
            ws.append([f"{ws.title}{r}", r, r * 2])
    path = tmp_path / name
    wb.save(path)
    return path


def refuse_once(monkeypatch) -> list:
    """The unit's package is refused as shaped otherwise; the one openpyxl saves again is taken."""
    opened, real = [], package.Package.open

    def refuse(data):
        opened.append(data)
        if len(opened) == 1:
            raise package.Unexpected("test")
        return real(data)
    monkeypatch.setattr(package.Package, "open", staticmethod(refuse))
    return opened


def _error(sheet: str, cell: str, code: str = "E_REQUIRED"):
    return make(code, "src.xlsx", sheet=sheet, cell=cell, column="x")


HF_VML = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">'
          '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
          '<v:shape id="LH" o:spid="_x0000_s1025" type="#_x0000_t75" style="width:60pt;height:20pt">'
          '<v:imagedata o:title="logo"/><o:lock v:ext="edit" rotation="t"/></v:shape></xml>')


def _with_header_logo(path: Path) -> Path:
    """The workbook with a picture in the first sheet's page header, as Excel stores it: a VML drawing
    named by <legacyDrawingHF>."""
    pkg = package.Package.open(path.read_bytes())
    part = next(iter(pkg.sheets.values()))
    pkg.put("xl/drawings/vmlDrawingHF1.vml", HF_VML)
    pkg.add_type("xl/drawings/vmlDrawingHF1.vml", package.VML_TYPE)
    rid = pkg.add_rel(part, "vmlDrawing", "xl/drawings/vmlDrawingHF1.vml")
    xml = pkg.text(part)
    xml = xml.replace("</worksheet>", f'<legacyDrawingHF xmlns:r="{package.REL}" r:id="{rid}"/></worksheet>')
    pkg.put(part, xml)
    out = path.with_name("logo.xlsx")
    with open(out, "wb") as f:
        pkg.save(f, WHEN)
    return out


def test_a_header_logo_keeps_its_drawing_and_the_comments_get_their_own(tmp_path):
    src = _with_header_logo(_book(tmp_path))
    out = returned.write(src, "xlsx", src.name, [_error("甲", "B2"), _error("甲", "C4")], "单位", tmp_path / "c.xlsx",
                         WHEN, "党办")
    check_package(out)
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/drawings/vmlDrawingHF1.vml").decode("utf-8") == HF_VML  # the logo's drawing untouched
    pkg = package.Package.open(out.read_bytes())
    xml = pkg.text(pkg.sheets["甲"])
    assert xml.index("<legacyDrawing ") < xml.index("<legacyDrawingHF")  # the order Excel requires
    ws = load_workbook(out)["甲"]
    assert ws["B2"].comment.text.startswith("【错误】") and ws["C4"].comment.text.startswith("【错误】")


def test_comments_go_into_the_drawing_the_sheet_names_not_the_first_vml(tmp_path):
    """A sheet with its own comments and a header logo: ours join the comments' drawing."""
    wb = Workbook()
    ws = wb.active
    ws.title = "甲"
    ws["A1"], ws["A1"].comment = "有批注", Comment("单位的批注", "单位")
    ws["B3"] = 1
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    src = _with_header_logo(plain)
    out = returned.write(src, "xlsx", src.name, [_error("甲", "B3")], "单位", tmp_path / "c.xlsx", WHEN, "党办")
    check_package(out)
    copy = load_workbook(out)["甲"]
    assert copy["A1"].comment.text == "单位的批注" and copy["B3"].comment.text.startswith("【错误】")
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/drawings/vmlDrawingHF1.vml").decode("utf-8") == HF_VML


@pytest.mark.parametrize("through_openpyxl", [False, True])
def test_a_units_own_sheet_named_like_our_list_is_kept(tmp_path, monkeypatch, through_openpyxl):
    src = _book(tmp_path, sheets=("甲", returned.SHEET))
    if through_openpyxl:  # the same when the package is shaped otherwise: openpyxl saves it again first
        refuse_once(monkeypatch)
    out = returned.write(src, "xlsx", src.name, [_error("甲", "B2")], "单位", tmp_path / "c.xlsx", WHEN, "党办")
    names = CalamineWorkbook.from_path(str(out)).sheet_names
    assert names == [f"{returned.SHEET}(1)", "甲", returned.SHEET]
    book = CalamineWorkbook.from_path(str(out))
    assert book.get_sheet_by_name(returned.SHEET).to_python()[0][0] == f"{returned.SHEET}1"  # the unit's own rows
    assert load_workbook(out)[f"{returned.SHEET}(1)"].print_title_rows == "$3:$3"
    check_package(out)


def test_links_double_the_apostrophes_of_a_sheet_name(tmp_path):
    sheet = "党员 名册'二"
    src = _book(tmp_path, sheets=(sheet,))
    out = returned.write(src, "xlsx", src.name, [_error(sheet, "C3")], "单位", tmp_path / "c.xlsx", WHEN, "党办")
    links = [c.hyperlink.location for row in load_workbook(out)[returned.SHEET].iter_rows() for c in row if c.hyperlink]
    assert links == ["'党员 名册''二'!C3"]
    check_package(out)


def test_a_fixed_copy_sent_back_loses_the_marks_of_the_first_copy(tmp_path, campaign):
    """The unit fixes its 退回修改 copy in Excel and sends it back: the new copy shows only this time's
    findings; the unit's own comments stay, ours go, and a 填报说明 cell gets its fill-in yellow back."""
    info_cell = f"B{INFO_FIRST_ROW}"
    src = _book(tmp_path, sheets=("甲", INFO_SHEET))
    wb = load_workbook(src)
    wb["甲"]["B2"].comment = Comment("单位：已核对", "单位")
    wb.save(src)
    first = returned.write(src, "xlsx", src.name, [_error("甲", "B2"), _error("甲", "C3"), _error(INFO_SHEET, info_cell)],
                           "单位", tmp_path / "first.xlsx", WHEN, "党办")
    assert load_workbook(first)["甲"]["B2"].comment.text.startswith("单位：已核对\n【错误】")
    fixed = load_workbook(first)  # the unit corrects the cells and saves in its office program
    fixed["甲"]["C3"] = 99
    back = tmp_path / "back.xlsx"
    fixed.save(back)
    again = returned.write(back, "xlsx", back.name, [_error("甲", "C5", "W_FEW_BALLOTS")], "单位",
                           tmp_path / "again.xlsx", WHEN, "党办")
    wb = load_workbook(again)
    ws = wb["甲"]
    assert wb.sheetnames == [returned.SHEET, "甲", INFO_SHEET]
    assert ws["B2"].comment.text == "单位：已核对" and ws["C3"].comment is None
    assert ws["B2"].fill.fill_type is None and ws["C3"].fill.fill_type is None
    assert ws["C5"].fill.fgColor.rgb[-6:] == ORANGE and ws["C5"].comment.text.startswith("【警告】")
    info = wb[INFO_SHEET][info_cell]
    assert info.comment is None and info.fill.fgColor.rgb[-6:] == INPUT_FILL.fgColor.rgb[-6:]
    listed = [c.value for row in wb[returned.SHEET].iter_rows(min_row=4) for c in row]
    assert "C5" in listed and "C3" not in listed
    check_package(again)


@pytest.mark.parametrize("unit_name", ["东岭社区党委/居委会", '西湖<社区>"党总支"', "长" * 91, "CON", "a. "])
def test_copy_names_are_safe_on_windows_and_keep_the_unit_code(tmp_path, campaign, unit_name):
    fake = SimpleNamespace(unit_name=lambda code: unit_name, workbooks=campaign.workbooks)
    f = SimpleNamespace(stored=SimpleNamespace(kind="unit", unit_code="FN02"), name="x.xlsx")
    taken: set[str] = set()
    names = [returned.copy_name(fake, f, taken) for _ in range(2)]
    assert len(set(n.casefold() for n in names)) == 2  # a second file of the unit gets its own name
    for name in names:
        assert name.startswith("FN02_") and name.endswith(".xlsx")
        assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', name) and len(name) <= returned.NAME_LIMIT + 12
        stem = name.removesuffix(".xlsx")
        assert stem == stem.rstrip(" .")
        (tmp_path / name).write_bytes(b"x")  # the name is a file directly in the folder
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


@pytest.mark.parametrize("text,expected", [("CON", "_CON"), ("nul.txt", "_nul.txt"), ("COM1", "_COM1"),
                                           ("a/b", "a_b"), (" . ", "文件"), ("CONSOLE", "CONSOLE")])
def test_safe_names_avoid_windows_devices_and_separators(text, expected):
    assert fsio.safe_name(text) == expected


def test_a_copy_that_cannot_be_written_is_said_on_screen_and_in_the_reply_list(campaign, tmp_path, monkeypatch):
    from pipeline import demo
    from pipeline.labels import REPLIES
    from pipeline.run import batch, verdict
    from pipeline.outputs.clerk import replies
    inbox = tmp_path / "inbox"
    demo.generate(campaign, inbox, units=4, members=8, seed=4, defects=True, as_of=AS_OF)

    def fail(*args, **kw):
        raise OSError(36, "File name too long")
    monkeypatch.setattr(returned, "write", fail)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    failed = [f for f in result.files if f.copy_failed]
    assert failed and not any(f.returned for f in result.files)
    assert all("File name too long" in f.copy_failed for f in failed)
    text = (result.folder / REPLIES).read_text(encoding="utf-8-sig")
    rejected = next(f for f in failed if f.status == "rejected")
    assert f"“{rejected.name}”的标注副本未能生成" in text
    items = replies.replies(campaign, result.files)
    said = "\n".join(verdict.lines(campaign, result, items, 3))
    assert f"{len(failed)} 份文件的标注副本未能生成" in said and rejected.name in said
