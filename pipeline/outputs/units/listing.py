"""问题清单, the first sheet of a returned copy, written as worksheet XML: the verdict in its first line,
then the findings grouped by sheet (in the order of the unit's sheets, errors first), each cell a link to
the unit's cell, every text shown whole, ready to print. Its styles come from a small workbook made once
with openpyxl (STYLES), merged into the unit's; the rows are text, so thousands take milliseconds."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from pipeline.findings import ERROR, WARNING, Finding
from pipeline.outputs.kits import xlsx
from pipeline.outputs.kits.sheetkit import text_width

SHEET = "问题清单"
HEADERS = ["序号", "严重程度", "工作表", "单元格", "列", "填写内容", "问题", "修改方法"]
WIDTHS = [6, 9, 12, 9, 14, 18, 18, 60]
LINK_COLUMN = HEADERS.index("单元格") + 1
# Red for an error, orange for a warning: neither is the template's pale fill-in yellow (FFF2CC).
FILLS = {ERROR: PatternFill("solid", fgColor="FF9999"), WARNING: PatternFill("solid", fgColor="F4B183")}
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(wrap_text=True, vertical="top")
STYLES = {  # name -> (font, fill, border, alignment)
    "returned": (Font(bold=True, size=14, color="C00000"), None, None, Alignment(wrap_text=True, vertical="center")),
    "accepted": (Font(bold=True, size=14, color="375623"), None, None, Alignment(wrap_text=True, vertical="center")),
    "intro": (None, None, None, Alignment(wrap_text=True, vertical="center")),
    "header": (Font(bold=True), None, _BOX, Alignment(horizontal="center", vertical="center")),
    "group": (Font(bold=True), PatternFill("solid", fgColor="D9E1F2"), _BOX, None),
    "body": (None, None, _BOX, _TOP),
    ERROR: (None, FILLS[ERROR], _BOX, _TOP),
    WARNING: (None, FILLS[WARNING], _BOX, _TOP),
    "link": (Font(color="0563C1", underline="single"), None, _BOX, _TOP),
}
_ORDER = {ERROR: 0, WARNING: 1}


@dataclass
class Listing:
    name: str  # 问题清单, or 问题清单(1)… where the unit has a sheet of that name
    xml: str  # the worksheet
    print_titles: str  # its header row, repeated on every printed page


@functools.lru_cache(maxsize=1)
def styles() -> tuple[str, dict[str, int]]:
    """styles.xml of a workbook holding one cell of each of STYLES, and each style's cell format index."""
    wb = Workbook()
    ws = wb.active
    for r, (font, fill, border, alignment) in enumerate(STYLES.values(), start=1):
        cell = ws.cell(r, 1, "x")
        for attr, value in (("font", font), ("fill", fill), ("border", border), ("alignment", alignment)):
            if value is not None:
                setattr(cell, attr, value)
    parts = xlsx.parts(wb)
    sheet = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
    index = {}
    for r, name in enumerate(STYLES, start=1):
        m = re.search(rf'<c r="A{r}"[^>]*?\ss="(\d+)"', sheet)
        index[name] = int(m.group(1)) if m else 0
    return parts["xl/styles.xml"].decode("utf-8"), index


def list_name(names) -> str:
    """The name of our list: 问题清单, or 问题清单(1), (2)… when the unit's workbook has a sheet of that name."""
    taken = {n.casefold() for n in names}
    name, n = SHEET, 0
    while name.casefold() in taken:
        n += 1
        name = f"{SHEET}({n})"
    return name


def quoted(sheet: str) -> str:
    """A sheet name as a link or formula names it: in apostrophes, its own apostrophes doubled."""
    return "'" + sheet.replace("'", "''") + "'"


