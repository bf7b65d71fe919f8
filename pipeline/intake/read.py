"""Reading a workbook with python-calamine, within the campaign's limits: sheets located by their
headers, each value kept with the Excel cell it came from."""

from __future__ import annotations

import errno
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from openpyxl.utils import get_column_letter

from pipeline.campaign import Campaign, Sheet
from pipeline.campaign.loader import version_key
from pipeline.findings import Finding, make
from pipeline.intake.book import Book
from pipeline.intake.identify import Identity, identify, label_key, named_unit
from pipeline.layout import HEADER_SCAN_ROWS, template_name

_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*>(?:<v>[^<]*</v>)?<f[ >/]')
# A formula whose result was never stored (written by a program, not saved by Excel): no <v>, or an empty
# one on a cell that is not a text result (t="str" with an empty <v> is a formula that gave "").
_NO_VALUE = re.compile(rb'<c r="([A-Z]+\d+)"((?:(?!t="str")[^>])*)>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>')
_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>(.*?)</c>', re.S)  # #DIV/0!, #N/A...: calamine reads ''
_CELL_REF = re.compile(rb'\br="([A-Z]+\d+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_HIDDEN_ROW = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>]*?\bhidden="(?:1|true)"|<row\b[^>]*?\bhidden="(?:1|true)"[^>]*?\br="(\d+)"')
_HIDDEN_COL = re.compile(rb'<col\b([^>]*\bhidden="(?:1|true)"[^>]*)/?>')


class Rejected(Exception):
    """The workbook cannot be read at all; carries the finding that says why."""

    def __init__(self, finding: Finding, unit_code: str | None = None):
        self.finding = finding
        self.unit_code = unit_code  # the unit its 填报说明 names, when it names one of the campaign's
        super().__init__(finding.message)


@dataclass
class SheetData:
    """One layout sheet as found in the workbook: raw values by column key, and where each sits."""
    spec: Sheet
    name: str  # the sheet's name in the workbook
    header_row: int  # 1-based Excel row of the header
    letters: dict[str, str]  # column key -> Excel column letter
    frame: pd.DataFrame  # one column per found key (raw values) plus `_row` (Excel row number)
    formulas: set[str] = field(default_factory=set)  # A1 cells that held formulas
    errors: dict[str, str] = field(default_factory=dict)  # A1 cells that held Excel error values
    no_value: set[str] = field(default_factory=set)  # A1 cells whose formula has no stored result

    def cell(self, key: str, row: int) -> str:
        return f"{self.letters[key]}{row}"


@dataclass
class Workbook:
    path: Path
    format: str
    identity: Identity
    sheets: dict[str, SheetData]
    findings: list[Finding]
    date1904: bool = False  # the workbook counts dates from 1904 (Mac Excel, some WPS settings)


