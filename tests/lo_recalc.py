"""Run by tests/test_preview.py with Debian's python3 (python3-uno): open workbooks in LibreOffice,
recalculate, and print the values of two columns of one sheet as JSON (one list of rows per file).

usage: python3 lo_recalc.py PROFILE_DIR PORT SHEET COL1 COL2 ROWS FILE..."""
import json
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue

profile, port, sheet_name, c1, c2, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), \
    int(sys.argv[5]), int(sys.argv[6])
files = sys.argv[7:]
proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
                         f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
                         f"--accept=socket,host=127.0.0.1,port={port};urp;"], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.5)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    hidden = PropertyValue()
    hidden.Name, hidden.Value = "Hidden", True
    out = []
    for path in files:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0, (hidden,))
        doc.calculateAll()
        sheet = doc.Sheets.getByName(sheet_name)
        values = []
        for r in range(1, rows + 1):
            a = sheet.getCellByPosition(0, r).getString()
            if not a:
                break
            x, y = sheet.getCellByPosition(c1, r), sheet.getCellByPosition(c2, r)
            values.append([a, x.getValue() if x.getString() else None, y.getString()])
        out.append(values)
        doc.close(True)
    print(json.dumps(out, ensure_ascii=False))
finally:
    proc.terminate()
    proc.wait(timeout=30)
