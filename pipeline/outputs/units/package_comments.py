"""Comments added to a worksheet of an .xlsx package (see package.py): into its comments part and the VML
drawing its <legacyDrawing> names, both made when the sheet has none (a header picture's drawing,
<legacyDrawingHF>, is left alone). A cell's earlier comment is kept, ours after it; the unit's comments and
their shapes stay as they were. Written as text, in one pass: thousands of comments take milliseconds."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from pipeline.outputs.units.package import REL, VML_TYPE, Package, Unexpected, position

COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
V, O, X = ("urn:schemas-microsoft-com:vml", "urn:schemas-microsoft-com:office:office",
           "urn:schemas-microsoft-com:office:excel")
# Worksheet children that come after <legacyDrawing> (ECMA-376 CT_Worksheet order).
_AFTER_LEGACY = re.compile(r"<(?:legacyDrawingHF|drawingHF|picture|oleObjects|controls|webPublishItems|tableParts"
                           r"|extLst)\b")
_TEXT_END = re.compile(r"<(?:\w+:)?rPh\b|<(?:\w+:)?phoneticPr\b|</(?:\w+:)?text>")  # where a comment's runs end
_SHAPE_TYPE = (f'<v:shapetype xmlns:v="{V}" xmlns:o="{O}" id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
               'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
               '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


def add(pkg: Package, part: str, xml: str, notes: dict[str, str], author: str,
        size: dict[str, tuple[int, int]]) -> str:
    """Add the comments `notes` (cell -> text; `size`: cell -> (height, width) in pixels) to the worksheet
    `part` whose XML is `xml`; a cell that has a comment already keeps it, with ours after it. Return the
    worksheet's XML."""
    rels = pkg.rels(part)
    comments = next((p for kind, p in rels.values() if kind == "comments"), None)
    if comments is None:
        comments = pkg.free_name("xl/comments/comment{}.xml")
        pkg.add_rel(part, "comments", comments)
        pkg.add_type(comments, COMMENTS_TYPE)
        text = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN}"><authors/><commentList/></comments>'
    else:
        text = pkg.text(comments)
    text, new = _with_notes(text, notes, author)
    pkg.put(comments, text)
    vml = _comments_drawing(xml, rels)
    if vml is None:
        name = pkg.free_name("xl/drawings/vmlDrawing{}.vml")
        rid = pkg.add_rel(part, "vmlDrawing", name)
        pkg.add_type(name, VML_TYPE)
        drawing = (f'<xml xmlns:v="{V}" xmlns:o="{O}" xmlns:x="{X}"><o:shapelayout v:ext="edit">'
                   '<o:idmap v:ext="edit" data="1"/></o:shapelayout></xml>')
        xml = _with_legacy_drawing(xml, rid)
    else:
        name = vml[1]
        drawing = pkg.raw[name].decode("utf-8", errors="strict")
    pkg.put(name, _with_shapes(drawing, new, size))
    return xml


def _with_notes(text: str, notes: dict[str, str], author: str) -> tuple[str, list[str]]:
    """The comments part with `notes` added; and the cells that got a new comment (a new shape each)."""
    if not re.match(r"\s*(?:<\?xml[^>]*>\s*)?<comments\b", text):
        raise Unexpected("a comments part that is not unprefixed SpreadsheetML")
    authors = re.search(r"<authors\s*/>|<authors\b[^>]*>(.*?)</authors>", text, re.S)
    if authors is None:
        raise Unexpected("a comments part without <authors>")
    names = re.findall(r"<author\b[^>]*?(?:/>|>(.*?)</author>)", authors.group(1) or "", re.S)
    if escape(author) in names:
        author_id = names.index(escape(author))
    else:
        author_id = len(names)
        names.append(escape(author))
        text = text[:authors.start()] + "<authors>" + "".join(f"<author>{n}</author>" for n in names) + \
            "</authors>" + text[authors.end():]
    existing = {m.group(1): m for m in re.finditer(r'<comment\b[^>]*?\sref="([A-Z]+\d+)"', text)}
    inserts, new = [], []
    for ref, note in notes.items():
        if ref in existing:
            at = _TEXT_END.search(text, existing[ref].end()).start()
            inserts.append((at, f'<r><t xml:space="preserve">\n{escape(note)}</t></r>'))
        else:
            new.append(ref)
    out, last = [], 0
    for at, piece in sorted(inserts):
        out += [text[last:at], piece]
        last = at
    text = "".join(out) + text[last:]
    added = "".join(f'<comment ref="{ref}" authorId="{author_id}" shapeId="0"><text><t xml:space="preserve">'
                    f"{escape(notes[ref])}</t></text></comment>" for ref in new)
    if re.search(r"<commentList\s*/>", text):
        text = re.sub(r"<commentList\s*/>", lambda _: f"<commentList>{added}</commentList>", text, count=1)
    elif "</commentList>" in text:
        text = text.replace("</commentList>", added + "</commentList>", 1)
    else:
        raise Unexpected("a comments part without <commentList>")
    return text, new


def _with_shapes(drawing: str, cells: list[str], size: dict[str, tuple[int, int]]) -> str:
    """The VML drawing with a hidden note shape for each of `cells`, after the shapes it has."""
    if "</xml>" not in drawing:
        raise Unexpected("a comments drawing without its closing </xml>")
    numbers = [int(n) for n in re.findall(r"_x0000_s(\d+)", drawing)]
    first = max(numbers, default=1024) + 1
    shapes = [] if "_x0000_t202" in drawing else [_SHAPE_TYPE]
    for i, ref in enumerate(cells):
        row, col = position(ref)
        height, width = size[ref]
        shapes.append(
            f'<v:shape xmlns:v="{V}" xmlns:o="{O}" xmlns:x="{X}" id="_x0000_s{first + i}" type="#_x0000_t202" '
            f'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:{width}px;height:{height}px;'
            f'z-index:{first + i};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>'
            f"<x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column></x:ClientData></v:shape>")
    at = drawing.rindex("</xml>")
    return drawing[:at] + "".join(shapes) + drawing[at:]


def _comments_drawing(xml: str, rels: dict) -> tuple[str, str] | None:
    """(relationship id, part) of the VML drawing the sheet shows its comments in: the one its
    <legacyDrawing> names. A header/footer picture (<legacyDrawingHF>) is VML too, and is left alone."""
    m = re.search(r"<(?:\w+:)?legacyDrawing\b[^>]*?\s(?:\w+:)?id=\"([^\"]+)\"", xml)
    if m is None:
        return None
    if m.group(1) not in rels or rels[m.group(1)][0] != "vmlDrawing":
        raise Unexpected("the sheet's comments drawing is not a VML part of it")
    return m.group(1), rels[m.group(1)][1]


def _with_legacy_drawing(xml: str, rid: str) -> str:
    prefix = "r" if re.search(rf'<worksheet\b[^>]*\sxmlns:r="{re.escape(REL)}"', xml) else None
    tag = f'<legacyDrawing r:id="{rid}"/>' if prefix else f'<legacyDrawing xmlns:r="{REL}" r:id="{rid}"/>'
    after = _AFTER_LEGACY.search(xml, xml.rindex("</sheetData>") if "</sheetData>" in xml else 0)
    at = after.start() if after else xml.rindex("</worksheet>")
    return xml[:at] + tag + xml[at:]
