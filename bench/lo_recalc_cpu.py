"""Run by bench/template_recalc.py with Debian's python3 (python3-uno): open each workbook hidden in
LibreOffice, recalculate everything, and print as JSON the CPU seconds soffice spent loading and
recalculating each one.

usage: python3 lo_recalc_cpu.py PROFILE_DIR PORT FILE..."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from lo_bridge import cpu_seconds, desktop, open_hidden  # noqa: E402

profile, port = sys.argv[1], int(sys.argv[2])
out = []
started = {}
with desktop(profile, port, started) as desk:
    for path in sys.argv[3:]:
        t0 = cpu_seconds(started["pid"])
        doc = open_hidden(desk, path)
        t1 = cpu_seconds(started["pid"])
        doc.calculateAll()
        t2 = cpu_seconds(started["pid"])
        doc.close(True)
        out.append({"file": os.path.basename(path), "load_cpu_s": round(t1 - t0, 2), "recalc_cpu_s": round(t2 - t1, 2)})
print(json.dumps(out, ensure_ascii=False))
