"""Moving to a newer version of the program (SPEC §11): the Windows zip is unzipped beside the old folder,
and `run.py upgrade` (升级.bat) brings the old folder's ledger and archived files, inbox and outbox into the
new one, and its campaign file when the new program reads it. Nothing in the old folder is changed."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from pipeline.campaign import CampaignError, load
from pipeline.ledger import DB_NAME

DATA = ("archive", "inbox", "outbox")


class UpgradeError(Exception):
    """The upgrade cannot be done as asked: the message says why and what to do."""


def candidates(program: Path) -> list[Path]:
    """Folders beside this program's folder that hold an older copy with a ledger, newest first."""
    parent = program.resolve().parent
    found = [p for p in parent.iterdir() if p.is_dir() and p.resolve() != program.resolve()
             and (p / "run.py").is_file() and (p / "archive" / DB_NAME).is_file()]
    return sorted(found, key=lambda p: (p / "archive" / DB_NAME).stat().st_mtime, reverse=True)


def _sound(db: Path) -> None:
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise UpgradeError(f"旧版本的台账 {db} 无法读取（{e}），没有迁移任何文件。") from None
    if not ok:
        raise UpgradeError(f"旧版本的台账 {db} 已损坏，没有迁移任何文件。请用备份中的 archive 文件夹。")


def upgrade(old: Path, new: Path) -> list[str]:
    """Copy the old folder's data into the new program folder; the lines to show the clerk."""
    old, new = old.resolve(), new.resolve()
    if old == new:
        raise UpgradeError("旧版本文件夹就是本文件夹，不需要迁移。")
    if not (old / "archive" / DB_NAME).is_file():
        raise UpgradeError(f"{old} 中没有台账（archive\\{DB_NAME}），不是用过的旧版本文件夹。请选择旧版本的 fnc-review 文件夹。")
    if (new / "archive" / DB_NAME).exists():
        raise UpgradeError(f"本文件夹 {new} 已经有台账，为免覆盖，没有迁移。若确要迁移，请换一个新解压的文件夹。")
    lines = []
    for name in DATA:
        if (old / name).is_dir():
            shutil.copytree(old / name, new / name, dirs_exist_ok=True)
            lines.append(f"已复制 {name}：{sum(1 for p in (new / name).rglob('*') if p.is_file())} 个文件。")
    try:
        _sound(new / "archive" / DB_NAME)  # checked on the copy: reading the old one would touch its folder
    except UpgradeError:
        shutil.rmtree(new / "archive", ignore_errors=True)
        (new / "archive").mkdir()
        raise
    lines.append(_campaign(old, new))
    return lines


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