def _col_letter(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _sheet_heads(path: Path) -> list[bytes]:
    """The first 4 KiB of each worksheet part: where its <dimension> is."""
    heads = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                with z.open(info) as f:
                    heads.append(f.read(4096))
    return heads


def check_dimensions(path: Path, fmt: str, campaign: Campaign, file: str) -> None:
    """Refuse an xlsx whose sheets declare more rows or columns than the limits, before loading them."""
    if fmt not in ("xlsx", "xlsm"):
        return
    lim = campaign.limits
    try:
        heads = _sheet_heads(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, struct.error) as e:
        raise Rejected(make("E_CORRUPT", file, detail=f"{type(e).__name__}: {str(e)[:80]}")) from None
    except OSError as e:  # a part's offset before the file's start: the seek is refused (EINVAL)
        if e.errno != errno.EINVAL:
            raise
        raise Rejected(make("E_CORRUPT", file, detail="压缩包中部件的位置无效")) from None
    for head in heads:
        m = _DIMENSION.search(head)
        if not m or not m.group(3):
            continue
        rows = int(m.group(4)) - int(m.group(2)) + 1
        cols = _col_letter(m.group(3).decode()) - _col_letter(m.group(1).decode()) + 1
        if rows > lim.max_rows or cols > lim.max_cols:
            raise Rejected(make("E_TOO_MANY_CELLS", file, detail=f"{rows} 行 × {cols} 列，上限 "
                                                              f"{lim.max_rows} 行 × {lim.max_cols} 列"))


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name inside an xlsx package, from the workbook and its relationships."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    try:
        wb = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, DefusedXmlException):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", ns)}
    out = {}
    for s in wb.findall("m:sheets/m:sheet", ns):
        target = targets.get(s.get(f"{{{ns['r']}}}id"), "")
        out[s.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


@dataclass
class Marks:
    """What an xlsx sheet's XML says beyond its values: formula cells (calamine gives their cached
    values), cells holding Excel error values, hidden rows and columns."""
    formulas: set[str] = field(default_factory=set)
    no_value: set[str] = field(default_factory=set)  # formula cells without a stored result
    errors: dict[str, str] = field(default_factory=dict)  # A1 -> "#DIV/0!"
    hidden_rows: set[int] = field(default_factory=set)  # Excel row numbers
    hidden_cols: set[int] = field(default_factory=set)  # 1-based column numbers


_DATE1904 = re.compile(rb'<(?:\w+:)?workbookPr\b[^>]*\bdate1904="(?:1|true)"')


def date1904(path: Path, fmt: str) -> bool:
    """Whether an xlsx counts its date serials from 1904-01-01 rather than 1899-12-30."""
    if fmt not in ("xlsx", "xlsm"):
        return False
    with zipfile.ZipFile(path) as z:
        try:
            return bool(_DATE1904.search(z.read("xl/workbook.xml")[:65536]))
        except KeyError:
            return False


def sheet_marks(path: Path, fmt: str, names: list[str]) -> dict[str, Marks]:
    """The marks of these sheets (by name), from one opening of the package."""
    out = {name: Marks() for name in names}
    if fmt not in ("xlsx", "xlsm"):
        return out
    with zipfile.ZipFile(path) as z:
        parts, present = _sheet_parts(z), set(z.namelist())
        for name in names:
            part = parts.get(name)
            if part and part in present:
                out[name] = _marks(z.read(part))
    return out


def _marks(data: bytes) -> Marks:
    out = Marks()
    end = data.rfind(b"</sheetData>")  # what follows (data validations' <formula1>...) is not cells
    end = len(data) if end < 0 else end
    if data.find(b"<f", 0, end) >= 0:
        out.formulas = {m.decode() for m in _FORMULA_CELL.findall(data, 0, end)}
        out.no_value = {m[0].decode() for m in _NO_VALUE.findall(data, 0, end)}
    if data.find(b't="e"', 0, end) >= 0:
        for attrs, inner in _ERROR_CELL.findall(data, 0, end):
            ref, value = _CELL_REF.search(attrs), _VALUE.search(inner)
            if ref:
                out.errors[ref.group(1).decode()] = value.group(1).decode(errors="replace") if value else "#错误"
    if data.find(b"hidden=", 0, end) >= 0:
        out.hidden_rows = {int(a or b) for a, b in _HIDDEN_ROW.findall(data, 0, end)}
        for attrs in _HIDDEN_COL.findall(data, 0, end):
            lo, hi = re.search(rb'\bmin="(\d+)"', attrs), re.search(rb'\bmax="(\d+)"', attrs)
            if lo and hi:
                out.hidden_cols.update(range(int(lo.group(1)), min(int(hi.group(1)), 16384) + 1))
    return out


def _find_header(rows: list[list], spec: Sheet) -> tuple[int, dict[str, int], list[tuple[int, str]]]:
    """(0-based header row, column key -> 0-based index, extra labelled columns) by best label match."""
    wanted = {label_key(c.label): c.key for c in spec.columns}
    best = (-1, 0)
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = sum(1 for v in row if label_key(v) in wanted)
        if hits > best[1]:
            best = (r, hits)
    r = best[0]
    if r < 0:
        return -1, {}, []
    found, extra = {}, []
    for j, v in enumerate(rows[r]):
        k = label_key(v)
        if k in wanted and wanted[k] not in found:
            found[wanted[k]] = j
        elif k:
            extra.append((j, str(v).strip()))
    return r, found, extra


def _blank_row(row: list, skip: frozenset[int] = frozenset()) -> bool:
    """Nothing typed in the row; the columns in `skip` (computed by the template) do not count."""
    if row.count("") == len(row):
        return True
    for j, v in enumerate(row):
        if (not isinstance(v, str) or v.strip()) and j not in skip:
            return False
    return True


@dataclass(frozen=True)
class Reading:
    """How one layout sheet is read from its worksheet: the labels of the worksheet's other layout
    columns (a host's or a guest's: not extra), whether it is a guest on its host's rows, and the
    template version of an earlier template (None for the current one)."""
    others: frozenset[str] = frozenset()
    guest: bool = False
    old_version: str | None = None
    template: str = ""  # the current template's file name, for 模板版本较旧
    computed: frozenset[str] = frozenset()  # labels of the columns the template computes (never read, never data)


def read_sheet(book, name: str, spec: Sheet, file: str, marks: Marks, campaign: Campaign,
               findings: list[Finding], how: Reading = Reading()) -> SheetData | None:
    lim = campaign.limits
    height, width = book.dims(name)
    if height > lim.max_rows + HEADER_SCAN_ROWS or width > lim.max_cols:
        raise Rejected(make("E_TOO_MANY_CELLS", file, sheet=name, detail=f"{height} 行 × {width} 列，上限 "
                            f"{lim.max_rows} 行 × {lim.max_cols} 列"))
    rows = book.rows(name)  # row 0 is Excel row 1, column 0 is A
    hr, found, extra = _find_header(rows, spec)
    if hr < 0:
        findings.append(make("E_MISSING_SHEET", file, sheet=name, detail=spec.name))
        return None
    header_row = hr + 1
    # The template's own formulas (the preview): recognised, never read, and a row holding only their results
    # (0, "", an error value, as another program stored them) is not a row the unit typed.
    preview = {k for k in found if spec.column(k).type == "preview"}
    computed = frozenset([found[k] for k in preview] + [j for j, label in extra if label_key(label) in how.computed])
    found = {k: j for k, j in found.items() if k not in preview}
    letters = {k: get_column_letter(j + 1) for k, j in found.items()}
    defaulted = _header_findings(spec, found, extra, how, name, header_row, file, findings)
    first = hr + 1  # keep rows that hold anything: trailing and spacer blank rows are tolerated
    data_cells = {f"{letters[k]}{i + 1}" for k in found for i in range(first, len(rows))} if marks.errors else ()
    errors = {cell: v for cell, v in marks.errors.items() if cell in data_cells}
    error_rows = {int(re.sub(r"[A-Z]+", "", cell)) - 1 for cell in errors}
    kept = [(first + i, row) for i, row in enumerate(rows[first:])
            if not _blank_row(row, computed) or first + i in error_rows]
    short = min((len(row) for _, row in kept), default=0) <= max(found.values(), default=0)  # calamine's rows are full width
    data = {k: [row[j] if j < len(row) else "" for _, row in kept] if short else [row[j] for _, row in kept]
            for k, j in found.items()}
    frame = pd.DataFrame(data, dtype=object)
    frame["_row"] = [i + 1 for i, _ in kept]
    if how.guest:  # the host's rows: a row is the guest's only where its own columns hold something
        own = [k for k in found if k != spec.columns[0].key]
        filled = frame[own].apply(lambda col: col.map(lambda v: not _blank_row([v]))).any(axis=1) if own else \
            pd.Series(False, index=frame.index)
        frame = frame[filled].reset_index(drop=True)
    for key in defaulted:
        frame[key] = None
    for cell, value in sorted(errors.items()):
        key = next(k for k, letter in letters.items() if cell.startswith(letter) and cell[len(letter):].isdigit())
        findings.append(make("E_FORMULA_ERROR", file, sheet=name, cell=cell,
                             column=spec.column(key).label, value=value))
    _note_hidden(marks, frame, found, letters, spec, name, file, findings)
    return SheetData(spec, name, header_row, letters, frame, marks.formulas, errors,
                     no_value=marks.no_value & marks.formulas)


def _header_findings(spec: Sheet, found: dict[str, int], extra: list, how: "Reading", name: str, header_row: int,
                     file: str, findings: list[Finding]) -> list[str]:
    """What the header row says: moved, a column missing (or an older template's), reordered, extra. Returns the
    optional columns an earlier template did not have (read as blank)."""
    if header_row != 1:
        findings.append(make("N_HEADER_MOVED", file, sheet=name, cell=f"A{header_row}", detail=header_row))
    defaulted = []
    for c in spec.columns:
        if c.key in found or c.type == "preview":
            continue
        where = dict(sheet=name, cell=f"A{header_row}", column=c.label)
        if how.old_version and not c.required:
            defaulted.append(c.key)
            findings.append(make("N_OLD_TEMPLATE", file, detail=f"版本 {how.old_version}", **where))
        elif how.old_version:
            findings.append(make("E_OLD_TEMPLATE", file, detail=f"版本 {how.old_version}，新模板为 {how.template}",
                                 **where))
        else:
            findings.append(make("E_MISSING_COLUMN", file, **where))
    order = [c.key for c in spec.columns if c.key in found]
    if sorted(order, key=found.get) != order and not how.guest:
        findings.append(make("N_COLUMN_ORDER", file, sheet=name, cell=f"A{header_row}"))
    for j, label in extra:
        if label_key(label) not in how.others:
            findings.append(make("N_EXTRA_COLUMN", file, sheet=name, cell=f"{get_column_letter(j + 1)}{header_row}",
                                 column=label))
    return defaulted


def _note_hidden(marks: Marks, frame: pd.DataFrame, found: dict[str, int], letters: dict[str, str], spec: Sheet,
                 sheet: str, file: str, findings: list[Finding]) -> None:
    """W_HIDDEN_DATA: rows or columns hidden in Excel still hold data, and it is counted."""
    rows = sorted(set(frame["_row"]) & marks.hidden_rows)
    cols = sorted(k for k, j in found.items() if j + 1 in marks.hidden_cols and frame[k].astype(str).str.strip().ne("").any())
    if rows:
        shown = "、".join(map(str, rows[:10])) + (f" 等 {len(rows)} 行" if len(rows) > 10 else "")
        findings.append(make("W_HIDDEN_DATA", file, sheet=sheet, cell=f"A{rows[0]}", detail=f"第 {shown} 行"))
    for k in cols:
        findings.append(make("W_HIDDEN_DATA", file, sheet=sheet, cell=f"{letters[k]}{int(frame['_row'].iloc[0])}",
                             detail=f"“{spec.column(k).label}”列"))


def _reading(layout, spec: Sheet, ident: Identity, campaign: Campaign) -> Reading:
    """How `spec` is read from the worksheet the identification found for it."""
    name = ident.sheets.get(spec.key)
    on_worksheet = [s for s in layout.sheets if s.key != spec.key and ident.sheets.get(s.key) == name]
    others = frozenset(label_key(c.label) for s in on_worksheet for c in s.columns)
    version = ident.meta.get("template_version", "")
    unknown = bool(version) and version not in campaign.template_versions
    old = version if _older(version, campaign.template_version) or unknown else None
    rnd = ident.meta.get("round") or campaign.rounds[0].code
    computed = frozenset(label_key(c.label) for s in layout.sheets for c in s.columns if c.type == "preview")
    return Reading(others, bool(spec.host) and ident.sheets.get(spec.host) == name, old,
                   template_name(layout.title, rnd), computed)


def _older(version: str, current: str) -> bool:
    try:
        return version_key(version) < version_key(current)
    except ValueError:
        return False


def read_workbook(path: Path, fmt: str, campaign: Campaign, file: str) -> Workbook:
    """Open, identify and read every layout sheet; raise Rejected when the file is unusable."""
    check_dimensions(path, fmt, campaign, file)
    try:
        book = Book(path, fmt)
        ident = identify(book, campaign)
    except python_calamine.PasswordError:
        raise Rejected(make("E_ENCRYPTED", file)) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # calamine raises several types for broken files, and may panic
        raise Rejected(make("E_CORRUPT", file, detail=f"{type(e).__name__}: {str(e)[:80]}")) from None
    if ident.kind is None:
        code = "E_WRONG_CAMPAIGN" if ident.via == "meta" else "E_NOT_TEMPLATE"
        raise Rejected(make(code, file, detail=ident.reason), named_unit(book, campaign))
    findings: list[Finding] = []
    if fmt == "xlsm":
        findings.append(make("N_MACRO", file))
    if ident.via == "headers":
        findings.append(make("N_NO_META", file, detail=campaign.workbooks[ident.kind].title))
    version = ident.meta.get("template_version", "")
    if version and version not in campaign.template_versions:
        findings.append(make("N_UNKNOWN_VERSION", file, value=version, detail="、".join(campaign.template_versions)))
    layout = campaign.workbooks[ident.kind]
    sheets = {}
    try:
        names = list(dict.fromkeys(n for n in ident.sheets.values() if n))
        marks = sheet_marks(path, fmt, names)
        epoch1904 = date1904(path, fmt)
        for spec in layout.sheets:
            name = ident.sheets.get(spec.key)
            if name is None:
                if not spec.optional:  # a tally sheet a unit does not use may be left out
                    findings.append(make("E_MISSING_SHEET", file, detail=spec.name))
                continue
            how = _reading(layout, spec, ident, campaign)
            if name != spec.name and not how.guest:
                findings.append(make("N_SHEET_RENAMED", file, sheet=name, value=name, detail=spec.name))
            data = read_sheet(book, name, spec, file, marks[name], campaign, findings, how)
            if data is not None:
                sheets[spec.key] = data
    except Rejected:
        raise
    except python_calamine.PasswordError:
        raise Rejected(make("E_ENCRYPTED", file)) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:
        raise Rejected(make("E_CORRUPT", file, detail=f"{type(e).__name__}: {str(e)[:80]}")) from None
    return Workbook(path, fmt, ident, sheets, findings, epoch1904)
