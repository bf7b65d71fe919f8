"""Writing workbooks: deterministic bytes, atomic placement, text that never turns into a formula."""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.workbook import Workbook
from openpyxl.writer.excel import ExcelWriter

from pipeline import fsio

MAX_CELL_CHARS = 32767
# Characters that make a spreadsheet program read a cell as a formula or command.
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")


class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one timestamp, so equal content gives equal bytes."""

    def __init__(self, *args, when: dt.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._when = when.timetuple()[:6]

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, self._when)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        return super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        # openpyxl streams worksheets through temporary files; give them the fixed time too.
        with open(filename, "rb") as f:
            self.writestr(arcname or os.path.basename(filename), f.read())


def clean_text(value: str) -> str:
    """Text as a workbook can hold it: control characters XML forbids become U+FFFD, at most Excel's
    32,767 characters per cell."""
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value if len(value) <= MAX_CELL_CHARS else value[: MAX_CELL_CHARS - 1] + "…"


def set_text(cell, value) -> None:
    """Put `value` in `cell` as literal text: a leading '=' or '+' stays text, never a formula."""
    if isinstance(value, str):
        value = clean_text(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_LEADS)


@contextmanager
def placed(path: str | Path):
    """A temporary file beside `path` to write; renamed into place when the block ends without error,
    removed when it does not."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        fsio.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(wb: Workbook, path: str | Path, when: dt.datetime, creator: str) -> Path:
    """Save `wb` with fixed properties and timestamps, via a temporary file renamed into place."""
    with placed(path) as tmp:
        _write(wb, tmp, when, creator, zipfile.ZIP_DEFLATED)
    return Path(path)


def package_bytes(wb: Workbook, when: dt.datetime, creator: str) -> bytes:
    """The package `save` would write, in memory and uncompressed (to be edited further)."""
    buffer = io.BytesIO()
    _write(wb, buffer, when, creator, zipfile.ZIP_STORED)
    return buffer.getvalue()


def _write(wb: Workbook, target, when: dt.datetime, creator: str, compression: int) -> None:
    wb.properties.creator = creator
    wb.properties.lastModifiedBy = creator
    wb.properties.created = when
    wb.properties.modified = when
    with _FixedTimeZip(target, "w", compression, allowZip64=True, when=when) as archive:
        ExcelWriter(wb, archive).write_data()


def parts(wb: Workbook) -> dict[str, bytes]:
    """The parts of the package `wb` would be saved as, by name."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        ExcelWriter(wb, archive).write_data()
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
