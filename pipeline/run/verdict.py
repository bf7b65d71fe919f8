"""The run's verdict in words (SPEC §9): the exit status and its meaning, what was received, and the
clerk's next step for each outcome, printed last in the window."""

from __future__ import annotations

from pathlib import Path

from pipeline.labels import (EXIT_FAILURE, EXIT_OK, EXIT_REJECTED, EXIT_USAGE, FINDINGS_SHEET, MEANING,  # noqa: F401
                             NOTICE_DIR, REPLIES, RETURNED_DIR, STATUSES, stop_line)
from pipeline.ledger.verdicts import FUTURE_AS_OF
from pipeline.run import rounds

UNREAD, HELD_PART, CHANGED_PART, IGNORED_PART = ("未受理（不是本活动的 Excel 工作簿）", "被占用、未处理", "正在变化、未处理",
                                                 "已忽略系统文件")


def exit_status(result, replies) -> int:
    """2 when a file could not be read (held open, or changing): the clerk acts and runs again; else 3
    exactly when something must go back to a sender; else 0."""
    if result.held or result.changed:
        return EXIT_USAGE
    return EXIT_REJECTED if any(r.must for r in replies) else EXIT_OK


def file_counts(result) -> list[tuple[str, int]]:
    """How the files received divide, every part counted once: the workbooks by their verdict (通过 always
    shown), the files that are not workbooks of this campaign, and those not taken in. The parts sum to the
    files received; the closing summary and the verdict both show these (SPEC §9)."""
    workbook = [f for f in result.files if f.stored.kind]
    parts = [(label, sum(f.status == key for f in workbook)) for key, label in STATUSES.items()]
    parts = [(label, n) for label, n in parts if n or label == STATUSES["accepted"]]
    parts += [(label, n) for label, n in ((UNREAD, len(result.files) - len(workbook)), (HELD_PART, len(result.held)),
                                          (CHANGED_PART, len(result.changed)), (IGNORED_PART, len(result.ignored))) if n]
    return parts


def received_line(result) -> str:
    parts = file_counts(result)
    other = sum(f.other_round for f in result.files)
    return (f"收到 {sum(n for _, n in parts)} 份文件：" + "，".join(f"{label} {n}" for label, n in parts) +
            (f"（其中非本阶段 {other}）" if other else "") + "。")


def lines(campaign, result, replies, status: int, options: bool = True) -> list[str]:
    """The verdict's lines; `options`: the window may name command-line options (not when a .bat started it)."""
    files = result.files
    unread = result.unread
    received = len(files) + len(result.held) + len(result.changed) + len(result.ignored)
    out = [f"结果：退出状态 {status}，{MEANING[status]}。",
           received_line(result) if received else "收件箱为空：本次按台账中已收到的文件重新汇总。"]
    steps = []
    must = [r for r in replies if r.must]
    returned = [f for f in files if f.returned and f.returned.parent.name == RETURNED_DIR]
    notices = [f for f in files if f.returned and f.returned.parent.name == NOTICE_DIR]
    if returned:
        steps.append(f"请把“{RETURNED_DIR}”文件夹中的 {len(returned)} 份发回对应单位，修改后重新报送。")
    failed = [f.name for f in files if f.copy_failed]
    if failed:
        steps.append(f"{len(failed)} 份文件的标注副本未能生成（{'、'.join(failed)}），它们的全部问题见"
                     f"{campaign.outputs['detail']}的“{FINDINGS_SHEET}”表，请转告对应单位（{REPLIES} 中已注明）。")
    if unread:
        steps.append(f"{len(unread)} 份文件不是本活动的 Excel 工作簿（空文件、文字说明、其他格式或其他模板），未受理；"
                     f"每份该怎样回复见 {REPLIES}（说明材料可不必重报）。")
    duplicates = [f for f in files if f.status == "duplicate" and not f.quiet]
    if duplicates:
        steps.append(f"{len(duplicates)} 份文件与已收到的文件内容完全相同（重复报送），没有重复计入；请按 {REPLIES} "
                     "核实是否发错了文件（例如发来的是其他单位的文件）。")
    if must:
        steps.append(f"写给每个单位的原因和要求见 {REPLIES}（可直接复制到邮件中；同样内容的表格为 "
                     f"{Path(REPLIES).with_suffix('.xlsx').name}），共 {len(must)} 个单位或发件人。")
    if notices:
        steps.append(f"“{NOTICE_DIR}”文件夹中的 {len(notices)} 份已受理、无需重报，可发回供各单位核对。")
    steps += _late_steps(campaign, result.late, options)
    future = [f for f in files if f.status == "rejected" and
              any(x.code == "E_FUTURE_DATE" and x.detail.startswith(FUTURE_AS_OF) for x in f.findings)]
    if future:
        steps.append(f"{len(future)} 份文件的填报日期晚于基准日期 {result.as_of}，本次按退回处理。如果是基准日期填错了，"
                     "请用正确的日期再运行一次：已收到的文件会按新的日期重新判定，不必让单位重报。")
    if result.held:
        steps.append("被占用的文件：" + "、".join(r.name for r in result.held) +
                     "。请在 Excel/WPS 中关闭后再运行一次。")
    if result.changed:
        steps.append("正在复制或保存的文件：" + "、".join(r.name for r in result.changed) + "。请稍后再运行一次。")
    shown = [p.stem if p.is_file() else p.name for p in result.outputs  # the reply list is named above
             if p.parent == result.folder and p.stem != Path(REPLIES).stem and p.name != "data"]
    steps.append("、".join(dict.fromkeys(shown)) + ("和数据文件" if shown else "数据文件") + f"在：{result.folder}")
    if result.choice and result.choice.outside:
        out.append(rounds.outside(campaign, result.round, result.as_of))
    out.append("下一步：")
    out += [f"  {i}. {s}" for i, s in enumerate(steps, start=1)]
    return out


def _late_steps(campaign, late, options: bool) -> list[str]:
    """Files of a closed round received after it closed: what the clerk may do (reopen, or tell the units)."""
    out = []
    for code in sorted({f.stored.round for f in late}):
        name = campaign.round(code).name
        mine = [f.name for f in late if f.stored.round == code]
        out.append(f"{len(mine)} 份{name}的文件在{name}结束后才收到，没有计入（{name}的结果不变）：{'、'.join(mine)}。"
                   f"如确需用它们更正{name}的结果，请再运行一次，在询问时选择重新开放{name}"
                   + (f"（命令行：--reopen {code}）" if options else "") + "；"
                   f"否则请按 {REPLIES} 告知报送单位。")
    return out
