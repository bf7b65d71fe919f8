"""The one place docxkit reaches under python-docx's public API, each use guarded (STYLE: library internals
behind one adapter), with the public calls that give the same document where there are any:
- a run's East Asian font, a page-number field and a paragraph's rules: XML python-docx has no call for;
- a table's cells reached through each row's XML (`Table.cell` and `_Row.cells` rebuild the list of every
  cell on each call: a notice of 4,800 names took over ten minutes);
- rows that never split over two pages, a header row that repeats: trPr XML;
- a long table's rows streamed into document.xml from its one styled row when the document is saved
  (python-docx styles a cell in 0.2 ms: 30,000 names took 770 MiB). On a python-docx other than the
  versions this was checked against, the rows are added through the public calls instead (`fast=False`);
  tests/test_docxkit.py checks that both give the same document.xml.
"""

from __future__ import annotations

import io
import re
import weakref
import zipfile
from html import escape
from pathlib import Path

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import _Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FAST_VERSIONS = ("1.1.", "1.2.")  # the python-docx series the streamed rows were checked against
_SLOT = "@@table{}cell{}@@"  # where a long table's styled row takes its cell texts
# What follows w:pBdr in a paragraph's properties (ECMA-376's order, as python-docx's CT_PPr lists it).
_AFTER_BORDERS = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                  "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                  "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                  "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
                  "w:rPr", "w:sectPr", "w:pPrChange")
_long: dict[int, list] = {}  # id of a document -> its long tables' rows (forgotten with the document)


def fast() -> bool:
    return docx.__version__.startswith(FAST_VERSIONS)


def text(value) -> str:
    """A cell's text as a document can hold it: characters XML forbids become U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))


def east_asian(run, name: str) -> None:
    """The font a run's Chinese characters take (python-docx's `font.name` sets only the Latin ones)."""
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), name)


def page_field(run) -> None:
    """A PAGE field in the run: the page's number, as Word and WPS compute it."""
    for kind, instr in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = instr
        run._element.append(el)


def rules(paragraph, top: str | None = None, bottom: str | None = None) -> None:
    """Lines above and below a paragraph (the 版记's rules): "thick" or "thin"."""
    borders = OxmlElement("w:pBdr")
    for side, weight in (("top", top), ("bottom", bottom)):
        if weight:
            el = OxmlElement(f"w:{side}")
            for k, v in (("val", "single"), ("sz", "8" if weight == "thick" else "4"), ("space", "1"), ("color", "000000")):
                el.set(qn(f"w:{k}"), v)
            borders.append(el)
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_BORDERS)  # the schema's order


def rows_of_cells(grid):
    """Each row's cells, reached through the row's XML (never the whole table's cell list)."""
    for tr in grid._tbl.tr_lst:
        yield [_Cell(tc, grid) for tc in tr.tc_lst]


def keep_rows_whole(grid, header: bool = True) -> None:
    """No row split over two pages (LibreOffice left a blank strip); the first row repeats on each page."""
    for tr in grid._tbl.tr_lst:
        if tr.trPr is None or tr.trPr.find(qn("w:cantSplit")) is None:
            tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    if header and grid._tbl.tr_lst[0].trPr.find(qn("w:tblHeader")) is None:
        grid._tbl.tr_lst[0].trPr.append(OxmlElement("w:tblHeader"))


def slots(doc, width: int) -> list[str]:
    """The texts of a long table's styled row: slots its rows' texts take when the document is saved."""
    if id(doc) not in _long:
        _long[id(doc)] = []
        weakref.finalize(doc, _long.pop, id(doc), None)
    return [_SLOT.format(len(_long[id(doc)]), j) for j in range(width)]


def later(doc, grid, rows: list[list[str]], style_row) -> None:
    """A long table's rows. `fast()`: its first data row is styled and holds `slots`, and the rows are
    streamed into document.xml from it when the document is saved; else each is added here through the
    public calls and styled by `style_row(cells, texts)`."""
    if fast():
        _long[id(doc)].append(rows)
        return
    for line in rows:
        style_row(grid.add_row().cells, line)


def save(doc, path: Path) -> None:
    """Write `doc` to `path`, each long table's rows streamed from its styled row."""
    pending = _long.get(id(doc), [])
    if not pending:
        doc.save(str(path))
        return
    made = io.BytesIO()
    doc.save(made)
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info, src.read(info))
                continue
            streamed = zipfile.ZipInfo(info.filename, info.date_time)
            streamed.compress_type = zipfile.ZIP_DEFLATED
            with out.open(streamed, "w") as stream:
                for chunk in _with_rows(src.read(info).decode("utf-8"), pending):
                    stream.write(chunk.encode("utf-8"))


def _with_rows(xml: str, tables: list[list[list[str]]]):
    """document.xml, in pieces, with each long table's styled row replaced by one such row per line."""
    at = 0
    for k, rows in enumerate(tables):
        slot = xml.index(_SLOT.format(k, 0), at)
        start = max(xml.rfind("<w:tr>", at, slot), xml.rfind("<w:tr ", at, slot))
        end = xml.index("</w:tr>", slot) + len("</w:tr>")
        yield xml[at:start]
        pieces = re.split(re.escape(f"@@table{k}cell") + r"\d+@@", xml[start:end])
        for line in rows:
            cells = (escape(text(v), quote=False) for v in line)
            yield "".join(x for pair in zip(pieces, cells) for x in pair) + pieces[-1]
        at = end
    yield xml[at:]
