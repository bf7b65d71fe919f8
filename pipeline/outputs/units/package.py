"""Edits to an .xlsx package part by part: every part a change does not need is copied byte for byte, so
a unit's workbook keeps whatever it holds (pictures, shapes, charts, styles, macrosheets' neighbours).

The edits are textual, on the shapes Excel, WPS, LibreOffice and openpyxl write (unprefixed
SpreadsheetML, cells and rows with their references). Anything else raises `Unexpected`, and the
caller takes the slower way that rebuilds the workbook."""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from html import escape

from defusedxml import ElementTree as SafeET

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_REF = re.compile(r"([A-Z]{1,3})(\d+)")
_XML_DECL = r"\s*(?:<\?xml[^>]*>\s*)?"
# Workbook children that come after <definedNames>.
_AFTER_NAMES = re.compile(r"<(?:calcPr|oleSize|customWorkbookViews|pivotCaches|smartTagPr|smartTagTypes|webPublishing"
                          r"|fileRecoveryPr|webPublishObjects|extLst)\b|</workbook>")


class Unexpected(Exception):
    """The package is not shaped as the textual edits expect."""


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def position(ref: str) -> tuple[int, int]:
    """(row, column) of a cell reference such as "C12", both counted from 1."""
    col, row = _REF.fullmatch(ref).groups()
    return int(row), _col(col)


def _attr(tag: str, name: str) -> str | None:
    m = re.search(rf'\s{name}="([^"]*)"', tag)
    return m.group(1) if m else None


def _set_attr(tag: str, name: str, value: str) -> str:
    """`tag` (a start tag) with attribute `name` set to `value`."""
    if _attr(tag, name) is not None:
        return re.sub(rf'(\s{name}=")[^"]*"', lambda m: f'{m.group(1)}{value}"', tag, count=1)
    end = -2 if tag.endswith("/>") else -1
    return f'{tag[:end]} {name}="{value}"{tag[end:]}'


