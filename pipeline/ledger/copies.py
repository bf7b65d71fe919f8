"""The archived copies the ledger relies on (SPEC §5): every run checks that each file the ledger knows is
in archive/files/ with its size, and puts back any it can from identical bytes in the inbox; `status
--verify` re-hashes them all. A copy that is missing or changed and cannot be put back stops the run."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from pipeline.ledger.store import FILES_DIR, Ledger

log = logging.getLogger(__name__)


class ArchiveIncomplete(Exception):
    """Archived copies the ledger knows are missing or changed."""

    def __init__(self, archive: Path, names: list[str]):
        self.names = names
        shown = "、".join(names[:10]) + (f" 等 {len(names)} 个" if len(names) > 10 else "")
        super().__init__(f"存档文件夹 {Path(archive) / FILES_DIR} 中缺少或改动了已登记文件的原样存档：{shown}。"
                         "请从备份恢复这些文件（或把原文件放回收件箱后重新运行，程序会自动补回），然后再汇总。")


def _known(ledger: Ledger) -> list[tuple[str, str, int, str]]:
    """(sha256, ext, size, an original name) of every archived file the ledger knows."""
    return ledger.conn.execute(
        "SELECT f.sha256, f.ext, f.size, (SELECT min(s.original_name) FROM submissions s WHERE s.sha256 = f.sha256) "
        "FROM files f ORDER BY f.sha256").fetchall()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def check(ledger: Ledger, inbox: dict[str, Path], rehash: bool = False) -> list[str]:
    """Put back what identical inbox bytes can restore; raise ArchiveIncomplete naming the rest. Returns the
    original names of the copies put back. `rehash`: compare contents too, not only sizes (status --verify)."""
    restored, lost = [], []
    for sha256, ext, size, name in _known(ledger):
        copy = ledger.archive / FILES_DIR / f"{sha256}.{ext}"
        if copy.is_file() and copy.stat().st_size == size and (not rehash or _sha256(copy) == sha256):
            continue
        source = inbox.get(sha256)
        if source is None:
            lost.append(name or copy.name)
            continue
        copy.unlink(missing_ok=True)
        ledger.store_copy(source, sha256, ext)
        restored.append(name or copy.name)
    if lost:
        raise ArchiveIncomplete(ledger.archive, lost)
    if restored:
        log.warning("archived copies put back from the inbox: %s", "、".join(restored))
    return restored
