"""What a real clerk's folder holds (SPEC §4): each case built in tmp_path from the demo generator,
and the run checked as the clerk and an auditor would: exit status, manifest, findings at their
cells, the inbox unchanged, the ledger sound and every archived file equal to its hash."""

import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import sqlite3

import pytest
from conftest import ROOT, make_demo
from openpyxl import load_workbook

from pipeline import cli, commands, labels, layout
from pipeline.run import batch
from pipeline.intake import inbox as inbox_mod
from pipeline.ledger import DB_NAME

AS_OF = "2010-08-02"


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run(inbox, root, *extra, as_of=AS_OF):
    """The command line on `inbox`; (exit status, manifest of the run or None)."""
    try:
        status = cli.main(["--inbox", str(inbox), "--outbox", str(root / "out"), "--archive", str(root / "arch"),
                           "--as-of", as_of, *extra])
    except SystemExit as e:  # argparse refuses bad usage with exit status 2
        status = e.code
    folders = sorted((root / "out").glob("*/*/manifest.json"), key=lambda p: p.stat().st_mtime)
    return status, (json.loads(folders[-1].read_text(encoding="utf-8")) if folders else None)


def sound_archive(root):
    """The ledger passes sqlite's integrity check and every archived file's bytes equal its name's hash."""
    conn = sqlite3.connect(root / "arch" / DB_NAME)
    ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    files = list((root / "arch" / "files").iterdir())
    return ok == "ok" and files and all(hashlib.sha256(p.read_bytes()).hexdigest() == p.name.split(".")[0]
                                        for p in files)


def unit_file(inbox, code):
    """The demo's file of unit `code` (the demo names files as units do: by code or by name)."""
    from pipeline import campaign as campaign_mod
    name = campaign_mod.load(ROOT / "campaign.toml").unit_name(code)
    return next(p for p in sorted(inbox.iterdir()) if code in p.name or name in p.name)


def findings_of(manifest, name):
    return [(f["code"], f["sheet"], f["cell"]) for f in next(f for f in manifest["inbox_files"]
                                                            if f["name"] == name)["findings"]]


def test_lock_and_system_files_are_listed_as_ignored_and_leave_the_exit_status_alone(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, seed=3)
    first = sorted(inbox.glob("FN*.xlsx"))[0]
    junk = {f"~${first.name}": b"\x00" * 165, "Thumbs.db": b"\xd0\xcf\x11\xe0junk", "desktop.ini": b"[.ShellClassInfo]",
            ".DS_Store": b"\x00\x00\x00\x01Bud1", f".~lock.{first.name}#": b"user,host"}
    for name, data in junk.items():
        (inbox / name).write_bytes(data)
    before = _hashes(inbox)
    status, manifest = run(inbox, tmp_path)
    assert status == cli.EXIT_OK
    assert sorted(f["name"] for f in manifest["ignored_files"]) == sorted(junk)
    assert not set(junk) & {f["name"] for f in manifest["inbox_files"]}
    assert manifest["totals"]["ignored"] == len(junk) and manifest["totals"]["rejected"] == 0
    assert _hashes(inbox) == before and sound_archive(tmp_path)


def test_a_merged_data_cell_sends_that_file_back_and_the_round_goes_on(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=3, seed=3)
    path = unit_file(inbox, "FN02")
    wb = load_workbook(path)
    sheet = campaign.workbooks["unit"].sheet("member_ballots").name
    wb[sheet].merge_cells("D2:D4")  # a clerk "tidying" three 评议方式 cells
    wb.save(path)
    status, manifest = run(inbox, tmp_path)
    assert status == cli.EXIT_REJECTED
    mine = next(f for f in manifest["inbox_files"] if f["name"] == path.name)
    assert mine["status"] == "rejected" and ("E_REQUIRED", sheet, "D3") in findings_of(manifest, path.name)
    copies = list((tmp_path / "out").glob(f"R1/*/{labels.RETURNED_DIR}/FN02*.xlsx"))
    assert len(copies) == 1 and load_workbook(copies[0])[sheet]["D2"].comment is not None
    assert sum(f["status"] == "accepted" for f in manifest["inbox_files"]) == 3  # two units and the street
    assert sound_archive(tmp_path)


