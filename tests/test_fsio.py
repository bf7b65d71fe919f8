"""Moves that a program holding a file open can block (Windows): retried, then a clear message."""

import os

import pytest

from pipeline import cli, fsio
from pipeline.labels import cn_date


def test_a_replace_blocked_for_a_moment_succeeds_after_a_retry(tmp_path, monkeypatch):
    src, dst = tmp_path / "new", tmp_path / "报告.xlsx"
    src.write_text("new")
    dst.write_text("old")
    real, calls = os.replace, []

    def busy_twice(a, b):
        calls.append(a)
        if len(calls) <= 2:
            raise PermissionError(32, "The process cannot access the file because it is being used by another process")
        return real(a, b)
    monkeypatch.setattr(os, "replace", busy_twice)
    fsio.replace(src, dst, seconds=5)
    assert len(calls) == 3 and dst.read_text() == "new"


def test_a_file_held_open_for_good_names_the_file_and_says_what_to_do(tmp_path, monkeypatch):
    dst = tmp_path / "汇总报告.xlsx"

    def busy(a, b):
        raise PermissionError(32, "sharing violation")
    monkeypatch.setattr(os, "replace", busy)
    with pytest.raises(fsio.FileBusy) as e:
        fsio.replace(tmp_path / "x", dst, seconds=0.3)
    assert str(dst) in str(e.value) and "请先关闭 Excel/WPS" in str(e.value)


def test_templates_held_open_exit_2_with_the_message(campaign, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fsio, "RETRY_SECONDS", 0.2)
    monkeypatch.setattr(os, "replace", lambda a, b: (_ for _ in ()).throw(PermissionError(13, "denied")))
    assert cli.main(["templates", "--out", str(tmp_path / "t")]) == cli.EXIT_USAGE
    out = capsys.readouterr().out
    assert "文件被占用" in out and "请先关闭" in out


def test_fsync_of_a_read_only_file_does_not_raise(tmp_path):
    p = tmp_path / "ro.csv"
    p.write_text("a\n")
    p.chmod(0o444)
    fsio.fsync_file(p)
    assert p.read_text() == "a\n"


def test_chinese_dates_are_built_from_the_fields():
    import datetime as dt
    assert cn_date(dt.date(2010, 7, 31)) == "2010年07月31日"
