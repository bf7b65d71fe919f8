"""What a received file really is, from its bytes (never its name), before any parser touches it."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.campaign import Limits

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WPS_SUFFIXES = {".et", ".ett", ".wps", ".dps"}  # WPS's own formats: asked to save as .xlsx (SPEC §4)
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


@dataclass(frozen=True)
class Sniffed:
    format: str | None  # xlsx, xlsm, xls, ods; None when rejected
    code: str = ""  # finding code when rejected
    detail: str = ""


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _zip(path: Path, limits: Limits) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            if any(i.flag_bits & 0x1 for i in infos):
                return Sniffed(None, "E_ENCRYPTED")
            declared = sum(i.file_size for i in infos)
            if declared > limits.max_uncompressed_bytes:
                return Sniffed(None, "E_TOO_LARGE", f"解压后声明 {declared / 2**20:.0f} MiB，上限 "
                                                     f"{limits.max_uncompressed_bytes / 2**20:.0f} MiB")
            if "xl/workbook.xml" in names:
                macro = "xl/vbaProject.bin" in names
                return Sniffed("xlsm" if macro else "xlsx")
            if "xl/workbook.bin" in names:
                return Sniffed(None, "E_UNSUPPORTED_FORMAT", "Excel 二进制工作簿 .xlsb")
            if "mimetype" in names and z.read("mimetype")[:100].strip() == ODS_MIME:
                return Sniffed("ods") if "content.xml" in names else Sniffed(None, "E_CORRUPT", "ODS 文件缺少内容")
            if "mimetype" in names and "content.xml" in names:
                return Sniffed(None, "E_UNSUPPORTED_FORMAT", "OpenDocument 文档，但不是电子表格")
            if "word/document.xml" in names:
                return Sniffed(None, "E_UNSUPPORTED_FORMAT", "Word 文档")
            if "ppt/presentation.xml" in names:
                return Sniffed(None, "E_UNSUPPORTED_FORMAT", "PowerPoint 演示文稿")
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                return Sniffed("xlsx")  # workbook part under another name: the reader follows the package rels
            return Sniffed(None, "E_UNSUPPORTED_FORMAT", "压缩包")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        return Sniffed(None, "E_CORRUPT", f"压缩结构损坏：{type(e).__name__}")


def _ole2(head: bytes) -> Sniffed:
    if _utf16("EncryptedPackage") in head or _utf16("EncryptionInfo") in head:
        return Sniffed(None, "E_ENCRYPTED")
    if _utf16("Workbook") in head or _utf16("Book") in head:
        return Sniffed("xls")
    if _utf16("WordDocument") in head:
        return Sniffed(None, "E_UNSUPPORTED_FORMAT", "Word 97-2003 文档 .doc")
    if _utf16("PowerPoint Document") in head:
        return Sniffed(None, "E_UNSUPPORTED_FORMAT", "PowerPoint 文档")
    return Sniffed("xls")  # let the xls reader decide; it reports corruption itself


_TEXTUAL = [(b"%PDF", "PDF 文件"), (b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"), (b"GIF8", "GIF 图片"),
            (b"{\\rtf", "RTF 文档"), (b"Rar!", "RAR 压缩包"), (b"7z\xbc\xaf", "7z 压缩包")]


def sniff(path: Path, limits: Limits) -> Sniffed:
    """Decide the format from the bytes; refuse empty, oversized, encrypted and foreign files."""
    size = path.stat().st_size
    if size == 0:
        return Sniffed(None, "E_EMPTY_FILE")
    if size > limits.max_file_bytes:
        return Sniffed(None, "E_TOO_LARGE", f"文件 {size / 2**20:.0f} MiB，上限 {limits.max_file_bytes / 2**20:.0f} MiB")
    if path.suffix.lower() in WPS_SUFFIXES:
        return Sniffed(None, "E_UNSUPPORTED_FORMAT", f"WPS 专用格式 {path.suffix.lower()}")
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip(path, limits)
    if head.startswith(OLE2_MAGIC):
        with open(path, "rb") as f:  # the directory can sit anywhere in the file: scan it all (size is capped)
            return _ole2(f.read())
    for magic, what in _TEXTUAL:
        if head.startswith(magic):
            return Sniffed(None, "E_UNSUPPORTED_FORMAT", what)
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return Sniffed(None, "E_UNSUPPORTED_FORMAT", "Excel 2003 XML 表格")
    if text.startswith(b"<"):
        return Sniffed(None, "E_UNSUPPORTED_FORMAT", "网页或 XML 文件")
    if b"\x00" not in head[:4096]:
        return Sniffed(None, "E_UNSUPPORTED_FORMAT", "文本文件（如 CSV、TXT、JSON）")
    return Sniffed(None, "E_UNSUPPORTED_FORMAT", "未知格式")