def test_a_name_that_is_not_utf8_is_read_as_gbk_and_reported(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)
    src = unit_file(inbox, "FN01")
    gbk = "丰年社区报表.xlsx".encode("gbk")
    os.rename(os.fsencode(src), os.fsencode(inbox) + b"/" + gbk)
    status, manifest = run(inbox, tmp_path)
    assert status == cli.EXIT_OK
    names = [f["name"] for f in manifest["inbox_files"]]
    assert "丰年社区报表.xlsx" in names
    assert next(f for f in manifest["inbox_files"] if f["name"] == "丰年社区报表.xlsx")["status"] == "accepted"
    assert run(inbox, tmp_path)[0] == cli.EXIT_OK and sound_archive(tmp_path)  # and again: known, not new


def _set_filled_on(path, day):
    wb = load_workbook(path)
    ws = wb[layout.INFO_SHEET]
    row = next(r for r in range(1, 20) if ws.cell(r, 1).value == "填报日期")
    ws.cell(row, 2).value = day
    wb.save(path)


def test_two_versions_with_the_same_filled_on_date_the_later_saved_wins_and_both_are_warned(campaign, tmp_path):
    a, _ = make_demo(campaign, tmp_path / "a", units=1, seed=1)
    b, _ = make_demo(campaign, tmp_path / "b", units=1, seed=2)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first, second = inbox / "第一次.xlsx", inbox / "更正后.xlsx"
    first.write_bytes(unit_file(a, "FN01").read_bytes())
    second.write_bytes(unit_file(b, "FN01").read_bytes())
    for p in (first, second):
        _set_filled_on(p, dt.datetime(2010, 7, 25))
    os.utime(first, (1_280_000_000, 1_280_000_000))
    os.utime(second, (1_280_000_600, 1_280_000_600))  # saved ten minutes later
    status, manifest = run(inbox, tmp_path)
    by = {f["name"]: f for f in manifest["inbox_files"]}
    assert status == cli.EXIT_OK
    assert by["更正后.xlsx"]["status"] == "accepted" and by["第一次.xlsx"]["status"] == "superseded"
    for mine, other in (("第一次.xlsx", "更正后.xlsx"), ("更正后.xlsx", "第一次.xlsx")):
        warned = [f for f in by[mine]["findings"] if f["code"] == "W_SAME_FILLED_ON"]
        assert len(warned) == 1 and other in warned[0]["message"] and "2010-07-25" in warned[0]["message"]


def test_a_file_still_being_copied_is_left_for_the_next_run_and_never_archived(campaign, tmp_path, monkeypatch):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, seed=3)
    growing = unit_file(inbox, "FN02")
    real_scan = inbox_mod.scan

    def scan_while_copying(folder, *a, **k):
        out = real_scan(folder, *a, **k)
        with open(growing, "ab") as f:  # the copy goes on after the scan has hashed the file
            f.write(b"\0" * 1024)
        return out
    monkeypatch.setattr(batch.inbox_mod, "scan", scan_while_copying)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=dt.date(2010, 8, 2))
    assert [r.name for r in result.changed] == [growing.name] and not result.complete
    assert growing.name not in {f.name for f in result.files}
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in manifest["changed_files"]] == [growing.name]
    assert "请稍后再运行" in manifest["changed_files"][0]["reason"]
    assert sound_archive(tmp_path)
    assert not list((tmp_path / "arch").glob(".incoming-*")), "snapshots are removed"
    monkeypatch.setattr(batch.inbox_mod, "scan", real_scan)
    again = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=dt.date(2010, 8, 2))
    assert again.changed == [] and {f.name: f.status for f in again.files}[growing.name] in ("accepted", "rejected")
    assert sound_archive(tmp_path)  # now taken in whole, the bytes archived equal to their hash
    assert (tmp_path / "arch" / "files" / f"{hashlib.sha256(growing.read_bytes()).hexdigest()}.xlsx").exists()


def test_a_typed_round_that_disagrees_with_the_template_is_an_error_on_that_cell(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)
    path = unit_file(inbox, "FN01")
    wb = load_workbook(path)
    ws = wb[layout.INFO_SHEET]
    row = next(r for r in range(1, 20) if ws.cell(r, 1).value == "评议阶段")
    ws.cell(row, 2).value = "R2"
    wb.save(path)
    status, manifest = run(inbox, tmp_path)
    assert status == cli.EXIT_REJECTED
    assert ("E_ROUND_MISMATCH", layout.INFO_SHEET, f"B{row}") in findings_of(manifest, path.name)
    assert next(f for f in manifest["inbox_files"] if f["name"] == path.name)["round"] == "R1"


