"""Command line: parse, call the library, print a summary, pick the exit status (SPEC §9)."""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import datetime as dt
import logging
import sys
import traceback
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline import __version__, demo, fsio, ledger, paths, upgrade, window
from pipeline.run import batch, rounds, verdict
from pipeline.campaign import CampaignError, load
from pipeline.findings import FLAG_CODES, title_of
from pipeline.labels import NOTICE_DIR, OTHER_ROUND, RETURNED_DIR, STATUSES, SUBMITTED, kind_label
from pipeline.ledger import status
from pipeline.outputs.clerk import replies
from pipeline.outputs.kits import sheetkit
from pipeline.outputs.units import templates

ROOT = paths.home()  # the program folder (a clone, the Windows zip), or the working folder when installed
EXAMPLE = ROOT / "示例"  # the shipped sample round: its own inbox, outbox and archive
EXAMPLE_AS_OF = "基准日期.txt"  # in EXAMPLE: the as-of date the sample was generated for
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_REJECTED = (verdict.EXIT_OK, verdict.EXIT_FAILURE, verdict.EXIT_USAGE,
                                                    verdict.EXIT_REJECTED)

DESCRIPTION = """丰年村街创先争优活动 评议汇总程序。

不带子命令运行即为 run：读取 inbox/ 中各单位报送的工作簿，校验、汇总，结果写入 outbox/；评议阶段默认按收件箱中
工作簿所填的阶段，基准日期默认今天。最后几行写明结论和下一步；要回复的单位列在结果文件夹的 回复清单.txt 中。
退出状态：0 完成，没有需要发回的文件；3 完成，有文件需要发回报送单位；2 有文件被占用或正在复制而未能读取，
或用法、活动配置有误，收件箱为空，磁盘已满或存档文件缺失，另一个汇总正在运行，台账被占用或损坏；1 意外故障（附日志路径）。
全局选项写在子命令前后均可，如 run.py status --archive X。"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"用法错误：{message}\n")


# The global options: accepted before the subcommand and after it alike (`run.py status --archive X`).
GLOBAL_OPTIONS = {
    "--campaign": dict(type=Path, default=ROOT / "campaign.toml", help="活动配置文件（默认 campaign.toml）"),
    "--inbox": dict(type=Path, default=ROOT / "inbox", help="收件箱文件夹（默认 inbox/）"),
    "--outbox": dict(type=Path, default=ROOT / "outbox", help="结果文件夹（默认 outbox/）"),
    "--archive": dict(type=Path, default=ROOT / "archive", help="台账与存档文件夹（默认 archive/）"),
    "--round": dict(default=None, help="汇总的评议阶段，如 R1（默认：收件箱中工作簿所填的阶段；没有工作簿时按基准日期）"),
    "--publish-on": dict(type=window.date_arg, default=None,
                         help="评议结果公示的开始日期 YYYY-MM-DD（默认：campaign.toml 中本阶段的 publish_results_on）"),
    "--as-of": dict(type=window.date_arg, default=None, help="基准日期 YYYY-MM-DD（默认今天），用于判断逾期"),
    "--reopen": dict(action="append", default=None, metavar="阶段",
                     help="重新开放已结束的评议阶段（如 R1）：该阶段结束后才收到的文件也计入该阶段，可能改变该阶段的结果"),
    "--wait": dict(type=float, default=batch.DEFAULT_WAIT_SECONDS,
                   help=f"另一个汇总正在运行时最多等待的秒数（默认 {batch.DEFAULT_WAIT_SECONDS}）"),
    "--open": dict(action="store_true", default=False, help="汇总完成后打开结果文件夹（Windows）"),
    "-q": dict(dest="quiet", action="store_true", default=False, help="只显示结论，不列出每个文件"),
    "-v": dict(dest="verbose", action="store_true", default=False, help="另外显示各阶段用时"),
    "--ask": dict(action="store_true", default=False,
                  help="开始前询问评议阶段和基准日期（直接回车用默认值；汇总.bat 使用）"),
}


def _options(p: argparse.ArgumentParser, names, top: bool) -> None:
    """Add global options; on a subcommand their defaults are suppressed so that the value given
    before the subcommand (or the default) stays unless the option is given after it."""
    for name in names:
        kwargs = dict(GLOBAL_OPTIONS[name])
        if not top:
            kwargs["default"] = argparse.SUPPRESS
        p.add_argument(name, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="run.py", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"fnc-review {__version__}")
    _options(p, GLOBAL_OPTIONS, top=True)
    sub = p.add_subparsers(dest="command", metavar="子命令", parser_class=_Parser)
    r = sub.add_parser("run", help="校验并汇总收件箱（默认）")
    _options(r, GLOBAL_OPTIONS, top=False)
    t = sub.add_parser("templates", help="按活动配置生成标准模板（单位填报表、街道点评表）")
    _options(t, ["--campaign"], top=False)
    t.add_argument("--out", type=Path, default=ROOT / "templates_xlsx", help="输出文件夹（默认 templates_xlsx/）")
    m = sub.add_parser("demo", help="生成演示用的报送文件（含可选的常见错误与答案）")
    m.add_argument("--inbox", type=Path, required=True, help="写入演示文件的文件夹（须为空，或加 --force）")
    m.add_argument("--units", type=int, default=None, help="单位数（默认：活动配置中的全部单位）")
    m.add_argument("--members", type=int, default=20, help="每单位党员数（默认 20）")
    m.add_argument("--round", default=None, help="评议阶段，如 R1（默认：基准日期所在阶段，否则 R1）")
    m.add_argument("--as-of", type=window.date_arg, default=None, help="基准日期（默认：该阶段报送截止日）")
    m.add_argument("--seed", default="1", help="随机种子（相同种子生成相同文件）")
    m.add_argument("--defects", action="store_true", help="注入常见填报错误和可接受的写法，并写出答案文件")
    m.add_argument("--answer-key", type=Path, default=None, help="答案文件路径（默认：演示文件夹中的 answer_key.json）")
    m.add_argument("--absent", type=int, default=0, metavar="K",
                   help="每单位 K 名正式党员本阶段未参评（填写未参评原因，无评议票）")
    m.add_argument("--tallies", action="store_true", help="各单位以得票汇总（组织评议汇总、党员评议汇总）代替逐票录入，票面相同")
    m.add_argument("--force", action="store_true", help="文件夹非空时也写入")
    _options(m, ["--campaign"], top=False)
    e = sub.add_parser("example", help=f"运行示例：用 {EXAMPLE.name}/ 中的示例报送文件演示一次汇总（有自己的收件箱、台账和结果文件夹，不碰正式台账）")
    e.add_argument("--as-of", type=window.date_arg, default=None, help="基准日期（默认：示例文件的基准日期）")
    _options(e, ["--campaign", "--open"], top=False)
    i = sub.add_parser("init", help="在一个文件夹中建立工作目录：活动配置、模板、收件箱等和示例（用 pip 安装后使用）")
    i.add_argument("folder", type=Path, nargs="?", default=Path.cwd(), help="工作文件夹（默认：当前文件夹）")
    g = sub.add_parser("upgrade", help="从旧版本的程序文件夹迁移台账、存档、收件箱和结果（升级.bat 使用；旧文件夹不变）")
    g.add_argument("--from", dest="old", type=Path, default=None, help="旧版本的程序文件夹（默认：自动查找同一位置的旧版本）")
    s = sub.add_parser("status", help="查看已存档的各阶段报送情况")
    s.add_argument("--verify", action="store_true", help="逐个核对存档文件的内容指纹（SHA-256）")
    _options(s, ["--campaign", "--archive", "--wait"], top=False)
    return p


def _cmd_templates(args, campaign, console) -> int:
    written = templates.write_all(campaign, args.out)
    for path in written:
        console.print(f"已生成模板：{path}")
    return EXIT_OK


def _cmd_demo(args, campaign, console) -> int:
    if args.inbox.exists() and any(args.inbox.iterdir()) and not args.force:
        console.print(f"[red]文件夹 {args.inbox} 不是空的。为免混入真实报送，请换一个空文件夹，或加 --force。[/red]")
        return EXIT_USAGE
    try:
        key = demo.generate(campaign, args.inbox, units=args.units, members=args.members, round_code=args.round,
                            as_of=args.as_of, seed=args.seed, defects=args.defects, answer_key=args.answer_key,
                            absent=args.absent, tallies=args.tallies)
    except demo.DemoError as e:
        console.print(f"[red]{e}[/red]")
        return EXIT_USAGE
    n = sum(1 for p in args.inbox.iterdir() if p.is_file())
    console.print(f"已在 {args.inbox} 生成 {n} 个演示文件。")
    if args.defects:
        console.print(f"答案文件列出 {len(key)} 处预期问题。")
    return EXIT_OK


def _cmd_init(args, console) -> int:
    """A working folder from the starter files: campaign.toml, templates, inbox/outbox/archive, the sample."""
    folder, source = args.folder, paths.starter()
    if (folder / "campaign.toml").exists():
        console.print(f"[red]{folder} 中已有 campaign.toml，不覆盖。要重新建立，请换一个空文件夹。[/red]")
        return EXIT_USAGE
    paths.copy_starter(source, folder)
    for name in ("inbox", "outbox", "archive"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    console.print(f"已在 {folder} 建立工作文件夹：campaign.toml（活动配置）、templates_xlsx（模板）、inbox、outbox、archive，"
                  "以及示例。先运行 fnc-review example 看一次示例汇总；正式汇总时把报送文件放入 inbox 后运行 fnc-review。",
                  soft_wrap=True)
    return EXIT_OK


def _cmd_upgrade(args, console) -> int:
    old = args.old or window.ask_folder(upgrade.candidates(ROOT), console)
    if old is None:
        console.print("[red]没有找到旧版本文件夹。请运行 升级.bat 后把旧版本的 fnc-review 文件夹拖进窗口，再按回车。[/red]")
        return EXIT_USAGE
    try:
        lines = upgrade.upgrade(old, ROOT)
    except upgrade.UpgradeError as e:
        console.print(f"[red]{e}[/red]")
        return EXIT_USAGE
    for line in lines:
        console.print(line, soft_wrap=True)
    console.print(f"迁移完成：{old} → {ROOT}。旧文件夹没有改动，确认新版本运行正常后可以删除。", soft_wrap=True)
    return EXIT_OK


def _cmd_example(args, campaign, console) -> int:
    """The shipped sample, run in 示例/ (its own inbox, outbox and archive): never the real archive."""
    args.inbox, args.outbox, args.archive = EXAMPLE / "inbox", EXAMPLE / "outbox", EXAMPLE / "archive"
    args.as_of = args.as_of or window.date_arg((EXAMPLE / EXAMPLE_AS_OF).read_text(encoding="utf-8").strip())
    args.round = None
    console.print(f"这是示例：读取 {args.inbox}，结果写入 {args.outbox}，台账在 {args.archive}（与正式台账分开）。",
                  soft_wrap=True)
    return _cmd_run(args, campaign, console)


def _cmd_status(args, campaign, console) -> int:
    if not (args.archive / ledger.DB_NAME).exists():
        console.print(f"尚未运行过汇总，台账为空。把报送文件放入 inbox 文件夹后{window.how_to_run(ROOT)}。")
        return EXIT_OK
    def read(read_only: bool):
        lg = ledger.Ledger(args.archive, campaign, read_only)
        try:
            if getattr(args, "verify", False):  # every archived copy re-hashed; a missing or changed one: exit 2
                ledger.copies.check(lg, {}, rehash=True)
                console.print("存档核对完毕：台账登记的每个文件的原样存档都在，内容指纹一致。")
            return status.by_round(campaign, lg)
        finally:
            lg.close()
    if ledger.writable(args.archive):
        with ledger.locked(args.archive, args.wait):
            rows = read(False)
    else:  # a backup copy on a write-protected disk: reading needs no lock and writes nothing
        rows = read(True)
    table = Table(title=f"{campaign.name}  台账（{args.archive}）")
    round_label = next(f.label for f in campaign.workbooks["unit"].info if f.key == "round")
    for col in (round_label, "应报单位", "已受理", "退回修改", "未报", kind_label(campaign, "street"), "最近一次汇总"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.round, str(r.expected), str(len(r.accepted)), str(len(r.rejected)), str(len(r.missing)),
                      "已受理" if r.street else "未报", r.last_run or "—")
    console.print(table)
    for r in rows:
        if r.missing and (r.accepted or r.rejected):
            console.print(f"{r.round} 未报单位：" + "、".join(f"{u.code} {u.name}" for u in r.missing))
        if r.rejected:
            console.print(f"{r.round} 退回修改：" + "、".join(f"{u.code} {u.name}" for u in r.rejected))
    return EXIT_OK


def _log_to(archive: Path) -> None:
    """Unexpected per-file failures go to archive/logs/ (created only when something is logged)."""
    folder = Path(archive) / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / f"run-{dt.datetime.now():%Y%m%d-%H%M%S}.log", delay=True, encoding="utf-8")
    handler.setLevel(logging.WARNING)
    logging.getLogger("pipeline").addHandler(handler)


def _cmd_run(args, campaign, console) -> int:
    if args.inbox.is_dir():
        batch.check_folders(args.inbox, args.outbox, args.archive)  # before anything is written there
    if args.ask:
        window.ask(args, campaign, console)
    as_of = args.as_of or dt.date.today()
    console.print(f"{campaign.name}：基准日期 {as_of}{'' if args.as_of else '（今天）'}；评议阶段 " +
                  (f"{args.round}（指定）" if args.round else "按收件箱中的工作簿确定") +
                  "。要改用其他阶段或日期，见 --round 和 --as-of。", soft_wrap=True)
    _log_to(args.archive)
    progress = window.LazyProgress(console)

    def on_round(choice):
        progress.close()
        for line in rounds.lines(campaign, choice, as_of):
            console.print(line, soft_wrap=True, highlight=False, markup=False)
    try:
        result = batch.run(campaign, args.inbox, args.outbox, args.archive, round_code=args.round,
                           as_of=as_of, wait_seconds=args.wait, on_file=progress, publish_on=args.publish_on,
                           on_stage=None if args.quiet else lambda name: console.print(f"[dim]正在{name}……[/dim]"),
                           reopen=_reopened(args), on_round=on_round,
                           ask_reopen=(lambda late: window.ask_reopen(campaign, late, console)) if args.ask else None)
    except batch.EmptyInbox as e:
        console.print(f"[yellow]{e}[/yellow]")
        return EXIT_USAGE
    finally:
        progress.close()
    table = Table(title=f"{campaign.name}  {result.round}  基准日期 {result.as_of}")
    for col in ("文件", "类型", "单位", "结果", "错误", "警告"):
        table.add_column(col, overflow="fold")
    colours = {"accepted": "green", "rejected": "red", "duplicate": "yellow", "superseded": "dim", "late": "yellow"}
    for f in result.files:
        if f.quiet:  # another round's file already in the ledger: counted in the first lines, not listed again
            continue
        s = f.stored
        shown = STATUSES[f.status] if s.kind or f.status != "rejected" else "未受理"
        if f.other_round:
            shown = f"{OTHER_ROUND}（{s.round}）：{shown}"
        if f.status == "rejected" and f.errors:
            shown += f"：{f.errors[0].title}"
        table.add_row(f.name, kind_label(campaign, s.kind), s.unit_code, f"[{colours[f.status]}]{shown}[/]",
                      str(len(f.errors) or ""), str(len(f.warnings) or ""))
    for r in result.ignored:
        table.add_row(r.name, "—", "", "[dim]已忽略：系统文件[/]", "", "")
    for r in result.changed:
        table.add_row(r.name, "—", "", "[yellow]未处理：读取时文件在变化，请稍后再运行[/]", "", "")
    for r in result.held:
        table.add_row(r.name, "—", "", "[yellow]未处理：文件被占用，请关闭后再运行[/]", "", "")
    if not args.quiet:
        console.print(table)
        console.print(_summary(campaign, result))
    if args.verbose:
        console.print("各阶段用时：" + "；".join(f"{stage} {seconds:.2f} 秒" for stage, seconds in result.timings.items()))
    items = replies.replies(campaign, result.files)
    code = verdict.exit_status(result, items)
    for line in verdict.lines(campaign, result, items, code):
        console.print(line, highlight=False, markup=False, soft_wrap=True)  # the window wraps it, nothing is cut
    if args.open and hasattr(os, "startfile"):  # Windows: show the clerk the run's folder in Explorer
        os.startfile(result.folder)
    return code


def _reopened(args) -> frozenset[str]:
    """The rounds given with --reopen (R1, or R1,R2), in capitals."""
    return frozenset(code.strip().upper() for given in (getattr(args, "reopen", None) or [])
                     for code in given.split(",") if code.strip())


def _summary(campaign, result) -> Table:
    """The closing summary: units by state, flags by kind, and where each output is."""
    report = result.report
    states = Counter(report.submissions["status"])
    counts = Counter(f.code for f in report.flags)
    t = Table(title="汇总结果", show_header=False)
    t.add_column("项目", style="bold")
    t.add_column("内容", overflow="fold")
    t.add_row("单位报送", f"应报 {len(campaign.units)}：" + "，".join(f"{label} {states[k]}" for k, label in SUBMITTED.items()) +
              f"；{kind_label(campaign, 'street')}{SUBMITTED['accepted' if report.street_file else 'missing']}")
    t.add_row("问题标记", "，".join(f"{title_of(c)} {counts[c]}" for c in FLAG_CODES if counts[c]) or "无")
    unread = len(result.unread)
    t.add_row("文件", "，".join(f"{label} {len(result.with_status(k)) - (unread if k == 'rejected' else 0)}"
                              for k, label in STATUSES.items() if k != "late" or result.late) + (f"，未受理（非本活动工作簿） {unread}" if unread else "") +
              (f"，已忽略系统文件 {len(result.ignored)}" if result.ignored else "") +
              (f"，读取时在变化、未处理 {len(result.changed)}（请稍后再运行）" if result.changed else ""))
    folder = result.folder
    if result.reused_from:
        t.add_row("沿用上次结果", f"与上次运行（{result.reused_from}）相比没有新的报送，结果文件与上次相同，已直接复制。")
    for path in result.outputs:  # what the writers wrote; the copies, counted below
        if path.parent == folder:
            t.add_row(("数据文件" if path.name == "data" else path.name) if path.is_dir() else path.name, str(path))
    for sub, label in ((RETURNED_DIR, "退回修改稿"), (NOTICE_DIR, "提示稿（无需重报）")):
        copies = [f for f in result.files if f.returned and f.returned.parent.name == sub]
        if copies:
            t.add_row(label, f"{len(copies)} 份：{folder / sub}")
    return t


COMMANDS = {"run": _cmd_run, "templates": _cmd_templates, "demo": _cmd_demo, "example": _cmd_example,
            "status": _cmd_status}


def _never_fail_on_a_character() -> None:
    """A GBK console, a cp1252 pipe: a character the output cannot encode is replaced, never raised."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def main(argv: list[str] | None = None) -> int:
    _never_fail_on_a_character()
    args = build_parser().parse_args(argv)
    console = Console(highlight=False)
    command = args.command or "run"
    if command in ("init", "upgrade"):
        return (_cmd_init if command == "init" else _cmd_upgrade)(args, console)
    try:
        campaign = load(args.campaign)
        return COMMANDS[command](args, campaign, console)
    except CampaignError as e:
        hint = "" if paths.in_program_folder() or Path(args.campaign).exists() else \
            "\n这里还不是工作文件夹：请先运行 fnc-review init，建立活动配置、模板和收件箱。"
        console.print(f"[red]{e}{hint}[/red]")
        return EXIT_USAGE
    except (batch.UsageError, ledger.LedgerBusy, ledger.LedgerDamaged, ledger.ArchiveIncomplete, fsio.FileBusy,
            sheetkit.TooManyRows) as e:
        console.print(f"[red]{e}[/red]")
        return EXIT_USAGE
    except OSError as e:
        if not fsio.is_environment_error(e, *(getattr(args, k, ROOT / k) for k in ("outbox", "archive"))):
            return _unexpected(console, args)
        console.print(f"[red]{fsio.environment_message(e)}[/red]")
        return EXIT_USAGE
    except sqlite3.DatabaseError as e:
        console.print(f"[red]{window.ledger_message(Path(getattr(args, 'archive', ROOT / 'archive')) / ledger.DB_NAME, e)}[/red]")
        return EXIT_USAGE
    except KeyboardInterrupt:
        console.print("已中断。")
        return EXIT_FAILURE
    except Exception:
        return _unexpected(console, args)


def _unexpected(console, args) -> int:
    log = _write_log(getattr(args, "archive", ROOT / "archive"))
    console.print(f"[red]程序发生意外故障，未完成。详细信息已写入：{log}\n请把该文件发给技术支持。[/red]")
    return EXIT_FAILURE


def _write_log(archive: Path) -> Path:
    """The traceback in archive/logs/, or in the temporary folder when the archive cannot be written."""
    name = f"error-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    text = traceback.format_exc()
    for folder in (Path(archive) / "logs", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
            return folder / name
        except OSError:
            continue
    return Path(name)
