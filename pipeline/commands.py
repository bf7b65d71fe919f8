"""The commands behind the command line (cli.py parses the arguments and prints the first lines): the round,
the templates, the demo, the sample, status, init and upgrade, each printing what the clerk reads. Every stop
of a round, early ones included, ends with the same "结果：退出状态 N" line as a finished run (SPEC §9)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import tempfile
import traceback
from collections import Counter
from pathlib import Path

from rich.table import Table

from pipeline import demo, fsio, ledger, paths, upgrade, window
from pipeline.labels import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, stop_line
from pipeline.run import batch, rounds, verdict
from pipeline.campaign import CampaignError, load
from pipeline.findings import FLAG_CODES, title_of
from pipeline.labels import NOTICE_DIR, OTHER_ROUND, RETURNED_DIR, STATUSES, SUBMITTED, kind_label
from pipeline.ledger import status
from pipeline.outputs.clerk import replies
from pipeline.outputs.kits import sheetkit
from pipeline.outputs.units import templates

ROOT = paths.home()  # the program folder (a clone, the Windows zip), or the working folder when installed

def _cmd_templates(args, campaign, console) -> int:
    written = templates.write_all(campaign, args.out)
    for path in written:
        console.print(f"已生成模板：{path}")
    return EXIT_OK


def _cmd_demo(args, campaign, console) -> int:
    if args.inbox.exists() and any(args.inbox.iterdir()) and not args.force:
        _say(console, f"文件夹 {args.inbox} 不是空的。为免混入真实报送，请换一个空文件夹，或加 --force。", "red")
        return EXIT_USAGE
    try:
        key = demo.generate(campaign, args.inbox, units=args.units, members=args.members, round_code=args.round,
                            as_of=args.as_of, seed=args.seed, defects=args.defects, answer_key=args.answer_key,
                            absent=args.absent, tallies=args.tallies)
    except demo.DemoError as e:
        _say(console, str(e), "red")
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
        _say(console, f"{folder} 中已有 campaign.toml，不覆盖。要重新建立，请换一个空文件夹。", "red")
        return EXIT_USAGE
    kept = paths.copy_starter(source, folder, overwrite=False)
    for name in ("inbox", "outbox", "archive"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    if kept:
        console.print(f"以下 {len(kept)} 个文件已经存在，保留原样、没有覆盖：" +
                      "、".join(str(p.relative_to(folder)) for p in kept[:10]) + ("等" if len(kept) > 10 else ""),
                      soft_wrap=True)
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
        _say(console, str(e), "red")
        return EXIT_USAGE
    for line in lines:
        console.print(line, soft_wrap=True)
    console.print(f"迁移完成：{old} → {ROOT}。旧文件夹没有改动，确认新版本运行正常后可以删除。", soft_wrap=True)
    return EXIT_OK


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
    for col in (round_label, "应报单位", "已受理", "退回修改", "未报", kind_label(campaign, "street")):
        table.add_column(col, overflow="fold")  # 7 short columns: the table fits an 80-column window
    for r in rows:
        table.add_row(campaign.round(r.round).name, str(r.expected), str(len(r.accepted)), str(len(r.rejected)),
                      str(len(r.missing)), "已受理" if r.street else "未报")
    console.print(table)
    for r in rows:  # the long items on lines of their own, wrapped by the window, never cut
        name = campaign.round(r.round).name
        if r.last_run:
            console.print(f"{name}最近一次汇总：{r.last_run}", soft_wrap=True)
        if r.missing and (r.accepted or r.rejected):
            console.print(f"{name}未报单位：" + "、".join(f"{u.code} {u.name}" for u in r.missing), soft_wrap=True)
        if r.rejected:
            console.print(f"{name}退回修改：" + "、".join(f"{u.code} {u.name}" for u in r.rejected), soft_wrap=True)
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
    as_of = args.as_of or dt.date.today()  # the first lines (cli.py) said it, and asked when --ask
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
    for line in verdict.lines(campaign, result, items, code, options=not args.launcher):
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
    t.add_row("文件", verdict.received_line(result))
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


COMMANDS = {"run": _cmd_run, "templates": _cmd_templates, "demo": _cmd_demo, "example": _cmd_run,
            "status": _cmd_status}

def dispatch(command: str, args, console, campaign=None, run_like: bool = False) -> int:
    """Run `command`; every failure is said in Chinese with what to do, and a round's stop (`run_like`) ends
    with its verdict line. `campaign`: already loaded by cli.py's first lines, or None."""
    if command in ("init", "upgrade"):
        code, said = (_cmd_init if command == "init" else _cmd_upgrade)(args, console), False
    else:
        code, said = _guarded(command, args, console, campaign, run_like)
    if not said and (run_like or code != EXIT_OK):
        console.print(stop_line(code), highlight=False, markup=False, soft_wrap=True)
    return code


def _guarded(command: str, args, console, campaign, run_like: bool) -> tuple[int, bool]:
    """The command's exit status, and whether it printed its own verdict (a finished round does)."""
    try:
        campaign = campaign or load(args.campaign)
        return COMMANDS[command](args, campaign, console), run_like
    except batch.EmptyInbox as e:
        _say(console, str(e), "yellow")
    except CampaignError as e:
        hint = "" if paths.in_program_folder() or Path(args.campaign).exists() else \
            f"\n这里还不是工作文件夹：请先运行 {paths.prog()} init，建立活动配置、模板和收件箱。"
        _say(console, f"{e}{hint}", "red")
    except (batch.UsageError, ledger.LedgerBusy, ledger.LedgerDamaged, ledger.ArchiveIncomplete, fsio.FileBusy,
            sheetkit.TooManyRows) as e:
        _say(console, str(e), "red")
    except OSError as e:
        if not fsio.is_environment_error(e, *(getattr(args, k, ROOT / k) for k in ("outbox", "archive"))):
            return _unexpected(console, args), False
        _say(console, fsio.environment_message(e), "red")
    except sqlite3.DatabaseError as e:
        _say(console, window.ledger_message(Path(getattr(args, 'archive', ROOT / 'archive')) / ledger.DB_NAME, e), "red")
    except KeyboardInterrupt:
        console.print("已中断。")
        return EXIT_FAILURE, False
    except Exception:
        return _unexpected(console, args), False
    return EXIT_USAGE, False


def _say(console, text: str, style: str) -> None:
    """A message holding paths or a library's words: printed as it is (a `[` in a folder name is no markup)
    and never wrapped by the program, so a path is never cut; the window wraps the line."""
    console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)


def _unexpected(console, args) -> int:
    log = _write_log(getattr(args, "archive", ROOT / "archive"))
    _say(console, f"程序发生意外故障，未完成。详细信息已写入：{log}\n请把该文件发给技术支持。", "red")
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
