"""Hostile and odd input: each gets a clear finding, in bounded time and memory, and nothing is
written outside archive/ and outbox/."""

import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import AS_OF, ROOT, SHARED, make_demo, sheet_part
from openpyxl import load_workbook

from pipeline import labels
from pipeline.run import batch
from pipeline.validation import validate

CORPUS = SHARED / "corpus" / "foreign"


@pytest.fixture()
def unit_file(campaign, tmp_path):
    folder, _ = make_demo(campaign, tmp_path / "src", units=1, members=5, seed=2)
    return next(folder.glob("FN01*.xlsx"))


def _rewrite(src: Path, dst: Path, replace: dict[str, bytes], add: dict[str, bytes] = None) -> Path:
    """A copy of an xlsx package with some parts replaced or added."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for item in zi.infolist():
            zo.writestr(item.filename, replace.get(item.filename, zi.read(item.filename)))
        for name, data in (add or {}).items():
            zo.writestr(name, data)
    return dst


def _codes(path, campaign):
    sub = validate.validate_file(path, path.name, campaign)  # how long each takes: bench/hostile.py
    return [f.code for f in sub.findings], sub


def test_zip_declaring_a_huge_size_is_refused_without_inflating(campaign, unit_file, tmp_path):
    data = bytearray(unit_file.read_bytes())
    # Patch every central-directory entry's uncompressed size to ~4 GB.
    i = data.find(b"PK\x01\x02")
    while i != -1:
        data[i + 24:i + 28] = struct.pack("<I", 0xFFFFFFF0)
        i = data.find(b"PK\x01\x02", i + 4)
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(bytes(data))
    codes, _ = _codes(bomb, campaign)
    assert codes == ["E_TOO_LARGE"]


def test_zip_that_really_inflates_past_the_limit(campaign, unit_file, tmp_path):
    bomb = tmp_path / "inflates.xlsx"
    with zipfile.ZipFile(unit_file) as zi, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zo:
        for item in zi.infolist():
            zo.writestr(item.filename, zi.read(item.filename))
        with zo.open("xl/media/padding.bin", "w") as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(campaign.limits.max_uncompressed_bytes // len(chunk) + 8):
                fh.write(chunk)
    assert bomb.stat().st_size < 5 * 2**20, "a small file"
    codes, _ = _codes(bomb, campaign)
    assert codes == ["E_TOO_LARGE"]


NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10)) + b"]>")
XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY lol9 SYSTEM "file:///etc/passwd">]>'
SHEET = (b'<worksheet %s><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
         b"</sheetData></worksheet>") % NS


@pytest.mark.parametrize("doctype", [LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
@pytest.mark.parametrize("part", ["roster sheet", "xl/workbook.xml"])
def test_xml_entities_are_never_expanded(campaign, unit_file, tmp_path, doctype, part):
    if part == "roster sheet":
        part = sheet_part(unit_file, campaign.workbooks["unit"].sheet("roster").name)
    with zipfile.ZipFile(unit_file) as z:
        original = z.read(part)
    # The entity is used where the reader must resolve it: a cell's text, or the first sheet's name.
    body = SHEET if part.startswith("xl/worksheets/") else \
        original.split(b"?>", 1)[-1].replace("填报说明".encode(), b"&lol9;", 1)
    evil = _rewrite(unit_file, tmp_path / "evil.xlsx", {part: doctype + body})
    codes, sub = _codes(evil, campaign)
    assert codes and all(c.startswith("E_") for c in codes)
    everything = json.dumps([f.record() for f in sub.findings], ensure_ascii=False)
    assert "root:" not in everything and "lollollol" not in everything


def test_encrypted_workbook(campaign, tmp_path):
    src = CORPUS / "calamine__pass_protected.xlsx"
    dst = tmp_path / "加密.xlsx"
    dst.write_bytes(src.read_bytes())
    assert _codes(dst, campaign)[0] == ["E_ENCRYPTED"]


def test_macro_enabled_workbook_is_accepted_and_macros_never_run(campaign, unit_file, tmp_path):
    xlsm = _rewrite(unit_file, tmp_path / "宏.xlsm", {}, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not run"})
    codes, sub = _codes(xlsm, campaign)
    assert sub.accepted and codes == ["N_MACRO"] and sub.format == "xlsm"


def test_a_million_row_sheet_is_refused(campaign, unit_file, tmp_path):
    """Refused with E_TOO_MANY_CELLS, in a process of its own (a hang fails the test at its generous
    timeout); its time and peak memory are measured by bench/hostile.py, not limited here."""
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>X{i}</t></is></c></row>' for i in range(2, 1_000_002))
    xml = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
           'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>党员编号</t></is></c></row>'
           + rows + "</sheetData></worksheet>").encode()
    big = _rewrite(unit_file, tmp_path / "百万行.xlsx",
                   {sheet_part(unit_file, campaign.workbooks["unit"].sheet("roster").name): xml})
    del rows, xml
    script = ("import json, sys\nfrom pathlib import Path\nfrom pipeline import campaign\nfrom pipeline.validation import validate\n"
              "c = campaign.load(sys.argv[1]); p = Path(sys.argv[2])\n"
              "s = validate.validate_file(p, p.name, c)\n"
              "print(json.dumps({'codes': [f.code for f in s.findings]}))\n")
    out = subprocess.run([sys.executable, "-c", script, str(ROOT / "campaign.toml"), str(big)], capture_output=True,
                         text=True, cwd=ROOT, timeout=600)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["codes"] == ["E_TOO_MANY_CELLS"]


@pytest.mark.parametrize("name, content, code", [
    ("空白.xlsx", b"", "E_EMPTY_FILE"),
    ("名单.xlsx", "单位编码,姓名\nFN01,张三\n".encode("utf-8"), "E_UNSUPPORTED_FORMAT"),
    ("报告.xlsx", None, "E_UNSUPPORTED_FORMAT"),  # a .docx renamed
    ("wps表格.et", None, "E_UNSUPPORTED_FORMAT"),
])
def test_renamed_and_foreign_formats(campaign, tmp_path, name, content, code):
    path = tmp_path / name
    if name == "报告.xlsx":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("word/document.xml", "<document/>")
    elif name.endswith(".et"):
        path.write_bytes((CORPUS / "xlrd__Formate.xls").read_bytes() if (CORPUS / "xlrd__Formate.xls").exists()
                         else next(CORPUS.glob("*.xls")).read_bytes())
    else:
        path.write_bytes(content)
    codes, sub = _codes(path, campaign)
    assert codes == [code]
    assert "请" in sub.findings[0].message


def _snapshot(root: Path) -> set:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_odd_file_names_and_nothing_written_outside_archive_and_outbox(campaign, unit_file, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    wb = load_workbook(unit_file)
    wb["填报说明"]["B4"] = "FN99"  # unknown unit: the returned copy is named after the file
    evil_name = "..\\..\\评议 表 😀 ..xlsx"
    wb.save(inbox / evil_name)
    (inbox / "空 文件 🙂.xlsx").write_bytes(b"")
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.chdir(tmp_path)
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    before = _snapshot(tmp_path)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    after = _snapshot(tmp_path)
    new = {p for p in after - before if not p.startswith(("out", "arch"))}
    assert new == set(), new
    assert {f.name for f in result.files} == {evil_name, "空 文件 🙂.xlsx"}
    copies = [p.name for p in (result.folder / labels.RETURNED_DIR).iterdir()]
    assert copies == ["未识别单位_评议 表 😀.xlsx"]
    for p in (tmp_path / "out").rglob("*"):
        assert p.resolve().is_relative_to((tmp_path / "out").resolve())
