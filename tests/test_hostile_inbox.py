"""A full demo inbox plus one hostile file of each kind a clerk's folder holds, all in one run: every
good unit gets its results, every file is accounted for in the manifest, and the run ends with exit 3."""

import csv
import hashlib
import io
import json
import os
import zipfile

from conftest import make_demo
from openpyxl import load_workbook

from pipeline import cli, layout


def _unit_file(inbox, campaign, code):
    return next(p for p in sorted(inbox.iterdir()) if code in p.name or campaign.unit_name(code) in p.name)


def _hostile(inbox, campaign, spare):
    """One file of each kind; returns name -> what the manifest should say of it."""
    expect = {}
    # a workbook with merged data cells, and one with a lost header: sent back
    for code, change, what in (("FN02", "merge", "rejected"), ("FN03", "header", "rejected")):
        path = _unit_file(inbox, campaign, code)
        wb = load_workbook(path)
        ws = wb[campaign.workbooks["unit"].sheet("member_ballots").name]
        if change == "merge":
            ws.merge_cells("D2:D4")
        else:
            ws["C1"].value = None
        wb.save(path)
        expect[path.name] = what
    # office lock files and system files: ignored
    for name in ("~$报表.xlsx", "Thumbs.db", "desktop.ini", ".DS_Store"):
        (inbox / name).write_bytes(b"\x00junk")
        expect[name] = "ignored"
    # a name in GBK bytes (unzip of a Windows attachment), a copy of a spare unit's good file
    gbk = os.fsencode(inbox) + b"/" + "转发单位报表.xlsx".encode("gbk")
    with open(gbk, "wb") as f:
        f.write(spare.read_bytes())
    expect["转发单位报表.xlsx"] = "accepted"
    # an encrypted-looking, a zip bomb-ish and a plain-text file, an empty one: rejected, whole
    (inbox / "加密.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * 5_000_000 + b"</a>")
    (inbox / "压缩炸弹.xlsx").write_bytes(buf.getvalue())
    (inbox / "说明.txt").write_text("见附件", encoding="utf-8")
    (inbox / "空.xlsx").write_bytes(b"")
    for name in ("加密.xlsx", "压缩炸弹.xlsx", "说明.txt", "空.xlsx"):
        expect[name] = "rejected"
    # the round typed wrong in 填报说明
    path = _unit_file(inbox, campaign, "FN04")
    wb = load_workbook(path)
    ws = wb[layout.INFO_SHEET]
    row = next(r for r in range(1, 20) if ws.cell(r, 1).value == "评议阶段")
    ws.cell(row, 2).value = "R2"
    wb.save(path)
    expect[path.name] = "rejected"
    return expect


def test_a_full_inbox_with_every_kind_of_hostile_file(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=8, members=6, seed=23)
    spare, _ = make_demo(campaign, tmp_path / "spare", units=10, members=6, seed=23)
    expect = _hostile(inbox, campaign, _unit_file(spare, campaign, "FN10"))
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.iterdir()}
    status = cli.main(["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch"),
                       "--as-of", "2010-08-02"])
    assert status == cli.EXIT_REJECTED
    (folder,) = (tmp_path / "out" / "R1").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    seen = {f["name"]: f["status"] for f in manifest["inbox_files"]}
    seen.update({f["name"]: "ignored" for f in manifest["ignored_files"]})
    assert len(seen) == len(before)  # every file accounted for
    assert {n: seen[n] for n in expect} == expect
    good = {f["unit_code"] for f in manifest["inbox_files"] if f["status"] == "accepted" and f["unit_code"]}
    results = list(csv.DictReader(open(folder / "data" / "org_results.csv", encoding="utf-8-sig")))
    assert {r["unit_code"] for r in results} == good and all(r["composite"] for r in results)
    assert {"FN01", "FN05", "FN06", "FN07", "FN08", "FN10"} <= good
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.iterdir()}  # inbox untouched
