"""Official documents (.docx, python-docx) laid out as GB/T 9704 suggests: A4 with its margins, 仿宋 body,
黑体 headings, a title in 宋体, lines exactly 28 pt, page numbers "— 1 —", tables whose header repeats. Word
and WPS substitute a font a PC lacks (仿宋_GB2312, 方正小标宋 where installed)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from html import escape
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

CENTER, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
BODY, HEADING, TITLE = "仿宋", "黑体", "宋体"  # 仿宋_GB2312 / 方正小标宋 where installed; these are on every PC
SIZE, TITLE_SIZE, TABLE_SIZE = 16, 22, 12  # 三号, 二号, 小四
SHORT_TABLE = 15  # rows: a table this short is never split over two pages
_SLOT = "@@table{}cell{}@@"  # where a long table's styled row takes its cell texts


def day_text(day: dt.date) -> str:
    """2010年8月2日: official documents write the date in Arabic numerals without leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


def set_font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name, run.font.size, run.font.bold = name, Pt(size), bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), name)


def para(doc, text: str = "", *, font=BODY, size=SIZE, bold=False, align=None, indent=True):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if align is not None:
        p.alignment = align
    if text:
        set_font(p.add_run(tight(text)), font, size, bold)
    return p


def tight(text: str) -> str:
    """No space between Chinese text and a figure (已销号8项), as official documents are typeset."""
    return re.sub(r"(?<=[^\x00-\x7f])[ ]+|[ ]+(?=[^\x00-\x7f])", "", text)


def page_number(section) -> None:
    """— 1 — at the foot of every page."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run("— "), BODY, 14)
    run = p.add_run()
    set_font(run, BODY, 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._element.append(el)
    set_font(p.add_run(" —"), BODY, 14)


def table(doc, header: list[str], rows: list[list[str]]) -> None:
    """A centred grid whose header row repeats on every page. A short table is kept on one page; a long one
    keeps its header with its first row, and its rows are made from the first one's XML (python-docx
    takes about 0.2 ms a cell: 30 s for a district's 30,000 names)."""
    short = len(rows) <= SHORT_TABLE
    grid = doc.add_table(rows=1 + (len(rows) if short else 1), cols=len(header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    pending = doc.__dict__.setdefault("_long_tables", [])  # a long table's rows, written by save()
    first = [header] + (rows if short else [[_SLOT.format(len(pending), j) for j in range(len(header))]])
    # Cells reached through each row's XML: python-docx's `Table.cell` and `_Row.cells` walk the whole
    # table on every call.
    for i, (tr, line) in enumerate(zip(grid._tbl.tr_lst, first)):
        for tc, text in zip(tr.tc_lst, line):
            p = _Cell(tc, grid).paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(3)
            # a short table stays on one page; a long one keeps its header with its first row
            p.paragraph_format.keep_with_next = i < len(rows) if short else i == 0
            set_font(p.add_run(str(text)), HEADING if i == 0 else BODY, TABLE_SIZE)
    for tr in grid._tbl.tr_lst:  # a row is never split over two pages (LibreOffice left a blank strip)
        tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    grid._tbl.tr_lst[0].trPr.append(OxmlElement("w:tblHeader"))  # the header row repeats on a continuation page
    if not short:  # the styled row stays, its texts slots; save() writes the rows in its place
        pending.append(rows)


def document(author: str, title: str, when: dt.datetime):
    """An empty A4 document with the official margins and page numbers."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    page_number(section)
    props = doc.core_properties
    props.author, props.title, props.created = author, title, when
    return doc


def signature(doc, issuer: str, day: dt.date) -> None:
    """落款: the issuing body and the date, right-aligned, after a blank line."""
    para(doc)
    para(doc, issuer, align=RIGHT, indent=False)
    para(doc, day_text(day), align=RIGHT, indent=False)


def save(doc, path: Path) -> Path:
    """Written beside its place and renamed into it: never a half-written document. A long table's rows
    are streamed into document.xml as text, made from its styled row (as lxml elements, 30,000 names took
    770 MiB)."""
    tmp = path.with_name(f".tmp-{path.name}")
    pending = doc.__dict__.get("_long_tables", [])
    if not pending:
        doc.save(str(tmp))
    else:
        made = io.BytesIO()
        doc.save(made)
        with zipfile.ZipFile(made) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                if info.filename != "word/document.xml":
                    out.writestr(info, src.read(info))
                    continue
                streamed = zipfile.ZipInfo(info.filename, info.date_time)
                streamed.compress_type = zipfile.ZIP_DEFLATED
                with out.open(streamed, "w") as stream:
                    for chunk in _with_rows(src.read(info).decode("utf-8"), pending):
                        stream.write(chunk.encode("utf-8"))
    tmp.replace(path)
    return path


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
            cells = (escape(ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(v)), quote=False) for v in line)
            yield "".join(x for pair in zip(pieces, cells) for x in pair) + pieces[-1]
        at = end
    yield xml[at:]
