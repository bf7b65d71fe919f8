"""退回修改: the unit's own workbook with every faulty cell filled and commented in Chinese, and a
first sheet 问题清单 linking to each cell. The unit fixes it and sends it straight back."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from pathlib import Path

import python_calamine
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink

from pipeline.campaign import Campaign
from pipeline.fsio import FileBusy
from pipeline.findings import Finding, make
from pipeline.intake.book import Book
from pipeline.labels import RETURNED_DIR
from pipeline.outputs import xlsx
from pipeline.outputs.xlsx import set_text

log = logging.getLogger(__name__)
SHEET = "问题清单"
UNKNOWN_UNIT = "未识别单位"
FILLS = {"错误": PatternFill("solid", fgColor="FF9999"), "警告": PatternFill("solid", fgColor="FFE699")}
HEADERS = ["序号", "严重程度", "工作表", "单元格", "列", "填写内容", "问题", "修改方法"]
WIDTHS = [6, 9, 12, 9, 14, 18, 18, 70]


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
        for row in ws.iter_rows():
            for cell in row:
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


def _annotate(wb: Workbook, findings: list[Finding]) -> None:
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.sheet in wb.sheetnames and f.cell and not f.code.startswith("N_"):
            by_cell[(f.sheet, f.cell)].append(f)
    for (sheet, ref), group in by_cell.items():
        cell = _writable(wb[sheet], ref)
        worst = "错误" if any(f.is_error for f in group) else "警告"
        cell.fill = FILLS[worst]
        text = "\n".join(f"【{f.severity}】{f.title}：{f.message}" for f in group)
        comment = Comment(xlsx.clean_text(text), "街道党办")
        comment.width, comment.height = 320, 40 + 40 * len(group)
        cell.comment = comment


def _findings_sheet(wb: Workbook, findings: list[Finding], unit_label: str) -> None:
    ws = wb.create_sheet(SHEET, 0)
    errors = sum(f.is_error for f in findings)
    warnings = sum(f.code.startswith("W_") for f in findings)
    ws["A1"] = (f"{unit_label}：本表共发现 {errors} 处错误、{warnings} 处警告。"
                "红色为错误（必须修改后重新报送），黄色为警告（请核实）。点击“单元格”可跳到该格。"
                "可直接在本文件中修改，改好后另存为 .xlsx 重新报送。")
    ws["A1"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.row_dimensions[1].height = 48
    for j, (h, w) in enumerate(zip(HEADERS, WIDTHS), start=1):
        c = ws.cell(2, j, h)
        c.font = Font(bold=True)
        ws.column_dimensions[c.column_letter].width = w
    order = {"错误": 0, "警告": 1, "提示": 2}
    for n, f in enumerate(sorted(findings, key=lambda f: order[f.severity]), start=1):
        r = n + 2
        values = [n, f.severity, f.sheet, f.cell, f.column, f.value, f.title, f.message]
        for j, v in enumerate(values, start=1):
            xlsx.set_text(ws.cell(r, j), v)
        ws.cell(r, 8).alignment = Alignment(wrap_text=True, vertical="top")
        if f.severity in FILLS:
            ws.cell(r, 2).fill = FILLS[f.severity]
        if f.sheet in wb.sheetnames:
            link = ws.cell(r, 4)
            target = f.cell or "A1"
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{f.sheet}'!{target}", display=target)
            xlsx.set_text(link, target)
            link.font = Font(color="0563C1", underline="single")
    ws.freeze_panes = "A3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "2:2"


def write(path: Path, fmt: str, file: str, findings: list[Finding], unit_label: str, out: Path,
          when: dt.datetime, creator: str, rebuild: bool = False) -> Path:
    """Write the returned copy of one submission to `out` and return its path; `rebuild`: from the
    cell values (as for .xls), when the workbook itself cannot be annotated in place."""
    findings = list(findings)
    if fmt in ("xlsx", "xlsm") and not rebuild:
        wb = load_workbook(path, keep_vba=False, keep_links=False, rich_text=True)
        _keep_escaped(wb)
    else:
        wb = _rebuild(path)
        findings.append(make("N_CONVERTED", file, detail=f".{fmt}"))
    _annotate(wb, findings)
    _findings_sheet(wb, findings, unit_label)
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == SHEET
    return xlsx.save(wb, out, when, creator)


# ------------------------------------------------------------------ one copy per file of the inbox

def unit_label(campaign: Campaign, s) -> str:
    if s.kind == "street":
        return campaign.workbooks["street"].title
    name = campaign.unit_name(s.unit_code)
    return f"{s.unit_code} {name}" if name else UNKNOWN_UNIT


def safe_stem(name: str) -> str:
    """A received file's name, usable as part of an output file name on any system: no path
    separators or reserved characters, no leading dots, bounded length."""
    stem = Path(name.replace("\\", "/")).name.rsplit(".", 1)[0]
    stem = re.sub(r'[\x00-\x1f<>:"/\\|?*]+', "_", stem).strip(" .")
    return stem[:60] or "文件"


def _name(campaign: Campaign, f, taken: set[str]) -> str:
    s = f.stored
    if s.kind == "street":
        base = campaign.workbooks["street"].title
    elif campaign.unit_name(s.unit_code):
        base = f"{s.unit_code}_{campaign.unit_name(s.unit_code)}"
    else:
        base = f"{UNKNOWN_UNIT}_{safe_stem(f.name)}"
    name, n = f"{base}.xlsx", 1
    while name in taken:
        n += 1
        name = f"{base}_{n}.xlsx"
    taken.add(name)
    return name


def write_all(campaign: Campaign, ledger, files: list, folder: Path, when: dt.datetime) -> None:
    """An annotated copy for each identified submission of this inbox with errors or warnings."""
    taken: set[str] = set()
    for f in files:
        s = f.stored
        if s.status not in ("accepted", "rejected") or s.kind is None:
            continue
        if not any(x.code[0] in "EW" for x in f.findings):
            continue
        out = folder / RETURNED_DIR / _name(campaign, f, taken)
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