def test_files_of_another_round_are_stored_and_shown_as_other_round(campaign, tmp_path, capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, seed=3)
    r2, _ = make_demo(campaign, tmp_path / "r2", units=1, seed=3, round_code="R2", as_of=dt.date(2012, 6, 10))
    assert run(inbox, tmp_path)[0] == cli.EXIT_OK
    shutil.copyfile(unit_file(r2, "FN01"), inbox / "第二阶段-FN01.xlsx")
    status, manifest = run(inbox, tmp_path, "--round", "R2", as_of="2012-06-10")
    assert status == cli.EXIT_OK and manifest["round"] == "R2"
    assert [f["name"] for f in manifest["inbox_files"] if not f["other_round"]] == ["第二阶段-FN01.xlsx"]
    assert labels.OTHER_ROUND in capsys.readouterr().out
    submissions = (tmp_path / "out" / "R2").glob("*/data/submissions.csv")
    rows = next(submissions).read_text(encoding="utf-8-sig").splitlines()
    assert [r.split(",")[3] for r in rows[1:3]] == ["已报", "未报"]  # the R1 files never count for R2


def test_the_outbox_inside_the_inbox_is_refused_before_anything_is_written(campaign, tmp_path, capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)
    before = _hashes(inbox)
    status = cli.main(["--inbox", str(inbox), "--outbox", str(inbox / "outbox"), "--archive", str(tmp_path / "a")])
    assert status == cli.EXIT_USAGE and "在收件箱" in capsys.readouterr().out
    assert _hashes(inbox) == before and not (tmp_path / "a").exists()


