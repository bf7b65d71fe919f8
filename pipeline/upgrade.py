"""Moving to a newer version of the program (SPEC §11): the Windows zip is unzipped beside the old folder,
and `run.py upgrade` (升级.bat) brings the old folder's ledger and archived files, inbox and outbox into the
new one, and its campaign file when the new program reads it. Nothing in the old folder is changed."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from pipeline.campaign import CampaignError, load
from pipeline.labels import BESIDE
from pipeline.ledger import DB_NAME

DATA = ("archive", "inbox", "outbox")
ZIP_PREFIX = "fnc-review"  # how the Windows zip (fnc-review-win64.zip) and the folders unzipped from it begin


class UpgradeError(Exception):
    """The upgrade cannot be done as asked: the message says why and what to do."""


def candidates(program: Path) -> list[Path]:
    """Older copies of the program with a ledger, newest first: folders beside this program's folder, and
    the program folder inside each of the parent's other folders named like the zip (Windows' 全部解压缩 puts
    every zip in a folder of its own name: …\\fnc-review-win64\\fnc-review beside …\\fnc-review-win64 (1)\\fnc-review)."""
    me = program.resolve()
    places = [p for p in _folders(me.parent) if p != me]
    if me.parent.parent != me.parent:  # the zip's own folders only: fnc-review-win64, fnc-review-win64 (1)…
        places += [q for other in _folders(me.parent.parent) if other != me.parent
                   and other.name.lower().startswith(ZIP_PREFIX) for q in _folders(other)]
    found = [p for p in places if (p / "run.py").is_file() and (p / "archive" / DB_NAME).is_file()]
    return sorted(found, key=lambda p: (p / "archive" / DB_NAME).stat().st_mtime, reverse=True)


def _folders(parent: Path) -> list[Path]:
    try:
        return sorted(p.resolve() for p in parent.iterdir() if p.is_dir())
    except OSError:  # a folder the clerk may not list
        return []


def _ask(db: Path, sql: str):
    """The first value `sql` gives on the ledger opened read-only (it is never changed or created)."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def holds_submissions(db: Path) -> bool:
    """Whether a ledger holds any received file (one left by a run on an empty inbox holds none: not data)."""
    if not db.is_file():
        return False
    try:
        return _ask(db, "SELECT EXISTS (SELECT 1 FROM submissions)") == 1
    except sqlite3.DatabaseError:  # no such table yet, or unreadable: data of some kind, never overwritten
        try:
            return _ask(db, "SELECT COUNT(*) FROM sqlite_master") != 0
        except sqlite3.DatabaseError:
            return True


def _sound(db: Path) -> None:
    try:
        ok = _ask(db, "PRAGMA quick_check") == "ok"
    except sqlite3.DatabaseError as e:
        raise UpgradeError(f"旧版本的台账 {db} 无法读取（{e}），没有迁移任何文件。") from None
    if not ok:
        raise UpgradeError(f"旧版本的台账 {db} 已损坏，没有迁移任何文件。请用备份中的 archive 文件夹。")


def upgrade(old: Path, new: Path) -> list[str]:
    """Copy the old folder's data into the new program folder; the lines to show the clerk. A file the new
    folder has already stays; a same-named one with other bytes comes beside it (BESIDE) and is listed."""
    old, new = old.resolve(), new.resolve()
    if old == new:
        raise UpgradeError("旧版本文件夹就是本文件夹，不需要迁移。")
    if not (old / "archive" / DB_NAME).is_file():
        raise UpgradeError(f"{old} 中没有台账（archive\\{DB_NAME}），不是用过的旧版本文件夹。请选择旧版本的 fnc-review 文件夹。")
    if holds_submissions(new / "archive" / DB_NAME):
        raise UpgradeError(f"本文件夹 {new} 已经有台账，为免覆盖，没有迁移。若确要迁移，请换一个新解压的文件夹。")
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):  # a ledger that received nothing is not data
        (new / "archive" / name).unlink(missing_ok=True)
    lines, beside = [], []
    for name in DATA:
        if (old / name).is_dir():
            copied, moved = _bring(old / name, new / name)
            beside += moved
            lines.append(f"已复制 {name}：{copied} 个文件。")
    try:
        _sound(new / "archive" / DB_NAME)  # checked on the copy: reading the old one would touch its folder
    except UpgradeError:
        shutil.rmtree(new / "archive", ignore_errors=True)
        (new / "archive").mkdir()
        raise
    if beside:
        lines.append(f"新文件夹中已有 {len(beside)} 个同名但内容不同的文件，保留新文件夹中的文件，旧版本的文件另存在旁边："
                     + "；".join(str(p.relative_to(new)) for p in beside) + "。请核对后删去不需要的。")
    lines.append(_campaign(old, new))
    return lines


def _bring(source: Path, target: Path) -> tuple[int, list[Path]]:
    """Copy the files of `source` into `target` without replacing any: a file with the same bytes is there
    already; one with other bytes comes beside it. (files copied, the files put beside)."""
    copied, beside = 0, []
    for f in sorted(p for p in source.rglob("*") if p.is_file()):
        dst = target / f.relative_to(source)
        if dst.exists():
            if dst.is_file() and dst.read_bytes() == f.read_bytes():
                continue
            dst = _free_beside(dst, f)
            if dst is None:  # an earlier upgrade brought it beside already
                continue
            beside.append(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dst)
        copied += 1
    return copied, beside


def _free_beside(dst: Path, f: Path) -> Path | None:
    """The name beside `dst` for the old version `f` (X（旧版本）.xlsx, X（旧版本2）.xlsx…), or None when one of
    them already holds the same bytes."""
    for n in range(1, 100):
        mark = BESIDE if n == 1 else BESIDE.replace("）", f"{n}）")
        candidate = dst.with_name(f"{dst.stem}{mark}{dst.suffix}")
        if not candidate.exists():
            return candidate
        if candidate.is_file() and candidate.read_bytes() == f.read_bytes():
            return None
    raise UpgradeError(f"{dst} 旁已有太多旧版本文件，没有迁移。请先整理该文件夹。")


def _campaign(old: Path, new: Path) -> str:
    """The old campaign file replaces the shipped one when the new program reads it (the street's own units and
    dates are kept); otherwise it is kept beside it for the 党办 to carry its changes over."""
    before, after = old / "campaign.toml", new / "campaign.toml"
    if not before.is_file() or before.read_bytes() == after.read_bytes():
        return "活动配置 campaign.toml 与新版本相同。"
    try:
        load(before)
    except CampaignError as e:
        shutil.copy2(before, new / "campaign.旧版.toml")
        return (f"旧版本的 campaign.toml 新版本无法直接使用（{e}），已另存为 campaign.旧版.toml；本文件夹使用新版本的配置，"
                "请把旧配置中改过的内容（单位名单、日期等）照着改到 campaign.toml 中。")
    shutil.copy2(after, new / "campaign.新版默认.toml")
    shutil.copy2(before, after)
    return "已沿用旧版本的活动配置 campaign.toml（新版本自带的配置另存为 campaign.新版默认.toml）。"
