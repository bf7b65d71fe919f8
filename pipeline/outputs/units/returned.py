"""Returned copies: the unit's own workbook with every faulty cell filled and commented in Chinese, and a
first sheet 问题清单 linking to each cell, whose first line says what the copy is. Files with errors go
to 退回修改/ (须修改后重新报送: the unit fixes the copy and sends it straight back); files accepted with
warnings or notes go to 提示/ (已受理，无需重报). The unit's pictures and charts stay."""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import zipfile
from collections import defaultdict
from pathlib import Path

import python_calamine
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.xml.functions import tostring

from pipeline.campaign import Campaign
from pipeline import fsio
from pipeline.fsio import FileBusy
from pipeline.findings import Finding, make
from pipeline.intake.book import Book
from pipeline.labels import ACCEPTED_ADVICE, NOTICE_DIR, RETURNED_DIR, UNKNOWN_UNIT, unit_label
from pipeline.outputs.units import package, package_comments
from pipeline.outputs.kits import xlsx
from pipeline.outputs.kits.sheetkit import text_width
from pipeline.outputs.kits.xlsx import set_text

log = logging.getLogger(__name__)
SHEET = "问题清单"
# Red for an error, orange for a warning: neither is the template's pale fill-in yellow (FFF2CC).
FILLS = {"错误": PatternFill("solid", fgColor="FF9999"), "警告": PatternFill("solid", fgColor="F4B183")}
HEADERS = ["序号", "严重程度", "工作表", "单元格", "列", "填写内容", "问题", "修改方法"]
WIDTHS = [6, 9, 12, 9, 14, 18, 18, 60]
VERDICT = {True: ("须修改后重新报送", "本文件有错误，未被受理。请在本文件中逐项修改（点击“单元格”可跳到该格），"
                  "改好后另存为 .xlsx 重新报送。"),
           False: ("已受理，无需重报", f"本文件{ACCEPTED_ADVICE}。")}
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_GROUP_FILL = PatternFill("solid", fgColor="D9E1F2")
AUTHOR = "街道党办"


def _rebuild(path: Path) -> Workbook:
    """An .xlsx rebuilt from the values of an .xls or .ods (calamine), sheet by sheet."""
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    reader = Book(path, path.suffix.lstrip("."))
    wb = Workbook()
    wb.remove(wb.active)
    for meta in book.sheets_metadata:
        ws = wb.create_sheet(meta.name)
        for r, row in enumerate(reader.rows(meta.name), start=1):
            for c, v in enumerate(row, start=1):
                if v != "":
                    set_text(ws.cell(r, c), v) if isinstance(v, str) else setattr(ws.cell(r, c), "value", v)
        if meta.visible != python_calamine.SheetVisibleEnum.Visible:
            ws.sheet_state = "veryHidden" if meta.visible == python_calamine.SheetVisibleEnum.VeryHidden else "hidden"
    return wb


def _keep_escaped(wb: Workbook) -> None:
    """openpyxl reads '_x0001_' as a control character but would write it raw, breaking the XML:
    put such characters back as the escapes the unit's file held."""
    for ws in wb.worksheets:
        for cell in list(ws._cells.values()):  # the stored cells only: a form reaches row 20,001
            v = cell.value
            if isinstance(v, str) and ILLEGAL_CHARACTERS_RE.search(v):
                cell.value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", v)


def _writable(ws, ref: str):
    """The cell that carries a comment for `ref`: itself, or the top-left cell of the merged range
    that covers it (a unit may have merged cells; only the top-left one can hold a comment)."""
    cell = ws[ref]
    if isinstance(cell, MergedCell):
        rng = next((r for r in ws.merged_cells.ranges if cell.coordinate in r), None)
        if rng is not None:
            return ws.cell(rng.min_row, rng.min_col)
    return cell


def _notes(findings: list[Finding], sheets) -> dict[tuple[str, str], tuple[str, str, int]]:
    """(sheet, cell) -> (the worst severity, the comment's text, how many findings) for every cell a
    finding points at in one of `sheets`; notes (N_) are listed on 问题清单 only."""
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.sheet in sheets and f.cell and not f.code.startswith("N_"):
            by_cell[(f.sheet, f.cell)].append(f)
    return {key: ("错误" if any(f.is_error for f in group) else "警告",
                  xlsx.clean_text("\n".join(f"【{f.severity}】{f.title}：{f.message}" for f in group)), len(group))
            for key, group in by_cell.items()}


def _comment_size(count: int) -> tuple[int, int]:
    """(height, width) in pixels of a comment holding `count` findings."""
    return 40 + 40 * count, 320


def _annotate(wb: Workbook, findings: list[Finding]) -> None:
    for (sheet, ref), (worst, text, count) in _notes(findings, wb.sheetnames).items():
        cell = _writable(wb[sheet], ref)
        cell.fill = FILLS[worst]
        comment = Comment(text, AUTHOR)
        comment.height, comment.width = _comment_size(count)
        cell.comment = comment