def _ledger_after_one_run(campaign, tmp_path):
    """(inbox, ledger file) after one clean run, the ledger's -wal/-shm files removed."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)
    assert run(inbox, tmp_path)[0] == cli.EXIT_OK
    db = tmp_path / "arch" / DB_NAME
    for leftover in db.parent.glob(DB_NAME + "-*"):
        leftover.unlink()
    return inbox, db


def test_an_empty_ledger_beside_archived_files_is_refused_and_left_untouched(campaign, tmp_path, capsys):
    inbox, db = _ledger_after_one_run(campaign, tmp_path)
    db.write_bytes(b"")
    files = _hashes(tmp_path / "arch" / "files")
    status, _ = run(inbox, tmp_path)
    assert status == cli.EXIT_USAGE and "为免丢失" in capsys.readouterr().out
    assert db.stat().st_size == 0 and _hashes(tmp_path / "arch" / "files") == files


def test_a_truncated_ledger_is_refused_with_exit_2(campaign, tmp_path, capsys):
    inbox, db = _ledger_after_one_run(campaign, tmp_path)
    db.write_bytes(db.read_bytes()[:100] + b"\xff" * 100)
    status, _ = run(inbox, tmp_path)
    assert status == cli.EXIT_USAGE and "已损坏" in capsys.readouterr().out


def test_environment_problems_exit_2_naming_the_path_and_the_cause(campaign, tmp_path, capsys, monkeypatch):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)
    (tmp_path / "file").write_text("x")
    assert cli.main(["--inbox", str(inbox), "--outbox", str(tmp_path / "file"), "--archive", str(tmp_path / "a"),
                     "--as-of", AS_OF]) == cli.EXIT_USAGE
    assert "是一个文件" in capsys.readouterr().out
    assert cli.main(["--inbox", str(inbox), "--outbox", str(tmp_path / "o"), "--archive", str(tmp_path / "file"),
                     "--as-of", AS_OF]) == cli.EXIT_USAGE
    for day in ("1900-01-01", "9999-12-31"):
        assert run(inbox, tmp_path, as_of=day)[0] == cli.EXIT_USAGE
    import errno

    from pipeline import fsio

    def full(src, dst, seconds=None):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))
    monkeypatch.setattr(fsio, "replace", full)
    capsys.readouterr()
    status, _ = run(inbox, tmp_path)
    out = capsys.readouterr().out
    assert status == cli.EXIT_USAGE and "磁盘空间已满" in out and str(tmp_path) in out.replace("\n", "")


def test_a_lost_form_header_is_a_missing_column_not_an_internal_error(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)
    path = unit_file(inbox, "FN01")
    wb = load_workbook(path)
    sheet = campaign.workbooks["unit"].sheet("member_ballots")
    ws = wb[sheet.name]
    col = next(c for c in range(1, 20) if str(ws.cell(1, c).value).rstrip("*") == sheet.column("form").label)
    ws.cell(1, col).value = None
    wb.save(path)
    status, manifest = run(inbox, tmp_path)
    codes = findings_of(manifest, path.name)
    assert status == cli.EXIT_REJECTED
    assert ("E_MISSING_COLUMN", sheet.name, "A1") in codes and not [c for c in codes if c[0] == "E_INTERNAL"]


def test_excel_error_values_are_reported_with_the_value(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)
    path = unit_file(inbox, "FN01")
    wb = load_workbook(path)
    ws = wb[campaign.workbooks["unit"].sheet("member_ballots").name]
    ws["D2"].value, ws["D2"].data_type = "#DIV/0!", "e"
    wb.save(path)
    status, manifest = run(inbox, tmp_path)
    mine = next(f for f in manifest["inbox_files"] if f["name"] == path.name)
    errors = [f for f in mine["findings"] if f["cell"] == "D2"]
    assert status == cli.EXIT_REJECTED and [(f["code"], f["value"]) for f in errors] == [("E_FORMULA_ERROR", "#DIV/0!")]


def test_ballots_in_hidden_rows_are_counted_and_noted(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)
    path = unit_file(inbox, "FN01")
    wb = load_workbook(path)
    name = campaign.workbooks["unit"].sheet("org_ballots").name
    for r in (3, 4):
        wb[name].row_dimensions[r].hidden = True
    wb.save(path)
    status, manifest = run(inbox, tmp_path)
    notes = [f for f in next(f for f in manifest["inbox_files"] if f["name"] == path.name)["findings"]
             if f["code"] == "W_HIDDEN_DATA"]
    assert status == cli.EXIT_OK  # a warning: accepted, the ballots counted
    assert [(f["sheet"], f["cell"]) for f in notes] == [(name, "A3")] and "3、4" in notes[0]["message"]
    assert ROOT.exists()


@pytest.mark.parametrize("code, cause", [(errno.EACCES, "没有写入权限"), (errno.ENOSPC, "磁盘空间已满")],
                         ids=["read-only", "full"])
def test_an_archive_that_is_read_only_or_full_exits_2_naming_it(campaign, tmp_path, capsys, monkeypatch, code, cause):
    from pipeline.ledger import store
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)

    def refuse(self, path, sha256, ext):
        raise OSError(code, os.strerror(code), str(self.archive / "files" / f".tmp-{sha256}"))
    monkeypatch.setattr(store.Ledger, "store_copy", refuse)
    status, _ = run(inbox, tmp_path)
    out = capsys.readouterr().out.replace("\n", "")
    assert status == cli.EXIT_USAGE and cause in out and str(tmp_path / "arch") in out


def test_the_error_log_falls_back_to_the_temporary_folder_and_says_where(tmp_path, capsys, monkeypatch):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    (tmp_path / "arch").write_text("a file where the archive should be")

    def boom(*a, **k):
        raise RuntimeError("disk on fire")
    monkeypatch.setitem(commands.COMMANDS, "status", boom)
    assert cli.main(["status", "--archive", str(tmp_path / "arch")]) == cli.EXIT_FAILURE
    out = capsys.readouterr().out.replace("\n", "")
    (log,) = (tmp_path / "tmp").glob("error-*.log")
    assert str(log) in out and "disk on fire" in log.read_text(encoding="utf-8")


def test_a_file_held_by_another_program_is_named_as_held_and_left_for_the_next_run(campaign, tmp_path, monkeypatch,
                                                                                   capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, seed=3)
    locked = unit_file(inbox, "FN02")
    real = inbox_mod.sha256_of

    def held(path):  # as Windows refuses to read a file another program is still writing
        if path == locked:
            raise PermissionError(13, "The process cannot access the file", str(path))
        return real(path)
    monkeypatch.setattr(inbox_mod, "sha256_of", held)
    status, manifest = run(inbox, tmp_path)
    assert status == cli.EXIT_USAGE  # the clerk closes the file and runs again
    assert [f["name"] for f in manifest["held_files"]] == [locked.name] and not manifest["changed_files"]
    assert locked.name not in {f["name"] for f in manifest["inbox_files"]} and sound_archive(tmp_path)
    out = capsys.readouterr().out
    assert "文件被占用" in out and f"被占用的文件：{locked.name}" in out and "退出状态 2" in out
    monkeypatch.setattr(inbox_mod, "sha256_of", real)  # closed: the next run takes it in
    status, manifest = run(inbox, tmp_path)
    assert status == cli.EXIT_OK and locked.name in {f["name"] for f in manifest["inbox_files"]}
