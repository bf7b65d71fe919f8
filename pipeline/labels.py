"""Display labels of the program's own states (domain facts are in campaign.toml, not here).

Data carries the English keys; these Chinese labels appear only where people read them.
"""

from pipeline.campaign import Campaign

NOT_TEMPLATE = "非模板文件"
STATUSES = {"accepted": "通过", "rejected": "退回修改", "duplicate": "重复报送", "superseded": "已被新版本替代",
            "late": "未计入（该阶段已结束）"}
SUBMITTED = {"accepted": "已报", "rejected": "退回修改", "missing": "未报"}  # a unit's submission for the round
RETURNED_DIR = "退回修改"  # the run folder's sub-folder of annotated copies of files with errors
NOTICE_DIR = "提示"  # ... and of files accepted with warnings or notes (no need to send again)
OTHER_ROUND = "非本阶段"  # a file of another round than the one this run reports
IGNORED = "系统文件（Excel/WPS 的临时锁定文件、Thumbs.db、desktop.ini 等），已忽略"
CHANGED = "读取时文件内容发生变化（可能仍在复制或保存中），本次未处理。请稍后再运行"
HELD = "文件被占用（可能正在 Excel/WPS 中打开），或无权读取，本次未处理。请关闭该文件后再运行"
BESIDE = "（旧版本）"  # marks an old version's file an upgrade put beside a newer one of the same name
UNKNOWN_UNIT = "未识别单位"  # a workbook whose unit code is not the campaign's
REPLIES = "回复清单.txt"  # the run folder's list of senders to write to, with reasons and requests
FINDINGS_SHEET = "数据问题"  # the sheet of 明细表 that lists every finding of the round
# What a unit whose file was accepted with warnings or notes is told, in its 提示 copy and in 回复清单 alike.
ACCEPTED_ADVICE = "已受理，数据已计入汇总，无需重新报送。标出的警告和提示请核实，如有填错，请在下次报送时改正"


def without_beside(name: str) -> str:
    """A file name with the mark of an upgrade's old version taken off: X（旧版本2）.xlsx -> X.xlsx."""
    import re
    return re.sub(r"（旧版本\d*）(?=\.[^.]*$|$)", "", name)


def cn_date(day) -> str:
    """2010年07月31日, built from the date's fields: strftime with Chinese characters fails on
    Windows CPython before 3.13 (gh-52551)."""
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def kind_label(campaign: Campaign, kind: str | None) -> str:
    """A received file's template, as its title reads (单位填报表 / 街道点评表), or 非模板文件."""
    return campaign.workbooks[kind].title if kind else NOT_TEMPLATE


def unit_label(campaign: Campaign, s) -> str:
    """Who sent a stored workbook, as a reply or a copy names it: "FN03 西湖社区党总支", or the street form's title."""
    if s.kind == "street":
        return campaign.workbooks["street"].title
    name = campaign.unit_name(s.unit_code)
    return f"{s.unit_code} {name}" if name else UNKNOWN_UNIT


# ---------------------------------------------------------------- exit statuses (SPEC §9)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_REJECTED = 0, 1, 2, 3

# A round that finished: its verdict's first line.
MEANING = {
    EXIT_OK: "完成，没有需要发回的文件",
    EXIT_REJECTED: "完成，有文件需要发回报送单位",
    EXIT_USAGE: "完成，但有文件本次未能读取，处理后请再运行一次",
}
# A run (or another command) that stopped before its verdict.
STOPPED = {
    EXIT_OK: "完成",
    EXIT_USAGE: "未完成：请按上面的说明处理后再运行一次",
    EXIT_FAILURE: "程序意外出错，未完成：请把上面写明的日志文件发给技术支持",
}


def stop_line(code: int) -> str:
    """The last line of a run that stopped before its verdict (or of a command that failed)."""
    return f"结果：退出状态 {code}，{STOPPED.get(code, MEANING.get(code, ''))}。"
