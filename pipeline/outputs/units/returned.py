"""Returned copies: the unit's own workbook with every faulty cell filled and commented in Chinese, and a
first sheet 问题清单 linking to each cell, whose first line says what the copy is. Files with errors go
to 退回修改/ (须修改后重新报送: the unit fixes the copy and sends it straight back); files accepted with
warnings or notes go to 提示/ (已受理，无需重报). The unit's pictures and charts stay."""

from __future__ import annotations

import copy
import datetime as dt
import io
import logging
import re
import zipfile
from collections import defaultdict
from pathlib import Path

import python_calamine
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.xml.functions import tostring

from pipeline.campaign import Campaign
from pipeline import fsio
from pipeline.fsio import FileBusy
from pipeline.findings import ERROR, Finding, make
from pipeline.intake.book import Book
from pipeline.labels import ACCEPTED_ADVICE, NOTICE_DIR, RETURNED_DIR, UNKNOWN_UNIT, unit_label
from pipeline.layout import INFO_SHEET
from pipeline.outputs.units import listing, package, package_comments
from pipeline.outputs.units.listing import FILLS, HEADERS, SHEET
from pipeline.outputs.units.templates import INPUT_FILL
from pipeline.outputs.kits import xlsx
from pipeline.outputs.kits.xlsx import set_text

log = logging.getLogger(__name__)
VERDICT = {True: ("须修改后重新报送", "本文件有错误，未被受理。请在本文件中逐项修改（点击“单元格”可跳到该格），"
                  "改好后另存为 .xlsx 重新报送。"),
           False: ("已受理，无需重报", f"本文件{ACCEPTED_ADVICE}。")}
AUTHOR = "街道党办"
_MARKS = tuple(f"【{severity}】" for severity in FILLS)  # how each line of our comments begins
NAME_LIMIT = 40  # characters of a unit's name kept in its copy's file name (the unit code is always kept)


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


def _is_ours(rows) -> bool:
    """Whether a sheet whose first rows are `rows` is one of our lists (a returned copy sent back) rather
    than a unit's own sheet that happens to be named 问题清单."""
    rows = list(rows)
    head = [] if len(rows) < 3 else ["" if v is None else str(v) for v in list(rows[2])[:len(HEADERS)]]
    return head == HEADERS


def _list_is_ours(data: bytes) -> bool:
    try:
        rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(SHEET).to_python(
            skip_empty_area=False, nrows=3)
    except Exception:  # no such sheet, or one calamine cannot read: not a list of ours
        return False
    return _is_ours(rows)


def _unmark(wb: Workbook) -> None:
    """Take off what an earlier returned copy added to the unit's cells: our comments (our lines after a
    comment of the unit's own) and our fills (a 填报说明 value cell gets its fill-in yellow back)."""
    ours = {f.fgColor.rgb[-6:] for f in FILLS.values()}
    for ws in wb.worksheets:
        for cell in list(ws._cells.values()):
            if cell.comment is not None:
                cell.comment = _without_ours(cell.comment)
            if cell.fill.fill_type == "solid" and str(cell.fill.fgColor.rgb)[-6:] in ours:
                cell.fill = copy.copy(INPUT_FILL) if ws.title == INFO_SHEET else PatternFill()


