"""Run by tests/test_preview.py with Debian's python3 (python3-uno): open workbooks in LibreOffice,
recalculate, and print the values of two columns of one sheet as JSON (one list of rows per file).

usage: python3 lo_recalc.py PROFILE_DIR PORT SHEET COL1 COL2 ROWS FILE..."""
import json
import sys

from lo_bridge import desktop, open_hidden

profile, port, sheet_name, c1, c2, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), \
    int(sys.argv[5]), int(sys.argv[6])
out = []
with desktop(profile, port) as desk:
    for path in sys.argv[7:]:
        doc = open_hidden(desk, path)
        doc.calculateAll()
        sheet = doc.Sheets.getByName(sheet_name)
        values = []
        for r in range(1, rows + 1):
            member = sheet.getCellByPosition(0, r).getString()
            if not member:
                break
            x, y = sheet.getCellByPosition(c1, r), sheet.getCellByPosition(c2, r)
            values.append([member, x.getValue() if x.getString() else None, y.getString()])
        out.append(values)
        doc.close(True)
print(json.dumps(out, ensure_ascii=False))
