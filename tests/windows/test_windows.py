"""The program on the clerk's Windows PC (SPEC §11): files held open, the lock between two runs, a
GBK console, Chinese paths with spaces. Run by the bundle's python.exe (tests/test_windows_bundle.py)."""

import datetime as dt
import locale
import os
import subprocess
import sys
import time

import pytest
from conftest import BUNDLE, run_py

from pipeline import demo

AS_OF = dt.date(2010, 8, 2)


def test_this_is_windows_and_the_bundle_sits_in_a_chinese_path_with_a_space():
    assert sys.platform == "win32" and os.name == "nt"
    assert " " in str(BUNDLE) and any("\u4e00" <= ch <= "\u9fff" for ch in str(BUNDLE))


def test_a_template_held_open_gives_a_clear_message_and_exit_2(tmp_path):
    out = tmp_path / "模板 输出"
    assert run_py("templates", "--out", out).returncode == 0
    held = sorted(out.glob("*.xlsx"))[0]
    with open(held, "rb"):  # as Excel or WPS would hold it: replacing it is a sharing violation
        started = time.monotonic()
        done = run_py("templates", "--out", out)
        waited = time.monotonic() - started
    text = done.stdout.decode(locale.getpreferredencoding(False), errors="replace")
    assert done.returncode == 2, text
    assert "请先关闭" in text and held.name in text
    assert waited >= 4, "a short retry comes before the message"
    assert run_py("templates", "--out", out).returncode == 0, "once closed, the same command works"


def test_a_second_run_waits_for_the_lock_then_stops_with_exit_2(tmp_path):
    archive = tmp_path / "存档 文件夹"
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time\nfrom pipeline.ledger import locked\n"
                               "with locked(sys.argv[1], 0):\n    print('held', flush=True)\n    time.sleep(30)\n",
                               str(archive)], stdout=subprocess.PIPE, cwd=BUNDLE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        (tmp_path / "inbox").mkdir()
        done = run_py("--inbox", tmp_path / "inbox", "--outbox", tmp_path / "out", "--archive", archive,
                      "--wait", "1", "--as-of", AS_OF)
    finally:
        holder.kill()
        holder.wait()
    text = done.stdout.decode(locale.getpreferredencoding(False), errors="replace")
    assert done.returncode == 2 and "另一个汇总正在运行" in text, text


def test_a_gbk_console_never_fails_on_a_character(campaign, tmp_path):
    inbox = tmp_path / "收件 箱"
    demo.generate(campaign, inbox, units=2, members=4, seed=9, as_of=AS_OF)
    first = sorted(inbox.glob("*.xlsx"))[0]
    first.rename(inbox / f"😀{first.name}")  # GBK has no emoji
    env = dict(os.environ)
    env.pop("PYTHONIOENCODING", None)
    env.pop("PYTHONUTF8", None)
    done = run_py("--inbox", inbox, "--outbox", tmp_path / "out", "--archive", tmp_path / "arch", "--as-of", AS_OF,
                  env=env)
    text = done.stdout.decode("gbk", errors="strict")  # the pipe carries the ANSI code page, whole
    assert locale.getpreferredencoding(False).lower() in ("cp936", "gbk")
    assert done.returncode == 0, text + done.stderr.decode("gbk", errors="replace")
    assert "汇总结果" in text and "?" in text  # the emoji replaced, not raised


def test_csv_files_have_the_same_line_ends_as_on_linux(campaign, tmp_path):
    inbox = tmp_path / "inbox"
    demo.generate(campaign, inbox, units=2, members=4, seed=9, as_of=AS_OF)
    assert run_py("--inbox", inbox, "--outbox", tmp_path / "out", "--archive", tmp_path / "arch",
                  "--as-of", AS_OF).returncode == 0
    csvs = sorted((tmp_path / "out").rglob("*.csv"))
    assert len(csvs) >= 10
    # CRLF everywhere (RFC 4180), never a bare LF: the same bytes as on Linux
    assert not [p.name for p in csvs if not p.read_bytes().endswith(b"\r\n") or b"\r\n\n" in p.read_bytes()]


@pytest.mark.parametrize("units", [9])
def test_parallel_validation_runs_under_spawn(campaign, tmp_path, units):
    """From 8 files up the run validates in worker processes (multiprocessing under spawn)."""
    inbox = tmp_path / "多 文件"
    demo.generate(campaign, inbox, units=units, members=4, seed=11, as_of=AS_OF)
    done = run_py("--inbox", inbox, "--outbox", tmp_path / "out", "--archive", tmp_path / "arch", "--as-of", AS_OF)
    assert len(list(inbox.glob("*.xlsx"))) >= 8
    assert done.returncode == 0, done.stdout.decode(locale.getpreferredencoding(False), errors="replace")


