"""Faults are not verdicts (SPEC §5): a failure of the machine while storing a file (a full disk) stops the
run with exit status 2 naming the folder; nothing is recorded for the file, and once space is freed the
next run takes it in as new."""

import errno

from conftest import make_demo

from pipeline import cli
from pipeline.ledger import store


def test_a_full_disk_while_archiving_is_an_environment_error_not_a_rejection(campaign, tmp_path, monkeypatch,
                                                                             capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=4, seed=3)
    args = ["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch"),
            "--as-of", "2010-08-02"]
    real = store.fsio.replace

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")  # a failed write names no file
    monkeypatch.setattr(store.fsio, "replace", full)
    assert cli.main(args) == cli.EXIT_USAGE
    said = capsys.readouterr().out.replace("\n", "")
    assert str(tmp_path / "arch" / store.FILES_DIR) in said and "未知路径" not in said and "磁盘" in said
    assert not [p for p in (tmp_path / "arch" / store.FILES_DIR).iterdir()]  # no half-written copy left

    monkeypatch.setattr(store.fsio, "replace", real)  # the clerk freed some space
    assert cli.main(args) == cli.EXIT_OK
    ledger = store.Ledger(tmp_path / "arch", campaign)
    try:
        statuses = [s.status for s in ledger.all_submissions()]
    finally:
        ledger.close()
    assert statuses and set(statuses) == {"accepted"}  # no E_INTERNAL verdict was kept from the fault


def _archived(tmp_path):
    return sorted((tmp_path / "arch" / store.FILES_DIR).iterdir())


def test_archived_copies_are_checked_every_run_and_put_back_from_the_inbox(campaign, tmp_path, capsys):
    """Someone tidied archive/files/: a copy whose bytes are still in the inbox is put back; one that is
    not stops the run (exit 2) naming the file, so the clerk restores it from a backup."""
    import os
    import shutil
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=4, seed=3)
    args = ["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch"),
            "--as-of", "2010-08-02"]
    assert cli.main(args) == cli.EXIT_OK
    first = _archived(tmp_path)
    os.chmod(first[0], 0o644)
    first[0].unlink()
    assert cli.main(args) == cli.EXIT_OK
    assert _archived(tmp_path) == first  # put back from the inbox's identical bytes

    moved = tmp_path / "moved"
    shutil.move(str(inbox), moved)
    inbox.mkdir()
    for copy in first[:1]:
        os.chmod(copy, 0o644)
        copy.unlink()
    capsys.readouterr()
    assert cli.main(args) == cli.EXIT_USAGE
    said = capsys.readouterr().out.replace("\n", "")
    names = sorted(p.name for p in moved.iterdir())
    assert "缺少或改动" in said and any(n in said for n in names)


def test_status_verify_rehashes_every_copy(campaign, tmp_path, capsys):
    import os
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=4, seed=3)
    base = ["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch")]
    assert cli.main(base + ["--as-of", "2010-08-02"]) == cli.EXIT_OK
    assert cli.main(["status", "--verify", "--archive", str(tmp_path / "arch")]) == cli.EXIT_OK
    assert "内容指纹一致" in capsys.readouterr().out
    copy = _archived(tmp_path)[0]
    os.chmod(copy, 0o644)
    data = bytearray(copy.read_bytes())
    data[-1] ^= 1  # the same size, other bytes
    copy.write_bytes(bytes(data))
    assert cli.main(["status", "--verify", "--archive", str(tmp_path / "arch")]) == cli.EXIT_USAGE
    assert cli.main(["status", "--archive", str(tmp_path / "arch")]) == cli.EXIT_OK  # sizes alone look fine