@dataclass
class Package:
    """An .xlsx package read into memory: its entries in order, the parts changed so far, the sheets by name."""
    infos: list[zipfile.ZipInfo]
    raw: dict[str, bytes]
    changed: dict[str, bytes] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)  # worksheet name -> part name

    @classmethod
    def open(cls, data: bytes) -> "Package":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            raw = {i.filename: z.read(i) for i in infos}
        pkg = cls(infos, raw)
        override = re.search(r'<Override\b[^>]*PartName="/xl/workbook.xml"[^>]*>', pkg.text("[Content_Types].xml"))
        if override is None or _attr(override.group(0), "ContentType") != WORKBOOK_TYPE:
            raise Unexpected("not a plain workbook (macros, a template, or another layout)")
        root = SafeET.fromstring(pkg.raw["xl/workbook.xml"])
        if root.tag != f"{{{MAIN}}}workbook" or not re.match(_XML_DECL + "<workbook\\b", pkg.text("xl/workbook.xml")):
            raise Unexpected("workbook.xml is not unprefixed SpreadsheetML")
        rels = pkg.rels("xl/workbook.xml")
        for sheet in root.iter(f"{{{MAIN}}}sheet"):
            target = rels.get(sheet.get(f"{{{REL}}}id"))
            if target is None:
                raise Unexpected("a sheet without its relationship")
            pkg.sheets[sheet.get("name")] = target[1]
        return pkg

    def text(self, name: str) -> str:
        data = self.changed.get(name, self.raw.get(name))
        if data is None:
            raise Unexpected(f"no part {name}")
        return data.decode("utf-8")

    def put(self, name: str, text: str) -> None:
        self.changed[name] = text.encode("utf-8")

    def has(self, name: str) -> bool:
        return name in self.changed or name in self.raw

    @staticmethod
    def rels_name(part: str) -> str:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", base + ".rels")

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, part name) of `part`'s internal relationships."""
        name = self.rels_name(part)
        if not self.has(name):
            return {}
        out = {}
        for r in SafeET.fromstring(self.text(name)).iter(f"{{{PKG}}}Relationship"):
            if r.get("TargetMode") == "External":
                continue
            target = r.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
            out[r.get("Id")] = (r.get("Type", "").rsplit("/", 1)[-1], path)
        return out

    def add_rel(self, part: str, kind: str, target: str) -> str:
        """Add a relationship of `part` to the part `target`; return its new id."""
        name = self.rels_name(part)
        text = self.text(name) if self.has(name) else f'<Relationships xmlns="{PKG}"></Relationships>'
        taken = set(re.findall(r'\sId="([^"]*)"', text))
        rid = next(f"rId{n}" for n in range(len(taken) + 1, len(taken) + 1000) if f"rId{n}" not in taken)
        line = f'<Relationship Id="{rid}" Type="{REL}/{kind}" Target="/{target}"/>'
        if "</Relationships>" not in text:
            raise Unexpected("relationships part without its end tag")
        self.put(name, text.replace("</Relationships>", line + "</Relationships>", 1))
        return rid

    def add_type(self, part: str, content_type: str) -> None:
        text = self.text("[Content_Types].xml")
        ext = part.rsplit(".", 1)[-1]
        if content_type == VML_TYPE:
            if re.search(rf'<Default\s[^>]*Extension="{ext}"', text, re.I):
                return
            line = f'<Default Extension="{ext}" ContentType="{content_type}"/>'
        else:
            line = f'<Override PartName="/{part}" ContentType="{content_type}"/>'
        self.put("[Content_Types].xml", text.replace("</Types>", line + "</Types>", 1))

    def free_name(self, pattern: str) -> str:
        """The first part name of `pattern` (with {} for a number) not in the package."""
        return next(pattern.format(n) for n in range(1, 10_000) if not self.has(pattern.format(n)))

    def save(self, out, when: dt.datetime) -> None:
        """Write the package to the open binary file `out`: unchanged parts as they were, in their order."""
        stamp = when.timetuple()[:6]
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
            seen = set()
            for info in self.infos:
                seen.add(info.filename)
                data = self.changed.get(info.filename, self.raw[info.filename])
                copy = zipfile.ZipInfo(info.filename, info.date_time if info.filename not in self.changed else stamp)
                copy.compress_type = zipfile.ZIP_DEFLATED
                copy.external_attr = info.external_attr
                z.writestr(copy, data)
            for name, data in self.changed.items():
                if name not in seen:
                    info = zipfile.ZipInfo(name, stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(info, data)


# ------------------------------------------------------------------ styles

class Styles:
    """xl/styles.xml, grown by appending: new fills, fonts, borders and cell formats, never a changed index."""

    def __init__(self, pkg: Package):
        self.pkg, self.name = pkg, self._part(pkg)
        self.xml = pkg.text(self.name)
        if not re.match(_XML_DECL + r"<styleSheet\b", self.xml):
            raise Unexpected("styles.xml is not unprefixed SpreadsheetML")
        self._clones: dict[tuple[int, int], int] = {}

    @staticmethod
    def _part(pkg: Package) -> str:
        found = [p for kind, p in pkg.rels("xl/workbook.xml").values() if kind == "styles"]
        if not found:
            raise Unexpected("no styles part")
        return found[0]

    def _section(self, tag: str) -> re.Match:
        m = re.search(rf"<{tag}\b[^>]*?(?:/>|>(.*?)</{tag}>)", self.xml, re.S)
        if m is None:
            raise Unexpected(f"styles.xml has no <{tag}>")
        return m

    def items(self, tag: str, item: str) -> list[str]:
        body = self._section(tag).group(1) or ""
        return re.findall(rf"<{item}\b[^>]*?(?:/>|>.*?</{item}>)", body, re.S)

    def append(self, tag: str, item: str, elements: list[str]) -> int:
        """Append `elements` to the <tag> list; return the index of the first."""
        m = self._section(tag)
        start = len(self.items(tag, item))
        body = (m.group(1) or "") + "".join(elements)
        head = re.match(rf"<{tag}\b[^>]*?(?=/?>)", m.group(0)).group(0)
        head = _set_attr(head + ">", "count", str(start + len(elements)))
        self.xml = self.xml[:m.start()] + head + body + f"</{tag}>" + self.xml[m.end():]
        return start

    def with_fill(self, xf: int, fill: int) -> int:
        """A cell format like `xf` but with the fill `fill`."""
        key = (xf, fill)
        if key not in self._clones:
            formats = self.items("cellXfs", "xf")
            if not 0 <= xf < len(formats):
                raise Unexpected(f"a cell refers to the cell format {xf}, which does not exist")
            tag = re.match(r"<xf\b[^>]*?(?=/?>)", formats[xf]).group(0) + ">"
            new = _set_attr(_set_attr(tag, "fillId", str(fill)), "applyFill", "1")
            self._clones[key] = self.append("cellXfs", "xf", [new[:-1] + formats[xf][len(tag) - 1:]])
        return self._clones[key]

    def merge(self, other: str) -> int:
        """Append the fonts, fills, borders and cell formats of another styles.xml (one written by
        openpyxl, with built-in number formats only); return the offset of its cell formats."""
        theirs = Styles.__new__(Styles)
        theirs.xml = other
        offsets = {}
        for tag, item, key in (("fonts", "font", "fontId"), ("fills", "fill", "fillId"), ("borders", "border", "borderId")):
            offsets[key] = self.append(tag, item, theirs.items(tag, item))
        formats = []
        for xf in theirs.items("cellXfs", "xf"):
            if int(_attr(xf, "numFmtId") or 0) >= 164:
                raise Unexpected("a custom number format in the sheet to add")
            for key, offset in offsets.items():
                xf = re.sub(rf'(\s{key}=")(\d+)"', lambda m, o=offset: f'{m.group(1)}{int(m.group(2)) + o}"', xf, count=1)
            formats.append(re.sub(r'(\sxfId=")\d+"', r'\g<1>0"', xf, count=1))
        return self.append("cellXfs", "xf", formats)

    def done(self) -> None:
        self.pkg.put(self.name, self.xml)


# ------------------------------------------------------------------ cells of a worksheet

def sheet_xml(pkg: Package, part: str) -> str:
    xml = pkg.text(part)
    if not re.match(_XML_DECL + r"<worksheet\b", xml):
        raise Unexpected("a worksheet that is not unprefixed SpreadsheetML")
    return xml


def merged_ranges(xml: str) -> list[tuple[int, int, int, int, str]]:
    """The sheet's merged ranges: (first column, first row, last column, last row, top-left cell)."""
    out = []
    for a, b in re.findall(r'<mergeCell\s+ref="([A-Z]+\d+):([A-Z]+\d+)"', xml):
        (ca, ra), (cb, rb) = _REF.fullmatch(a).groups(), _REF.fullmatch(b).groups()
        out.append((_col(ca), int(ra), _col(cb), int(rb), a))
    return out


def merged_top_left(xml: str, ref: str, ranges: list | None = None) -> str:
    """The top-left cell of the merged range covering `ref`, or `ref` itself (`ranges`: merged_ranges)."""
    col, row = _REF.fullmatch(ref).groups()
    c, r = _col(col), int(row)
    for ca, ra, cb, rb, top_left in merged_ranges(xml) if ranges is None else ranges:
        if ca <= c <= cb and ra <= r <= rb:
            return top_left
    return ref


_ROW = re.compile(r"<row\b[^>]*?(/?)>")
_CELL = re.compile(r"<c\b[^>]*?(/?)>")


def restyle(xml: str, ref: str, style_of) -> str:
    """`xml` with the cell `ref` given the style `style_of(current style)` (see restyle_all)."""
    return restyle_all(xml, {ref: style_of})


def restyle_all(xml: str, targets: dict) -> str:
    """`xml` with each cell of `targets` (cell -> style_of(current style)) given its new style, a cell (and
    its row) added in order where the sheet does not hold it yet. One pass over the sheet, whatever the
    number of cells: a unit that typed its own word in every rating cell has thousands."""
    by_row: dict[int, dict[int, tuple]] = {}
    for ref, style_of in targets.items():
        col, row = _REF.fullmatch(ref).groups()
        by_row.setdefault(int(row), {})[_col(col)] = (ref, style_of)
    pending, i = sorted(by_row), 0
    head = xml.split("<sheetData", 1)[0]  # the column formats a new cell takes
    out, at = [], 0
    for m in _ROW.finditer(xml):
        number = _attr(m.group(0), "r")
        if number is None:
            raise Unexpected("a row without its number")
        r = int(number)
        while i < len(pending) and pending[i] < r:  # a new row, before the first row below it
            out += [xml[at:m.start()], _new_row(pending[i], by_row[pending[i]], head)]
            at, i = m.start(), i + 1
        if i == len(pending) or pending[i] != r:
            continue
        tag = m.group(0)
        base = (lambda c, t=tag: int(_attr(t, "s") or 0)) if _attr(tag, "customFormat") in ("1", "true") else \
            (lambda c: _column_style(head, c))
        if m.group(1):  # <row .../>: give it a body
            out += [xml[at:m.start()], tag[:-2] + ">", _cells(by_row[r], base), "</row>"]
            at = m.end()
        else:
            end = xml.index("</row>", m.end())
            out += [xml[at:m.end()], _restyle_row(xml[m.end():end], by_row[r], base)]
            at = end
        i += 1
    rest = xml[at:]
    if i < len(pending):
        extra = "".join(_new_row(p, by_row[p], head) for p in pending[i:])
        rest = rest.replace("</sheetData>", extra + "</sheetData>", 1) if "</sheetData>" in rest else \
            re.sub(r"<sheetData\s*/>", lambda _: f"<sheetData>{extra}</sheetData>", rest, count=1)
    return "".join(out) + rest


def _cells(targets: dict[int, tuple], base) -> str:
    """New cells for `targets` (column -> (cell, style_of)), in column order, on their base styles."""
    return "".join(f'<c r="{ref}" s="{style_of(base(c))}"/>' for c, (ref, style_of) in sorted(targets.items()))


def _new_row(number: int, targets: dict[int, tuple], head: str) -> str:
    return f'<row r="{number}">' + _cells(targets, lambda c: _column_style(head, c)) + "</row>"


def _restyle_row(body: str, targets: dict[int, tuple], base) -> str:
    """A row's cells with the targets restyled, and those the row lacks added in column order."""
    todo, k, out, at = sorted(targets.items()), 0, [], 0
    for cell in _CELL.finditer(body):
        ref = _attr(cell.group(0), "r")
        if ref is None:
            raise Unexpected("a cell without its reference")
        column = _col(_REF.fullmatch(ref).group(1))
        while k < len(todo) and todo[k][0] < column:
            out += [body[at:cell.start()], _cells(dict([todo[k]]), base)]
            at, k = cell.start(), k + 1
        if k < len(todo) and todo[k][0] == column:
            tag = cell.group(0)
            out += [body[at:cell.start()], _set_attr(tag, "s", str(todo[k][1][1](int(_attr(tag, "s") or 0))))]
            at, k = cell.start() + len(tag), k + 1
    return "".join(out) + body[at:] + _cells(dict(todo[k:]), base)


def _column_style(xml: str, col: int) -> int:
    for tag in re.findall(r"<col\b[^>]*>", xml.split("<sheetData", 1)[0]):
        if int(_attr(tag, "min") or 0) <= col <= int(_attr(tag, "max") or 0):
            return int(_attr(tag, "style") or 0)
    return 0


# ------------------------------------------------------------------ a new first sheet

def insert_first_sheet(pkg: Package, name: str, content: str, print_titles: str | None) -> None:
    """Add a worksheet named `name` before every other sheet and make it the one shown on opening;
    other sheets keep their parts (only their selected-tab mark is cleared)."""
    part = pkg.free_name("xl/worksheets/sheet{}.xml")
    pkg.put(part, content)
    pkg.add_type(part, SHEET_TYPE)
    rid = pkg.add_rel("xl/workbook.xml", "worksheet", part)
    xml = pkg.text("xl/workbook.xml")
    ids = [int(i) for i in re.findall(r'<sheet\b[^>]*?\ssheetId="(\d+)"', xml)]
    m = re.search(r"<sheets\b[^>]*>", xml)
    if m is None:
        raise Unexpected("workbook.xml without <sheets>")
    xml = (xml[:m.end()] + f'<sheet xmlns:r="{REL}" name="{escape(name)}" sheetId="{max(ids, default=0) + 1}" '
           f'r:id="{rid}"/>' + xml[m.end():])
    xml = re.sub(r'(\slocalSheetId=")(\d+)"', lambda k: f'{k.group(1)}{int(k.group(2)) + 1}"', xml)
    xml = re.sub(r"<workbookView\b[^>]*?/?>", lambda v: re.sub(r'\s(?:activeTab|firstSheet)="\d+"', "", v.group(0)), xml)
    if print_titles:
        defined = f'<definedName name="_xlnm.Print_Titles" localSheetId="0">{escape(print_titles)}</definedName>'
        if re.search(r"<definedNames\s*>", xml):
            xml = re.sub(r"<definedNames\s*>", lambda d: d.group(0) + defined, xml, count=1)
        else:
            at = _AFTER_NAMES.search(xml, xml.index("</sheets>")).start()
            xml = xml[:at] + f"<definedNames>{defined}</definedNames>" + xml[at:]
    pkg.put("xl/workbook.xml", xml)
    for other in pkg.sheets.values():  # worksheets and chart sheets
        text = pkg.text(other)
        head, sep, rest = text.partition("<sheetData")
        if re.search(r'\stabSelected="(?:1|true)"', head):
            pkg.put(other, re.sub(r'\stabSelected="(?:1|true)"', "", head) + sep + rest)
    pkg.sheets = {name: part, **pkg.sheets}


def inline_strings(content: str, shared: str) -> str:
    """A sheet written with a shared-strings table, with its strings inline instead."""
    items = re.findall(r"<si>(.*?)</si>", shared, re.S)
    return re.sub(r'(<c\b[^>]*?)\st="s"([^>]*)><v>(\d+)</v></c>',
                  lambda m: f'{m.group(1)} t="inlineStr"{m.group(2)}><is>{items[int(m.group(3))]}</is></c>', content)


def shift_styles(content: str, offset: int) -> str:
    """A sheet's cell, row and column formats moved by `offset` (its styles appended to another book's)."""
    def moved(m: re.Match) -> str:
        return re.sub(r'(\s(?:s|style)=")(\d+)"', lambda k: f'{k.group(1)}{int(k.group(2)) + offset}"', m.group(0))
    return re.sub(r"<(?:c|row|col)\b[^>]*>", moved, content)