def _lines(text, width: int) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (a Chinese character takes two)."""
    text = "" if text is None else str(text)
    return sum(max(1, -(-int(text_width(part)) // max(1, int(width * 0.95)))) for part in text.split("\n"))


def _findings_sheet(wb: Workbook, findings: list[Finding], unit_label: str, lost: str, names: list[str]) -> None:
    """问题清单 in `wb`: the verdict in its first line, then the findings grouped by sheet (each group in the
    order of the unit's sheets `names`, errors first), every text shown whole, ready to print."""
    ws = wb.create_sheet(SHEET, 0)
    errors = sum(f.is_error for f in findings)
    warnings = sum(f.severity == "警告" for f in findings)
    notes = len(findings) - errors - warnings
    verdict, how = VERDICT[errors > 0]
    ws["A1"] = f"{unit_label}：{verdict}"
    ws["A1"].font = Font(bold=True, size=14, color="C00000" if errors else "375623")
    ws["A2"] = (f"{how}本表共 {errors} 处错误、{warnings} 处警告、{notes} 条提示。红色为错误（必须修改），"
                f"橙色为警告（请核实），提示仅供参考。{lost}")
    for r in (1, 2):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(HEADERS))
        ws.cell(r, 1).alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[1].height = 24
    ws.row_dimensions[2].height = 16 * _lines(ws["A2"].value, sum(WIDTHS)) + 4
    for j, (h, w) in enumerate(zip(HEADERS, WIDTHS), start=1):
        c = ws.cell(3, j, h)
        c.font, c.border = Font(bold=True), _BOX
        c.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[c.column_letter].width = w
    order = {"错误": 0, "警告": 1, "提示": 2}
    sheets = {name: i for i, name in enumerate(names)}
    ranked = sorted(findings, key=lambda f: (sheets.get(f.sheet, -1), order[f.severity], _position(f.cell)))
    r, n = 4, 0
    for sheet, group in _groups(ranked):
        head = ws.cell(r, 1, f"{sheet or '整个文件'}（{len(group)} 条）")
        head.font, head.fill = Font(bold=True), _GROUP_FILL
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(HEADERS))
        for j in range(1, len(HEADERS) + 1):
            ws.cell(r, j).border = _BOX
        r += 1
        for f in group:
            n += 1
            values = [n, f.severity, f.sheet, f.cell, f.column, f.value, f.title, f.message]
            for j, v in enumerate(values, start=1):
                cell = ws.cell(r, j)
                xlsx.set_text(cell, v)
                cell.border = _BOX
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[r].height = 15 * max(_lines(v, w) for v, w in zip(values, WIDTHS)) + 3
            if f.severity in FILLS:
                ws.cell(r, 2).fill = FILLS[f.severity]
            if f.sheet in sheets:
                link = ws.cell(r, 4)
                target = f.cell or "A1"
                link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{f.sheet}'!{target}", display=target)
                xlsx.set_text(link, target)
                link.font = Font(color="0563C1", underline="single")
            r += 1
    ws.freeze_panes = "A4"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "3:3"
    ws.oddHeader.left.text = f"{unit_label}  {SHEET}"
    ws.oddHeader.right.text = "第 &P 页，共 &N 页"


def _position(cell: str) -> tuple[int, str]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", cell or "")
    return (int(m.group(2)), m.group(1).rjust(3)) if m else (0, "")


def _groups(findings: list[Finding]):
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.sheet, []).append(f)
    return out.items()


def _lost_drawings(path: Path, fmt: str) -> str:
    """A line for 问题清单 when the unit's workbook holds drawings a copy cannot keep (shapes, text
    boxes; pictures and charts are kept)."""
    if fmt not in ("xlsx", "xlsm"):
        return ""
    try:
        with zipfile.ZipFile(path) as z:
            shapes = any(re.search(rb"<(?:\w+:)?(?:sp|grpSp|cxnSp)\b", z.read(n)) for n in z.namelist()
                         if n.startswith("xl/drawings/drawing") and n.endswith(".xml"))
    except (OSError, zipfile.BadZipFile, KeyError):
        return ""
    return "原文件中的图形或文本框未能保留在本副本中，请以原文件为准。" if shapes else ""


def write(path: Path, fmt: str, file: str, findings: list[Finding], unit_label: str, out: Path,
          when: dt.datetime, creator: str, rebuild: bool = False) -> Path:
    """Write the returned copy of one submission to `out` and return its path. An .xlsx is edited part by
    part (everything else byte for byte); when its package is shaped otherwise, or for `rebuild`, the copy
    is made with openpyxl, from the workbook or (`rebuild`, .xls, .ods) from its cell values."""
    findings = list(findings)
    if fmt == "xlsx" and not rebuild:
        try:
            return _edited(path, findings, unit_label, out, when)
        except (FileBusy, MemoryError):
            raise
        except Exception as e:  # a package shaped otherwise (package.Unexpected) or not quite well formed
            log.info("%s: %s; the copy is made with openpyxl", file, e)
    if fmt in ("xlsx", "xlsm") and not rebuild:
        wb = load_workbook(path, keep_vba=False, keep_links=False, rich_text=True)
        _keep_escaped(wb)
        if SHEET in wb.sheetnames:  # a returned copy sent in again: its old list goes
            del wb[SHEET]
    else:
        wb = _rebuild(path)
        findings.append(make("N_CONVERTED", file, detail=f".{fmt}"))
    _annotate(wb, findings)
    _findings_sheet(wb, findings, unit_label, "" if rebuild else _lost_drawings(path, fmt), wb.sheetnames)
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == SHEET
    return xlsx.save(wb, out, when, creator)


