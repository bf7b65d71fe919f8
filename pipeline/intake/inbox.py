"""Listing the inbox: every received file, its bytes' hash and size. The inbox is only ever read.

What a clerk's folder also holds is recognised here: Excel's and LibreOffice's lock files and the
system files Windows and macOS leave behind are listed as ignored, never taken in; a name that is not
valid UTF-8 (GBK bytes left by unzipping a Windows attachment) is shown as its most likely text.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

# Files no unit sends: office lock files and the system's own (matched on the base name, any case).
SYSTEM_FILES = re.compile(r"^(~\$.*|\.~lock\..*#|thumbs\.db|ehthumbs(_vista)?\.db|desktop\.ini|\.ds_store|\._.*"
                          r"|icon\r|\.gitkeep)$", re.IGNORECASE)


@dataclass(frozen=True)
class Received:
    path: Path
    name: str  # path relative to the inbox, as the clerk saw it
    sha256: str
    size: int
    ignored: bool = False  # a lock file or system file: listed, never taken in
    mtime_ns: int = 0  # when it was saved: of two versions with one 填报日期, the later one wins
    held: bool = False  # another program holds it (Excel/WPS keeps it open without sharing): not read


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def display_name(rel: Path) -> str:
    """The name as the clerk reads it. Linux hands undecodable bytes over as surrogates; such a name
    is read as GBK (what unzip leaves of a Windows attachment), else with U+FFFD for what is unreadable."""
    text = rel.as_posix()
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = os.fsencode(text)
    try:
        return raw.decode("gbk")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def is_system_file(name: str) -> bool:
    return bool(SYSTEM_FILES.match(name.rsplit("/", 1)[-1]))


def scan(inbox: Path, skip: tuple[Path, ...] = ()) -> list[Received]:
    """Every regular file below `inbox`, hidden ones included (each received file is accounted
    for), in name order. Links and devices are not files the clerk saved, and are never read;
    folders in `skip` (the program's own, should they lie inside the inbox) are not entered."""
    out = []
    skip = tuple(p.resolve() for p in skip)
    for path in sorted(inbox.rglob("*")):
        if skip and any(path.resolve() == s or s in path.resolve().parents for s in skip):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        name = display_name(path.relative_to(inbox))
        ignored = is_system_file(name)
        try:
            stat = path.stat()
            digest = "" if ignored else sha256_of(path)
        except PermissionError:  # held open by Excel/WPS (a sharing violation on Windows): named as held
            out.append(Received(path, name, "", 0, held=True))
            continue
        except OSError:  # a program still writing it, or gone: left for the next run (no hash)
            out.append(Received(path, name, "", 0))
            continue
        out.append(Received(path, name, digest, stat.st_size, ignored, stat.st_mtime_ns))
    return out


def snapshot(received: Received, folder: Path) -> Received | None:
    """A private copy of the received bytes, hashed as it is made: what is validated and archived is
    exactly what was hashed. None when the bytes differ from the scan's (a file still being copied in)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{received.sha256}{Path(received.path).suffix.lower()[:9]}"
    h = hashlib.sha256()
    try:
        src = open(received.path, "rb")
    except OSError:  # removed or locked since the scan
        return None
    with src, open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            h.update(chunk)
            dst.write(chunk)
    if h.hexdigest() != received.sha256:
        target.unlink(missing_ok=True)
        return None
    return Received(target, received.name, received.sha256, received.size, mtime_ns=received.mtime_ns)


def discard_snapshots(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