def _without_ours(comment: Comment) -> Comment | None:
    """The unit's part of `comment` (ours come after it), or None when all of it is ours."""
    if comment.author == AUTHOR:
        return None
    lines = (comment.text or "").split("\n")
    first = next((i for i, line in enumerate(lines) if line.startswith(_MARKS)), len(lines))
    text = "\n".join(lines[:first]).rstrip("\n")
    if not text.strip():
        return None
    kept = Comment(text, comment.author)
    kept.width, kept.height = comment.width, comment.height
    return kept


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
    part (everything else byte for byte). When its package is shaped otherwise, or is a returned copy sent
    back (its old marks and list go), it is first saved again by openpyxl; for `rebuild`, .xls and .ods, it
    is first rebuilt from its cell values."""
    findings = list(findings)
    if fmt == "xlsx" and not rebuild:
        try:
            return _edited(path.read_bytes(), findings, unit_label, out, when)
        except (FileBusy, MemoryError):
            raise
        except Exception as e:  # a package shaped otherwise (package.Unexpected) or not quite well formed
            log.info("%s: %s; the copy is made with openpyxl", file, e)
    lost = ""
    if fmt in ("xlsx", "xlsm") and not rebuild:
        wb = load_workbook(path, keep_vba=False, keep_links=False, rich_text=True)
        _keep_escaped(wb)
        lost = _lost_drawings(path, fmt)
    else:
        wb = _rebuild(path)
        findings.append(make("N_CONVERTED", file, detail=f".{fmt}"))
    if SHEET in wb.sheetnames and _is_ours(wb[SHEET].iter_rows(max_row=3, values_only=True)):
        _unmark(wb)
        del wb[SHEET]
    return _edited(xlsx.package_bytes(wb, when, creator), findings, unit_label, out, when, lost)


def _fill_xml(fill: PatternFill) -> str:
    return tostring(fill.to_tree()).decode("utf-8")


def _edited(data: bytes, findings: list[Finding], unit_label: str, out: Path, when: dt.datetime, lost: str = "") -> Path:
    """The returned copy as the unit's package `data` with only these parts changed: the styles (formats
    added), the marked sheets and their comments, the workbook's sheet list, and the new 问题清单."""
    pkg = package.Package.open(data)
    if SHEET in pkg.sheets and _list_is_ours(data):
        raise package.Unexpected("a returned copy sent in again")  # its marks are taken off with openpyxl
    styles = package.Styles(pkg)
    fill = {worst: styles.append("fills", "fill", [_fill_xml(f)]) for worst, f in FILLS.items()}
    marks: dict[str, dict[str, tuple[str, str, int]]] = defaultdict(dict)
    for (sheet, ref), note in _notes(findings, pkg.sheets).items():
        marks[sheet][ref] = note
    for sheet, notes in marks.items():
        part = pkg.sheets[sheet]
        xml = package.sheet_xml(pkg, part)
        ranges = package.merged_ranges(xml)
        texts, sizes, worst_of = {}, {}, {}
        for ref, (worst, text, count) in notes.items():
            target = package.merged_top_left(xml, ref, ranges)  # a merged range's comment sits on its first cell
            texts[target] = f"{texts[target]}\n{text}" if target in texts else text
            sizes[target] = _comment_size(count)
            worst_of[target] = ERROR if ERROR in (worst, worst_of.get(target)) else worst
        xml = package.restyle_all(xml, {t: (lambda s, k=fill[w]: styles.with_fill(s, k)) for t, w in worst_of.items()})
        pkg.put(part, package_comments.add(pkg, part, xml, texts, AUTHOR, sizes))
    offset = styles.merge(listing.styles()[0])
    styles.done()
    made = listing.build(findings, VERDICT[any(f.is_error for f in findings)], unit_label, lost, list(pkg.sheets), offset)
    package.insert_first_sheet(pkg, made.name, made.xml, made.print_titles)
    with xlsx.placed(out) as tmp, open(tmp, "wb") as f:
        pkg.save(f, when)
    return Path(out)


# ------------------------------------------------------------------ one copy per file of the inbox

def _stem(name: str) -> str:
    """A received file's name without its folders and extension."""
    return Path(name.replace("\\", "/")).name.rsplit(".", 1)[0]


def copy_name(campaign: Campaign, f, taken: set[str]) -> str:
    """The copy's file name: the unit code and name (or the street form's title, or the received file's
    name), made safe for Windows (no reserved characters, at most NAME_LIMIT characters of a name, the unit
    code always kept) and unique in `taken` as Windows compares names."""
    s = f.stored
    if s.kind == "street":
        base = fsio.safe_name(campaign.workbooks["street"].title, NAME_LIMIT)
    elif campaign.unit_name(s.unit_code):
        base = f"{fsio.safe_name(s.unit_code, NAME_LIMIT)}_{fsio.safe_name(campaign.unit_name(s.unit_code), NAME_LIMIT)}"
    else:
        base = f"{UNKNOWN_UNIT}_{fsio.safe_name(_stem(f.name), NAME_LIMIT)}"
    name, n = f"{base}.xlsx", 1
    while name.casefold() in taken:
        n += 1
        name = f"{base}_{n}.xlsx"
    taken.add(name.casefold())
    return name


def write_all(campaign: Campaign, ledger, files: list, folder: Path, when: dt.datetime) -> None:
    """An annotated copy for each identified submission of this inbox with errors (退回修改/) or accepted
    with warnings or notes (提示/); not for another round's files an earlier run already answered. A copy
    that cannot be written is left in the file's `copy_failed` (said on screen and in 回复清单)."""
    taken: set[str] = set()
    for f in files:
        s = f.stored
        if s.status not in ("accepted", "rejected") or s.kind is None or not f.findings or f.quiet:
            continue
        out = folder / (RETURNED_DIR if s.status == "rejected" else NOTICE_DIR) / copy_name(campaign, f, taken)
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
            except Exception as e:  # no copy for this file; its findings are in 明细表 and findings.csv
                log.error("no returned copy for %s", f.name, exc_info=True)
                f.copy_failed = f"{type(e).__name__}: {e}"