def test_office_lock_and_system_files_are_ignored(campaign, tmp_path):
    inbox = tmp_path / "收件箱"
    demo.generate(campaign, inbox, units=1, members=4, seed=9, as_of=AS_OF)
    first = sorted(inbox.glob("*.xlsx"))[0]
    for name in (f"~${first.name}", "Thumbs.db", "desktop.ini"):
        (inbox / name).write_bytes(b"\x00junk")
    done = run_py("--inbox", inbox, "--outbox", tmp_path / "out", "--archive", tmp_path / "arch", "--as-of", AS_OF)
    text = done.stdout.decode(locale.getpreferredencoding(False), errors="replace")
    assert done.returncode == 0, text
    import json
    (manifest,) = (tmp_path / "out").glob("*/*/manifest.json")
    assert len(json.loads(manifest.read_text(encoding="utf-8"))["ignored_files"]) == 3


def test_the_report_is_written_by_a_second_process_under_spawn(campaign, tmp_path, monkeypatch, caplog):
    """A large round writes 汇总报告 in a spawned process fed through a pipe (here forced for 3 units)."""
    from pipeline.run import batch
    from pipeline.outputs.leaders import pack
    from pipeline.outputs import workbooks
    monkeypatch.setattr(workbooks, "BACKGROUND_MIN_UNITS", 0)
    demo.generate(campaign, tmp_path / "报送", units=3, members=4, seed=12, as_of=AS_OF)
    with caplog.at_level("ERROR", logger="pipeline.outputs.workbooks"):
        result = batch.run(campaign, tmp_path / "报送", tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert (result.folder / pack.report_name(campaign)).stat().st_size > 10_000
    assert not caplog.records, "written by the second process, not by the fallback"


def _hold_without_sharing(path):
    """Open `path` as a program that shares nothing would (CreateFile with share mode 0); returns a closer."""
    import ctypes
    from ctypes import wintypes
    k32 = ctypes.WinDLL("kernel32", use_last_error=True)
    k32.CreateFileW.restype = wintypes.HANDLE
    k32.CreateFileW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, wintypes.LPVOID, wintypes.DWORD,
                                wintypes.DWORD, wintypes.HANDLE]
    handle = k32.CreateFileW(str(path), 0x80000000, 0, None, 3, 0x80, None)  # GENERIC_READ, no sharing, OPEN_EXISTING
    assert handle not in (None, wintypes.HANDLE(-1).value), ctypes.get_last_error()
    return lambda: k32.CloseHandle(wintypes.HANDLE(handle))


def test_an_inbox_file_held_without_sharing_is_named_as_held_and_the_others_go_on(campaign, tmp_path):
    inbox = tmp_path / "收件 箱"
    demo.generate(campaign, inbox, units=2, members=4, as_of=AS_OF)
    target = sorted(inbox.glob("*.xlsx"))[0]
    close = _hold_without_sharing(target)
    try:
        done = run_py("--inbox", inbox, "--outbox", tmp_path / "out", "--archive", tmp_path / "arch", "--as-of", AS_OF)
    finally:
        close()
    text = done.stdout.decode(locale.getpreferredencoding(False), errors="replace")
    assert done.returncode == 2, text
    assert "文件被占用" in text and target.name in text and "读取时文件" not in text
    assert list((tmp_path / "out" / "R1").glob("*/manifest.json")), "the other files were summarised"


def test_a_ledger_held_by_another_program_is_not_sent_to_the_backup(campaign, tmp_path):
    inbox = tmp_path / "inbox"
    demo.generate(campaign, inbox, units=1, members=4, as_of=AS_OF)
    args = ("--inbox", inbox, "--outbox", tmp_path / "out", "--archive", tmp_path / "arch", "--as-of", AS_OF)
    assert run_py(*args).returncode == 0
    close = _hold_without_sharing(tmp_path / "arch" / "ledger.sqlite")
    try:
        done = run_py(*args)
    finally:
        close()
    text = done.stdout.decode(locale.getpreferredencoding(False), errors="replace")
    assert done.returncode == 2, text
    assert "占用" in text and "不需要从备份恢复" in text.replace("\r\n", "").replace("\n", ""), text
