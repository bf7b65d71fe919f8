"""Official documents (.docx, python-docx) laid out as GB/T 9704 suggests: A4 with its margins, 仿宋 body,
黑体 headings, a title in 宋体, lines exactly 28 pt, page numbers "— 1 —", tables whose header repeats. Word
and WPS substitute a font a PC lacks (仿宋_GB2312, 方正小标宋 where installed)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.shared import Cm, Pt

from pipeline.outputs.kits import docx_internals as internals

CENTER, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
BODY, HEADING, TITLE = "仿宋", "黑体", "宋体"  # 仿宋_GB2312 / 方正小标宋 where installed; these are on every PC
SIZE, TITLE_SIZE, TABLE_SIZE = 16, 22, 12  # 三号, 二号, 小四
SHORT_TABLE = 15  # rows: a table this short is made row by row (a long one from one styled row)
KEPT_ROWS = 2  # the header is kept with this many rows; a page may break after them


def day_text(day: dt.date) -> str:
    """2010年8月2日: official documents write the date in Arabic numerals without leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


def set_font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name, run.font.size, run.font.bold = name, Pt(size), bold
    internals.east_asian(run, name)


def para(doc, text: str = "", *, font=BODY, size=SIZE, bold=False, align=None, indent=True, line: float = 28):
    """A paragraph on lines exactly `line` points apart (28: the official document's 22 lines a page)."""
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if align is not None:
        p.alignment = align
    if text:
        set_font(p.add_run(tight(text)), font, size, bold)
    return p


def runs(doc, parts: list[tuple[str, bool]], *, size=SIZE, line: float = 28):
    """One paragraph of several runs, each (text, bold): a list that names its groups in bold."""
    p = para(doc, line=line)
    for text, bold in parts:
        set_font(p.add_run(tight(text)), BODY, size, bold)
    return p


def tight(text: str) -> str:
    """No space between Chinese text and a figure (已销号8项), as official documents are typeset."""
    return re.sub(r"(?<=[^\x00-\x7f])[ ]+|[ ]+(?=[^\x00-\x7f])", "", text)


def page_numbers(doc) -> None:
    """— 1 — at the foot of every page, on the outer side (GB/T 9704: odd pages right, even pages left), in
    宋体 四号."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    for footer, align in ((section.footer, RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        p.alignment = align
        set_font(p.add_run("— "), TITLE, 14)
        run = p.add_run()
        set_font(run, TITLE, 14)
        internals.page_field(run)
        set_font(p.add_run(" —"), TITLE, 14)


def table(doc, header: list[str], rows: list[list[str]], size: float = TABLE_SIZE, pad: float = 3) -> None:
    """A centred grid whose header row repeats on every page, no row split over two pages. A short table is
    kept on one page; a long one keeps its header with its first row, and its rows are made from that first
    row (docx_internals: python-docx takes about 0.2 ms a cell, 30 s for a district's 30,000 names)."""
    short = len(rows) <= SHORT_TABLE
    streamed = not short and internals.fast()
    grid = doc.add_table(rows=1 + (len(rows) if short else int(streamed)), cols=len(header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    first = [header] + (rows if short else [internals.slots(doc, len(header))] if streamed else [])
    for i, (cells, line) in enumerate(zip(internals.rows_of_cells(grid), first)):
        # the header stays with the first rows (a table is never left as a lone header at a page's foot)
        _row(cells, line, i == 0, i < min(KEPT_ROWS, len(rows)) if short else i == 0, size, pad)
    if not short:
        internals.later(doc, grid, rows, lambda cells, line: _row(cells, line, False, False, size, pad))
    internals.keep_rows_whole(grid)


def _row(cells, texts, heading: bool, keep: bool, size: float, pad: float) -> None:
    for cell, value in zip(cells, texts):
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(pad)
        p.paragraph_format.keep_with_next = keep
        set_font(p.add_run(internals.text(value)), HEADING if heading else BODY, size)


def document(author: str, title: str, when: dt.datetime):
    """An empty A4 document with the official margins and page numbers."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    page_numbers(doc)
    props = doc.core_properties
    props.author, props.title, props.created = author, title, when
    return doc


def signature(doc, issuer: str, day: dt.date, size: float = SIZE, line: float = 28) -> None:
    """落款: the issuing body and the date, right-aligned, after a blank line."""
    para(doc, size=size, line=line)
    para(doc, issuer, align=RIGHT, indent=False, size=size, line=line)
    para(doc, day_text(day), align=RIGHT, indent=False, size=size, line=line)


def record(doc, copies_to: str, printer: str, day: dt.date) -> None:
    """版记 (GB/T 9704): 抄送, then 印发机关 (left) and 印发日期 (right), between rules, at the end."""
    para(doc)
    copied = para(doc, f"抄送：{copies_to}。", size=14, indent=False)
    printed = para(doc, f"{printer}\t{day_text(day)}印发", size=14, indent=False)
    section = doc.sections[0]
    printed.paragraph_format.tab_stops.add_tab_stop(section.page_width - section.left_margin - section.right_margin,
                                                    WD_TAB_ALIGNMENT.RIGHT)
    internals.rules(copied, top="thick", bottom="thin")
    internals.rules(printed, bottom="thick")


def save(doc, path: Path) -> Path:
    """Written beside its place and renamed into it: never a half-written document."""
    tmp = path.with_name(f".tmp-{path.name}")
    internals.save(doc, tmp)
    tmp.replace(path)
    return path
