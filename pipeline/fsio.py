"""File operations that behave alike on Windows and Linux.

On Windows a file held open by Excel, WPS, antivirus or the search indexer cannot be replaced,
renamed or deleted for a while (a sharing violation, raised as PermissionError). Such moves are
retried for a few seconds; then the clerk is told which file to close.
"""

from __future__ import annotations

import errno
import re
import os
import time
from pathlib import Path

RETRY_SECONDS = 5.0


WAIT_SECONDS = 60  # how long a run waits for another run's lock on the archive before it stops

class FileBusy(Exception):
    """A file or folder is held open by another program: the clerk must close it and run again."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"文件被占用，无法写入：{path}\n请先关闭 Excel/WPS 中打开的该文件（或该文件夹中的文件），"
                         "稍候片刻后重新运行。")


def _retrying(action, path: Path, seconds: float | None):
    deadline = time.monotonic() + (RETRY_SECONDS if seconds is None else seconds)
    delay = 0.1
    while True:
        try:
            return action()
        except PermissionError:
            if time.monotonic() >= deadline:
                raise FileBusy(path) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def replace(src: Path, dst: Path, seconds: float | None = None) -> None:
    """Move `src` over `dst` atomically, waiting a little for a program that holds `dst` open."""
    _retrying(lambda: os.replace(src, dst), Path(dst), seconds)


def rename(src: Path, dst: Path, seconds: float | None = None) -> None:
    """Rename a file or folder (never over an existing one), waiting a little for a program holding it."""
    _retrying(lambda: os.rename(src, dst), Path(src), seconds)


# Errors of the machine, not of a file's content: the run stops with exit status 2 and says why.
_FULL_OR_READ_ONLY = {errno.ENOSPC, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NO_ACCESS = {errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR}
CAUSES = {errno.ENOSPC: "磁盘空间已满", errno.EROFS: "所在磁盘为只读", errno.EACCES: "没有写入权限（只读或被保护）",
          errno.EPERM: "没有写入权限（只读或被保护）", errno.ENOTDIR: "路径中有同名的文件而不是文件夹",
          errno.EISDIR: "应为文件，却是文件夹"}


def is_environment_error(e: OSError, *roots: Path) -> bool:
    """A full or read-only disk anywhere, or no access to a path below one of `roots` (the program's
    own folders): the machine's problem, which the clerk must fix, not one file's."""
    if e.errno in _FULL_OR_READ_ONLY:
        return True
    if e.errno in _NO_ACCESS and e.filename:
        path = Path(os.fsdecode(e.filename)).resolve()
        return any(path == Path(r).resolve() or Path(r).resolve() in path.parents for r in roots)
    return False


def environment_message(e: OSError) -> str:
    """The Chinese message for an environment error: the path and the cause."""
    cause = CAUSES.get(e.errno, e.strerror or type(e).__name__)
    where = os.fsdecode(e.filename) if e.filename else "（未知路径）"
    return f"无法写入：{where}\n原因：{cause}。请腾出磁盘空间、检查文件夹权限，或换一个可写的文件夹后重新运行。"


def fsync_file(path: Path) -> None:
    """Flush a written file to disk. Windows cannot fsync a read-only handle (EBADF; PermissionError
    under Wine), so the file is opened for appending; where even that is refused, the OS flushes later."""
    try:
        with open(path, "ab") as fh:
            os.fsync(fh.fileno())
    except OSError:
        pass


def safe_name(text: str, limit: int = 60) -> str:
    """Text usable as (part of) a file name on any system: no path separators, reserved or control characters,
    no leading or trailing dots and spaces, bounded length."""
    text = re.sub(r'[\x00-\x1f<>:"/\\|?*]+', "_", text).strip(" .")[:limit].rstrip(" .")
    if text.split(".", 1)[0].upper() in _DEVICES:  # CON, NUL, COM1...: Windows opens a device instead
        text = "_" + text
    return text or "文件"


_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10))}