def _fill_xml(fill: PatternFill) -> str:
    return tostring(fill.to_tree()).decode("utf-8")


def _edited(path: Path, findings: list[Finding], unit_label: str, out: Path, when: dt.datetime) -> Path:
    """The returned copy as the unit's package with only these parts changed: the styles (formats
    added), the marked sheets and their comments, the workbook's sheet list, and the new 问题清单."""
    pkg = package.Package.open(path.read_bytes())
    if SHEET in pkg.sheets:
        raise package.Unexpected("a returned copy sent in again")
    styles = package.Styles(pkg)
    fill = {worst: styles.append("fills", "fill", [_fill_xml(f)]) for worst, f in FILLS.items()}
    marks: dict[str, dict[str, tuple[str, str, int]]] = defaultdict(dict)
    for (sheet, ref), note in _notes(findings, pkg.sheets).items():
        marks[sheet][ref] = note
    for sheet, notes in marks.items():
        part = pkg.sheets[sheet]
        xml = package.sheet_xml(pkg, part)
        texts, sizes = {}, {}
        for ref, (worst, text, count) in notes.items():
            target = package.merged_top_left(xml, ref)
            xml = package.restyle(xml, target, lambda s, k=fill[worst]: styles.with_fill(s, k))
            texts[target] = f"{texts[target]}\n{text}" if target in texts else text
            sizes[target] = _comment_size(count)
        pkg.put(part, package_comments.add(pkg, part, xml, texts, AUTHOR, sizes))
    listing = Workbook()
    _findings_sheet(listing, findings, unit_label, "", list(pkg.sheets))
    listing.remove(listing.worksheets[1])
    made = xlsx.parts(listing)
    offset = styles.merge(made["xl/styles.xml"].decode("utf-8"))
    styles.done()
    sheet = package.inline_strings(made["xl/worksheets/sheet1.xml"].decode("utf-8"),
                                   made.get("xl/sharedStrings.xml", b"").decode("utf-8"))
    titles = re.search(r'<definedName name="_xlnm.Print_Titles"[^>]*>(.*?)</definedName>',
                       made["xl/workbook.xml"].decode("utf-8"))
    package.insert_first_sheet(pkg, SHEET, package.shift_styles(sheet, offset),
                               html.unescape(titles.group(1)) if titles else None)
    with xlsx.placed(out) as tmp, open(tmp, "wb") as f:
        pkg.save(f, when)
    return Path(out)


# ------------------------------------------------------------------ one copy per file of the inbox

def _stem(name: str) -> str:
    """A received file's name without its folders and extension."""
    return Path(name.replace("\\", "/")).name.rsplit(".", 1)[0]


def _name(campaign: Campaign, f, taken: set[str]) -> str:
    s = f.stored
    if s.kind == "street":
        base = campaign.workbooks["street"].title
    elif campaign.unit_name(s.unit_code):
        base = f"{s.unit_code}_{campaign.unit_name(s.unit_code)}"
    else:
        base = f"{UNKNOWN_UNIT}_{fsio.safe_name(_stem(f.name))}"
    name, n = f"{base}.xlsx", 1
    while name in taken:
        n += 1
        name = f"{base}_{n}.xlsx"
    taken.add(name)
    return name


def write_all(campaign: Campaign, ledger, files: list, folder: Path, when: dt.datetime) -> None:
    """An annotated copy for each identified submission of this inbox with errors (退回修改/) or accepted
    with warnings or notes (提示/); not for another round's files an earlier run already answered."""
    taken: set[str] = set()
    for f in files:
        s = f.stored
        if s.status not in ("accepted", "rejected") or s.kind is None or not f.findings or f.quiet:
            continue
        out = folder / (RETURNED_DIR if s.status == "rejected" else NOTICE_DIR) / _name(campaign, f, taken)
        args = (ledger.archived_path(s), s.format, f.name, f.findings, unit_label(campaign, s), out, when,
                campaign.organiser)
        try:
            f.returned = write(*args)
        except (FileBusy, MemoryError):
            raise
        except Exception:  # odd parts openpyxl cannot keep: the copy is rebuilt from the cell values
            log.warning("annotating %s in place failed; rebuilt from values", f.name, exc_info=True)
            try:
                f.returned = write(*args, rebuild=True)
            except (FileBusy, MemoryError):
                raise
            except Exception:  # no copy for this file; its findings are in 汇总报告 and findings.csv
                log.error("no returned copy for %s", f.name, exc_info=True)
