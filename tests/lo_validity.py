"""Run by tests/test_libreoffice.py with Debian's python3 (python3-uno, LibreOffice's own bridge): type
ballot rows into a template in LibreOffice and print the rows its validity check marks invalid
(XSheetAuditing.showInvalid draws a circle on each invalid cell).

usage: python3 lo_validity.py TEMPLATE SHEET PROFILE_DIR PORT "form|rating" ...  (rows from Excel row 2)"""
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue

path, sheet_name, profile, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rows = [r.split("|") for r in sys.argv[5:]]  # each "C-value|D-value": 评议方式 and the first rating
proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
                         f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
                         f"--accept=socket,host=127.0.0.1,port={port};urp;"], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(60):
        try:
            ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.5)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    hidden = PropertyValue(); hidden.Name = "Hidden"; hidden.Value = True
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0, (hidden,))
    sheet = doc.Sheets.getByName(sheet_name)
    sheet.unprotect("")
    for i, (form, rating) in enumerate(rows, start=1):
        sheet.getCellByPosition(2, i).setString(form)
        sheet.getCellByPosition(3, i).setString(rating)
    doc.calculateAll()
    page = sheet.DrawPage
    marked = None
    for _ in range(6):  # the named lists behind INDIRECT may settle after loading: ask until two answers agree
        sheet.clearArrows()
        doc.calculateAll()
        sheet.showInvalid()
        shapes = [page.getByIndex(k) for k in range(page.Count)]
        found = sorted({s.Anchor.CellAddress.Row + 1 for s in shapes
                        if hasattr(s, "Anchor") and hasattr(s.Anchor, "CellAddress")})
        if found == marked:
            break
        marked = found
        time.sleep(0.5)
    print("invalid-rows", ",".join(str(r) for r in marked or []))  # Excel row numbers
    doc.close(True)
finally:
    proc.terminate()
    proc.wait(timeout=30)
