"""Command line (SPEC §9): parse the arguments, print the run's first lines, then hand over to commands.py.
Only light modules are imported here: the window answers at once, and --version and --help load none of
the heavy libraries (pandas, openpyxl, XlsxWriter, python-docx), which commands.py brings in."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from rich.console import Console

from pipeline import __version__, fsio, paths, window
from pipeline.labels import EXIT_FAILURE, EXIT_OK, EXIT_REJECTED, EXIT_USAGE  # noqa: F401  (cli.EXIT_*)
from pipeline.campaign import CampaignError, load

ROOT = paths.home()  # the program folder (a clone, the Windows zip), or the working folder when installed
EXAMPLE = ROOT / "示例"  # the shipped sample round: its own inbox, outbox and archive
EXAMPLE_AS_OF = "基准日期.txt"  # in EXAMPLE: the as-of date the sample was generated for
RUN_LIKE = ("run", "example")  # the commands that run a round and end with its verdict

DESCRIPTION = """丰年村街创先争优活动 评议汇总程序。

不带子命令运行即为 run：读取 inbox/ 中各单位报送的工作簿，校验、汇总，结果写入 outbox/；评议阶段默认按收件箱中
工作簿所填的阶段，基准日期默认今天。最后几行写明结论和下一步；要回复的单位列在结果文件夹的 回复清单.txt 中。
退出状态：0 完成，没有需要发回的文件；3 完成，有文件需要发回报送单位；2 有文件被占用或正在复制而未能读取，
或用法、活动配置有误，收件箱为空，磁盘已满或存档文件缺失，另一个汇总正在运行，台账被占用或损坏；1 意外故障（附日志路径）。
全局选项写在子命令前后均可，如 {prog} status --archive X。"""


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
    "--wait": dict(type=float, default=fsio.WAIT_SECONDS,
                   help=f"另一个汇总正在运行时最多等待的秒数（默认 {fsio.WAIT_SECONDS}）"),
    "--open": dict(action="store_true", default=False, help="汇总完成后打开结果文件夹（Windows）"),
    "-q": dict(dest="quiet", action="store_true", default=False, help="只显示结论，不列出每个文件"),
    "-v": dict(dest="verbose", action="store_true", default=False, help="另外显示各阶段用时"),
    "--ask": dict(action="store_true", default=False,
                  help="开始前询问评议阶段和基准日期（直接回车用默认值；汇总.bat 使用）"),
    "--from-bat": dict(dest="launcher", action="store_true", default=False, help=argparse.SUPPRESS),  # no option names shown
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
    p = _Parser(prog=paths.prog(), description=DESCRIPTION.replace("{prog}", paths.prog()), formatter_class=argparse.RawDescriptionHelpFormatter)
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
    m.add_argument("--answer-key", type=Path, default=None, help="答案文件路径（默认：演示文件夹旁边的 answer_key.json；不能放在演示文件夹中）")
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
    campaign = _first_lines(command, args, console) if command in RUN_LIKE else None
    from pipeline import commands  # the heavy libraries load here, after the first lines
    return commands.dispatch(command, args, console, campaign, run_like=command in RUN_LIKE)


def _first_lines(command: str, args, console):
    """Before anything heavy loads: the sample's folders, the questions of --ask, and the line naming the
    campaign, the date and how the round is chosen. The campaign, or None when it cannot be read (the
    command then says why)."""
    if command == "example":  # the shipped sample, with its own inbox, outbox and archive: never the real ones
        args.inbox, args.outbox, args.archive = EXAMPLE / "inbox", EXAMPLE / "outbox", EXAMPLE / "archive"
        args.as_of = args.as_of or window.date_arg((EXAMPLE / EXAMPLE_AS_OF).read_text(encoding="utf-8").strip())
        args.round = None
        console.print(f"这是示例：读取 {args.inbox}，结果写入 {args.outbox}，台账在 {args.archive}（与正式台账分开）。",
                      soft_wrap=True)
    try:
        campaign = load(args.campaign)
    except CampaignError:
        return None
    if getattr(args, "ask", False):
        window.ask(args, campaign, console)
    as_of = args.as_of or dt.date.today()
    hint = "" if args.launcher or getattr(args, "ask", False) else "要改用其他阶段或日期，见 --round 和 --as-of。"
    console.print(f"{campaign.name}：基准日期 {as_of}{'' if args.as_of else '（今天）'}；评议阶段 " +
                  (f"{args.round}（指定）" if args.round else "按收件箱中的工作簿确定") + "。" + hint, soft_wrap=True)
    return campaign
