"""Comments added to a worksheet of an .xlsx package (see package.py): into its comments part and the
drawing that shows them, both made when the sheet has none; a cell's earlier comment is kept, ours after it."""

from __future__ import annotations

import re

from openpyxl.cell.text import RichText, Text
from openpyxl.comments.comment_sheet import CommentRecord, CommentSheet
from openpyxl.xml.functions import fromstring, tostring

from pipeline.outputs.units.package import REL, VML_TYPE, Package, Unexpected

COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
# Worksheet children that come after <legacyDrawing> (ECMA-376 CT_Worksheet order).
_AFTER_LEGACY = re.compile(r"<(?:legacyDrawingHF|drawingHF|picture|oleObjects|controls|webPublishItems|tableParts"
                           r"|extLst)\b")


def add(pkg: Package, part: str, xml: str, notes: dict[str, str], author: str,
                 size: dict[str, tuple[int, int]]) -> str:
    """Add the comments `notes` (cell -> text) to the worksheet `part` whose XML is `xml`; a cell that has a
    comment already keeps it, with ours after it. Return the worksheet's XML."""
    rels = pkg.rels(part)
    comments = next((p for kind, p in rels.values() if kind == "comments"), None)
    vml = next(((rid, p) for rid, (kind, p) in rels.items() if kind == "vmlDrawing"), None)
    records = []
    if comments is not None:
        sheet = CommentSheet.from_tree(fromstring(pkg.text(comments).encode("utf-8")))
        names = sheet.authors.author
        for rec in sheet.commentList:
            rec.author = names[rec.authorId] if rec.authorId < len(names) else author
            records.append(rec)
    by_ref = {rec.ref: rec for rec in records}
    for ref, text in notes.items():
        rec = by_ref.get(ref)
        if rec is None:
            rec = CommentRecord(ref=ref, author=author, text=Text(t=text))
            rec.height, rec.width = size[ref]
            records.append(rec)
        elif rec.text.r:
            rec.text.r = [*rec.text.r, RichText(t="\n" + text)]
        else:
            rec.text.t = f"{rec.text.t or ''}\n{text}"
    sheet = CommentSheet.from_comments(records)
    if comments is None:
        comments = pkg.free_name("xl/comments/comment{}.xml")
        pkg.add_rel(part, "comments", comments)
        pkg.add_type(comments, COMMENTS_TYPE)
    pkg.put(comments, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            + tostring(sheet.to_tree()).decode("utf-8"))
    if vml is None:
        name = pkg.free_name("xl/drawings/vmlDrawing{}.vml")
        rid = pkg.add_rel(part, "vmlDrawing", name)
        pkg.add_type(name, VML_TYPE)
        root = None
        xml = _with_legacy_drawing(xml, rid)
    else:
        name = vml[1]
        try:
            root = fromstring(pkg.raw[name])
        except Exception as e:  # Excel's VML is not always well-formed XML
            raise Unexpected(f"the comments drawing cannot be read: {e}") from e
    pkg.put(name, sheet.write_shapes(root).decode("utf-8"))
    return xml


def _with_legacy_drawing(xml: str, rid: str) -> str:
    prefix = "r" if re.search(rf'<worksheet\b[^>]*\sxmlns:r="{re.escape(REL)}"', xml) else None
    tag = f'<legacyDrawing r:id="{rid}"/>' if prefix else f'<legacyDrawing xmlns:r="{REL}" r:id="{rid}"/>'
    after = _AFTER_LEGACY.search(xml, xml.rindex("</sheetData>") if "</sheetData>" in xml else 0)
    at = after.start() if after else xml.rindex("</worksheet>")
    return xml[:at] + tag + xml[at:]
