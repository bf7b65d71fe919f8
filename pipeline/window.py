"""What the clerk sees and answers in the console window: the questions before a run, the progress bar,
and what to do when the ledger cannot be used."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn


def date_arg(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD 格式，例如 2010-08-02：{text}") from None
    if not 1990 <= day.year <= 2099:
        raise argparse.ArgumentTypeError(f"日期应在 1990 年至 2099 年之间：{text}")
    return day


def ask(args, campaign, console) -> None:
    """Let the clerk choose the round and the date in the window; Enter keeps each default."""
    codes = [r.code for r in campaign.rounds]
    choices = "、".join(f"{r.code}（{r.name}）" for r in campaign.rounds)
    try:
        while not args.round:
            text = input(f"评议阶段：直接回车 = 按收件箱中工作簿所填的阶段；或输入 {choices}：").strip().upper()
            if not text or text in codes:
                args.round = text or None
                break
            console.print(f"没有“{text}”这个阶段，请重新输入。")
        while not args.as_of:
            text = input(f"基准日期：直接回车 = 今天（{dt.date.today()}）；或输入如 2010-08-02：").strip()
            if not text:
                break
            try:
                args.as_of = date_arg(text)
            except argparse.ArgumentTypeError as e:
                console.print(str(e))
    except EOFError:  # no one at the keyboard: the defaults
        pass


def ask_reopen(campaign, late: dict[str, list[str]], console) -> set[str]:
    """Files of a closed round came after it closed: ask, round by round, whether to reopen it (Enter: no,
    the round's results stay as they are)."""
    out = set()
    for code, names in sorted(late.items()):
        name = campaign.round(code).name
        shown = "、".join(names[:5]) + (f" 等 {len(names)} 份" if len(names) > 5 else "")
        console.print(f"{name}已经结束，但收件箱中有 {len(names)} 份{name}的文件是在它结束后才收到的：{shown}。",
                      soft_wrap=True, highlight=False, markup=False)
        try:
            text = input(f"直接回车 = 不计入（{name}的结果保持不变）；输入 Y = 重新开放{name}，用这些文件更正它的结果：")
        except EOFError:  # no one at the keyboard: nothing reopened
            text = ""
        if text.strip().upper() in ("Y", "YES"):
            out.add(code)
    return out


def how_to_run(root: Path) -> str:
    """How the clerk starts a run here: the launcher in the Windows folder, the command elsewhere."""
    return "双击“汇总.bat”" if (root / "python" / "python.exe").exists() else "运行：python run.py"


class LazyProgress:
    """A progress bar that appears only once the work has taken more than a second."""

    def __init__(self, console: Console):
        self.console, self.start, self.bar, self.task = console, time.monotonic(), None, None

    def __call__(self, done: int, total: int, name: str) -> None:
        if self.bar is None and time.monotonic() - self.start > 1 and done < total:
            self.bar = Progress(TextColumn("正在处理"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                                console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("", total=total)
        if self.bar is not None:
            self.bar.update(self.task, completed=done, description=name[:40])
            if done >= total:
                self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def ledger_message(db: Path, error: Exception) -> str:
    """What to do when the ledger cannot be used: restoring a backup only when SQLite finds it damaged."""
    from pipeline import ledger  # not at the top: the window's first lines come before pandas loads
    if db.exists() and ledger.damaged(db):
        return (f"台账 {db} 已损坏（{error}）。请不要再运行汇总，把 archive 文件夹整个复制一份留存，"
                "然后用最近的备份替换 archive 文件夹，再运行一次（inbox 中的文件会重新收下）。")
    return (f"台账 {db} 暂时无法读写（{error}）。它可能被其他程序占用（另一个汇总窗口、数据库查看工具、"
            "杀毒软件或备份软件），也可能是磁盘已满或没有写入权限。请关闭这些程序、检查磁盘后再运行；"
            "台账本身没有发现损坏，不需要从备份恢复。")


def ask_folder(found: list[Path], console: Console) -> Path | None:
    """The old program folder to upgrade from: the newest one found beside this one (Enter accepts it), or
    a folder the clerk drags into the window; None when there is neither."""
    prompt = (f"发现旧版本文件夹：{found[0]}\n直接按回车迁移它，或把另一个旧版本文件夹拖进窗口后按回车：" if found else
              "请把旧版本的 fnc-review 文件夹拖进窗口，然后按回车：")
    try:
        text = input(prompt).strip().strip('"')
    except EOFError:
        text = ""
    if text:
        return Path(text)
    return found[0] if found else None
