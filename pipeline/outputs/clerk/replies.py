"""回复清单 (SPEC §9): every sender something goes back to, once, with the files, the reasons and what to
ask for, as text the clerk pastes into an email. Each sender appears once, with each of their files and its
verdict: files to correct and send again, files not counted (late), duplicates and files that are not
workbooks to check, and files accepted with warnings or notes (the 提示 copy, no need to send again)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.labels import ACCEPTED_ADVICE, FINDINGS_SHEET, REPLIES, cn_date
from pipeline.outputs.kits import sheetkit
from pipeline.outputs.kits.sheetkit import Col

SHOWN = 3  # problems named per file; the returned copy lists every one

# What a file needs from its sender, most urgent first; a sender's reply is filed under its most urgent file.
RESEND, LATE, DUPLICATE, CHECK, NOTICE = ("须修改后重新报送", "该阶段已结束，未计入", "重复报送，请核实",
                                          "不是工作簿，请核实", "已受理，可发回提示")
ORDER = [RESEND, LATE, DUPLICATE, CHECK, NOTICE]
TITLES = {RESEND: "须修改后重新报送（请逐一回复）", LATE: "该阶段已结束、未计入的文件（请告知报送单位）",
          DUPLICATE: "重复报送的文件（请核实是否发错了文件）", CHECK: "不是 Excel 工作簿的文件（请核实）",
          NOTICE: "已受理，可发回提示稿（无需重报）"}
NOT_A_WORKBOOK = "E_UNSUPPORTED_FORMAT"  # a document, a picture, a note: the clerk judges whether it must come again


@dataclass
class Item:
    """One file of a sender: what it needs, and what to tell the sender about it (ready to paste)."""
    file: str
    kind: str
    text: str
    copy: str = ""  # its returned copy to attach, relative to the run folder
    failed: bool = False  # its returned copy could not be written


@dataclass
class Reply:
    sender: str  # "FN03 西湖社区党总支", the street workbook's title, or who sent a file nobody can identify
    items: list[Item] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return min((i.kind for i in self.items), key=ORDER.index)

    @property
    def must(self) -> bool:
        """The sender must hear back (exit status 3): a file to correct, to check, or one not counted."""
        return self.kind != NOTICE

    @property
    def files(self) -> list[str]:
        return [i.file for i in self.items]

    @property
    def copies(self) -> list[str]:
        return [i.copy for i in self.items if i.copy]

    @property
    def failed(self) -> list[str]:
        return [i.file for i in self.items if i.failed]


def _where(f) -> str:
    return " ".join(x for x in (f.sheet, f.cell) if x)


def _reasons(findings, shown: int = SHOWN) -> str:
    """The first `shown` problems with their places, and how many there are in all."""
    listed = "；".join(f"{_where(f)} {f.title}" if _where(f) else f.title for f in findings[:shown])
    return listed + (f"等，共 {len(findings)} 处" if len(findings) > shown else "")


def _kind(f) -> str | None:
    if f.status == "rejected":
        return CHECK if [x.code for x in f.errors] == [NOT_A_WORKBOOK] else RESEND
    if f.status == "late":
        return LATE
    if f.status == "duplicate":
        return DUPLICATE
    return NOTICE if f.status == "accepted" and (f.returned is not None or f.copy_failed) else None


def _named_in(campaign: Campaign, name: str) -> str | None:
    """The one unit whose code or name the file name holds (a sender often names the file after itself)."""
    stem = name.rsplit(".", 1)[0]
    found = {u.code for u in campaign.units if u.code in stem or u.name in stem}
    return found.pop() if len(found) == 1 else None


def _sender(campaign: Campaign, f) -> str:
    """Whom a file's reply goes to: the unit its 填报说明 names (even when the file is rejected), the unit its
    name holds (a duplicate's content may be another unit's file), or who sent it, to be found."""
    s = f.stored
    if s.kind == "street":
        return campaign.workbooks["street"].title
    code = _named_in(campaign, f.name) if f.status == "duplicate" or not campaign.unit_name(s.unit_code) else s.unit_code
    return f"{code} {campaign.unit_name(code)}" if code else f"发件人待查（文件“{f.name}”）"


def _text(campaign: Campaign, f, kind: str, copy: str) -> str:
    """What to tell the sender about one file."""
    name = f"“{f.name}”"
    attach = f"附件“{copy.rsplit('/', 1)[-1]}”" if copy else ""
    if kind == RESEND and f.stored.kind:
        again = "与上次退回的文件内容完全相同，问题尚未修改。" if any(x.code == "N_RESENT" for x in f.findings) else ""
        if copy:
            return (f"{name}有 {len(f.errors)} 处错误，未被受理。{again}主要问题：{_reasons(f.errors)}。"
                    f"请按{attach}中标出的位置逐项修改，改好后另存为 .xlsx 重新报送。")
        return (f"{name}有 {len(f.errors)} 处错误，未被受理。{again}问题如下：{_reasons(f.errors, len(f.errors))}。"
                "请逐项修改后另存为 .xlsx 重新报送。")
    if kind == RESEND:  # not a workbook of this campaign: its message says what to send instead
        first = f.errors[0] if f.errors else None
        return f"{name}未能受理：{first.title}。{first.message}" if first else f"{name}未能受理。"
    if kind == CHECK:
        detail = f.errors[0].detail
        return (f"{name}不是 Excel 工作簿，而是{detail}，没有作为评议材料受理。如为说明材料（照片、文字说明等），不必重报；"
                "如是评议材料，请用本活动的模板填写，另存为 .xlsx 后重新报送。")
    if kind == LATE:
        closed = next((x for x in f.findings if x.code == "W_ROUND_CLOSED"), None)
        return f"{name}：{closed.message}" if closed else f"{name}{LATE}。"
    if kind == DUPLICATE:
        first = next((x.detail for x in f.findings if x.code == "W_DUPLICATE_FILE"), "")
        return (f"{name}与已收到的“{first}”内容完全相同，按重复报送处理，没有重复计入。如果发错了文件（例如发来的是"
                "其他单位的文件），请发送本单位的工作簿；如果只是重复发送，不必再处理。")
    warnings = [x for x in f.findings if x.code.startswith("W_")]
    notes = [x for x in f.findings if x.code.startswith("N_")]
    counted = "、".join(p for p in (f"{len(warnings)} 处警告" if warnings else "", f"{len(notes)} 条提示" if notes else "") if p)
    return f"{name}{ACCEPTED_ADVICE}。共 {counted}：{_reasons(warnings + notes)}" + (f"（见{attach}）。" if attach else "。")


def replies(campaign: Campaign, files) -> list[Reply]:
    """One Reply per sender with each of their files, those who must send again first; `files` are the run's
    FileResults (another round's files already answered in an earlier run are not answered again)."""
    out: dict[str, Reply] = {}
    for f in files:
        kind = _kind(f)
        if kind is None or f.quiet:
            continue
        copy = f.returned.parent.name + "/" + f.returned.name if f.returned else ""
        r = out.setdefault(_sender(campaign, f), Reply(_sender(campaign, f)))
        r.items.append(Item(f.name, kind, _text(campaign, f, kind, copy), copy, bool(f.copy_failed) and not copy))
    return sorted(out.values(), key=lambda r: ORDER.index(r.kind))


def attachments(campaign: Campaign, r: Reply, sep: str = "；") -> str:
    """The copies to attach, and for a file whose copy could not be written, where its problems are."""
    failed = [f"“{name}”的标注副本未能生成，请把{campaign.outputs['detail']}“{FINDINGS_SHEET}”表中该文件的问题转告对方"
              for name in r.failed]
    return sep.join(r.copies + failed)


def text(campaign: Campaign, round_code: str, as_of, items: list[Reply]) -> str:
    """The list as plain text: per sender a line for the clerk (who, what to attach), then the words to paste."""
    rnd = campaign.round(round_code)
    by = {kind: [r for r in items if r.kind == kind] for kind in ORDER}
    lines = [f"{campaign.name}　{rnd.name}回复清单", f"基准日期：{cn_date(as_of)}", "",
             "；".join(f"{kind}：{len(part)} 个" for kind, part in by.items() if part or kind == RESEND) + "。",
             "每个单位或发件人一段：第一行是收件人和要附上的文件，下面的文字可直接复制到邮件中。", ""]
    numbers = "一二三四五"
    for n, kind in enumerate(k for k in ORDER if by[k]):
        lines += [f"{numbers[n]}、{TITLES[kind]}", ""]
        for i, r in enumerate(by[kind], start=1):
            attached = attachments(campaign, r)
            lines.append(f"{i}. {r.sender}" + (f"　附件：{attached}" if attached else ""))
            lines += [item.text for item in r.items]
            lines.append("")
    return "\n".join(lines)


def write(campaign: Campaign, round_code: str, as_of, files, folder: Path, when: dt.datetime) -> Path | None:
    """回复清单.txt in the run folder (UTF-8 with a byte-order mark and CRLF: Notepad opens it) and the same
    list as 回复清单.xlsx, one row a sender, when anything goes back; None when nothing does."""
    items = replies(campaign, files)
    if not items:
        return None
    path = folder / REPLIES
    path.write_bytes(("\ufeff" + text(campaign, round_code, as_of, items)).replace("\n", "\r\n").encode("utf-8"))
    _workbook(campaign, round_code, as_of, items, path.with_suffix(".xlsx"), when)
    return path


def _workbook(campaign: Campaign, round_code: str, as_of, items: list[Reply], path: Path, when: dt.datetime) -> None:
    rnd = campaign.round(round_code)
    book = sheetkit.Book(path, when, campaign.organiser)
    try:
        sheet = book.sheet("回复清单", landscape=True)
        sheet.title(f"{campaign.name}　{rnd.name}回复清单（基准日期 {cn_date(as_of)}）", span=6)
        cols = [Col("序号", "int", width=5), Col("类别", width=10, wrap=True), Col("单位或发件人", width=16, wrap=True),
                Col("文件", width=22, wrap=True), Col("回复内容（可直接复制）", width=62, wrap=True),
                Col("附件", width=22, wrap=True)]
        rows = [[i, r.kind, r.sender, "\n".join(r.files), "\n".join(item.text for item in r.items),
                 attachments(campaign, r, "\n")] for i, r in enumerate(items, start=1)]
        sheet.table(cols, rows)
        book.close()
    except BaseException:
        book.discard()
        raise
