"""Listing the inbox: every received file, its bytes' hash and size. The inbox is only ever read."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Received:
    path: Path
    name: str  # path relative to the inbox, as the clerk saw it
    sha256: str
    size: int


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scan(inbox: Path) -> list[Received]:
    """Every regular file below `inbox`, hidden ones included (each received file is accounted
    for), in name order. Links and devices are not files the clerk saved, and are never read."""
    out = []
    for path in sorted(inbox.rglob("*")):
        rel = path.relative_to(inbox)
        if path.is_symlink() or not path.is_file():
            continue
        out.append(Received(path, rel.as_posix(), sha256_of(path), path.stat().st_size))
    return out