def lines(text, width: int) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (a Chinese character takes two)."""
    text = "" if text is None else str(text)
    return sum(max(1, -(-int(text_width(part)) // max(1, int(width * 0.95)))) for part in text.split("\n"))


def _cell(col: int, row: int, value, style: int) -> str:
    ref = f"{get_column_letter(col)}{row}"
    if value is None or value == "":
        return f'<c r="{ref}" s="{style}"/>'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{escape(xlsx.clean_text(str(value)))}</t></is></c>'


def _row(row: int, cells: list[str], height: float | None = None) -> str:
    ht = f' ht="{height:g}" customHeight="1"' if height else ""
    return f'<row r="{row}"{ht}>' + "".join(cells) + "</row>"


def build(findings: list[Finding], verdict: tuple[str, str], unit_label: str, lost: str, names: list[str],
          offset: int) -> Listing:
    """The list for the unit's workbook whose sheets are `names`; `verdict`: (what the copy is, what to do);
    `lost`: a line on what the copy could not keep; `offset`: where styles() landed in the unit's styles."""
    index = styles()[1]
    style = {k: v + offset for k, v in index.items()}
    errors = sum(f.is_error for f in findings)
    warnings = sum(f.severity == WARNING for f in findings)
    what, how = verdict
    intro = (f"{how}本表共 {errors} 处错误、{warnings} 处警告、{len(findings) - errors - warnings} 条提示。"
             f"红色为错误（必须修改），橙色为警告（请核实），提示仅供参考。{lost}")
    span = len(HEADERS)
    rows = [_row(1, [_cell(1, 1, f"{unit_label}：{what}", style["returned" if errors else "accepted"])], 24),
            _row(2, [_cell(1, 2, intro, style["intro"])], 16 * lines(intro, sum(WIDTHS)) + 4),
            _row(3, [_cell(j, 3, h, style["header"]) for j, h in enumerate(HEADERS, start=1)])]
    merged, links = [1, 2], []
    sheets = {name: i for i, name in enumerate(names)}
    ranked = sorted(findings, key=lambda f: (sheets.get(f.sheet, -1), _ORDER.get(f.severity, 2), _position(f.cell)))
    r, n = 4, 0
    for sheet, group in _groups(ranked):
        head = f"{sheet or '整个文件'}（{len(group)} 条）"
        rows.append(_row(r, [_cell(j, r, head if j == 1 else None, style["group"]) for j in range(1, span + 1)]))
        merged.append(r)
        r += 1
        for f in group:
            n += 1
            rows.append(_finding_row(r, n, f, f.sheet in sheets, style))
            if f.sheet in sheets:
                target = f.cell or "A1"
                links.append(f'<hyperlink ref="{get_column_letter(LINK_COLUMN)}{r}" '
                             f'location={quoteattr(quoted(f.sheet) + "!" + target)} display="{target}"/>')
            r += 1
    name = list_name(names)
    return Listing(name, _worksheet(rows, merged, links, r - 1, unit_label), f"{quoted(name)}!$3:$3")


def _finding_row(r: int, n: int, f: Finding, linked: bool, style: dict[str, int]) -> str:
    values = [n, f.severity, f.sheet, f.cell, f.column, f.value, f.title, f.message]
    if linked:
        values[LINK_COLUMN - 1] = f.cell or "A1"
    cells = []
    for j, v in enumerate(values, start=1):
        kind = f.severity if j == 2 and f.severity in FILLS else "link" if j == LINK_COLUMN and linked else "body"
        cells.append(_cell(j, r, v, style[kind]))
    return _row(r, cells, 15 * max(lines(v, w) for v, w in zip(values, WIDTHS)) + 3)


def _worksheet(rows: list[str], merged: list[int], links: list[str], last: int, unit_label: str) -> str:
    end = get_column_letter(len(HEADERS))
    cols = "".join(f'<col min="{j}" max="{j}" width="{w}" customWidth="1"/>' for j, w in enumerate(WIDTHS, start=1))
    merges = "".join(f'<mergeCell ref="A{r}:{end}{r}"/>' for r in merged)
    header = escape("&L" + unit_label.replace("&", "&&") + f"  {SHEET}&R第 &P 页，共 &N 页")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<dimension ref="A1:{end}{last}"/>'
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
            '<pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A4" sqref="A4"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"<cols>{cols}</cols><sheetData>{''.join(rows)}</sheetData>"
            f'<mergeCells count="{len(merged)}">{merges}</mergeCells>'
            + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "") +
            '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            f"<headerFooter><oddHeader>{header}</oddHeader></headerFooter></worksheet>")


def _position(cell: str) -> tuple[int, str]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", cell or "")
    return (int(m.group(2)), m.group(1).rjust(3)) if m else (0, "")


def _groups(findings: list[Finding]):
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.sheet, []).append(f)
    return out.items()
