"""Run by tests/test_libreoffice.py with Debian's python3 (python3-uno, LibreOffice's own bridge): type
ballot rows into a template in LibreOffice and print the rows its validity check marks invalid
(XSheetAuditing.showInvalid draws a circle on each invalid cell).

usage: python3 lo_validity.py PROFILE_DIR PORT TEMPLATE SHEET "form|rating" ...  (rows from Excel row 2)"""
import sys
import time

from lo_bridge import desktop, open_hidden

profile, port, path, sheet_name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = [r.split("|") for r in sys.argv[5:]]  # each "C-value|D-value": 评议方式 and the first rating
with desktop(profile, port) as desk:
    doc = open_hidden(desk, path)
    sheet = doc.Sheets.getByName(sheet_name)
    sheet.unprotect("")
    for i, (form, rating) in enumerate(rows, start=1):
        sheet.getCellByPosition(2, i).setString(form)
        sheet.getCellByPosition(3, i).setString(rating)
    page = sheet.DrawPage
    marked = None
    for _ in range(6):  # the named lists behind INDIRECT may settle after loading: two equal answers in a row
        sheet.clearArrows()
        doc.calculateAll()
        sheet.showInvalid()
        shapes = [page.getByIndex(k) for k in range(page.Count)]
        found = sorted({s.Anchor.CellAddress.Row + 1 for s in shapes
                        if hasattr(s, "Anchor") and hasattr(s.Anchor, "CellAddress")
                        and s.ShapeType == "com.sun.star.drawing.EllipseShape"})  # not a cell's note
        if found == marked:
            break
        marked = found
        time.sleep(0.5)
    print("invalid-rows", ",".join(str(r) for r in marked or []))  # Excel row numbers
    doc.close(True)
