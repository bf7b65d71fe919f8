"""Opening the archive: the lock that serialises runs, whether a folder can be written, and a connection
that only reads (a backup copy on a write-protected disk)."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = "ledger.lock"


class LedgerBusy(Exception):
    """Another run holds the ledger."""


def read_only_connection(db: Path) -> sqlite3.Connection:
    """A connection that never writes: read-only, and immutable when even SQLite's shared-memory file
    cannot be made beside the database (a write-protected folder)."""
    uri = db.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn


def writable(folder: Path) -> bool:
    """Whether a file can be created in `folder` (tried, not guessed from permission bits)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


@contextmanager
def locked(archive: Path, wait_seconds: float):
    """Hold the archive's lock; wait up to `wait_seconds` for another run, then give up. The lock is
    the operating system's (filelock: flock on Linux, LockFileEx on Windows), so a killed run leaves none."""
    archive = Path(archive)
    archive.mkdir(parents=True, exist_ok=True)
    lock = FileLock(archive / LOCK_NAME, timeout=max(wait_seconds, 0), poll_interval=0.2)
    try:
        lock.acquire()
    except Timeout:
        raise LedgerBusy(f"另一个汇总正在运行（存档文件夹 {archive}），已等待 {wait_seconds:g} 秒仍未结束。"
                         "请等它结束后再运行。") from None
    try:
        yield
    finally:
        lock.release()


def damaged(db: Path) -> bool | None:
    """Whether SQLite's integrity check fails on the ledger: True, False, or None when it cannot be read
    at all (held by another program, or no permission): then nothing is known to be wrong with it."""
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=2)
        try:
            return conn.execute("PRAGMA quick_check").fetchone()[0] != "ok"
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return True if "malformed" in str(e) or "not a database" in str(e) else None
