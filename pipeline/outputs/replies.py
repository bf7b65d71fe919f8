"""回复清单 (SPEC §9): every sender something goes back to, once, with the files, the reasons and what to
ask for, as text the clerk pastes into an email. Senders of rejected files must send again; senders of
files accepted with warnings or notes may get the 提示 copy (no need to send again)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.labels import REPLIES, cn_date
from pipeline.outputs import sheetkit
from pipeline.outputs.returned import unit_label
from pipeline.outputs.sheetkit import Col

SHOWN = 3  # problems named per file; the returned copy lists every one


@dataclass
class Reply:
    sender: str  # "FN03 西湖社区党总支", the street workbook's title, or who sent a file nobody can identify
    must: bool  # True: the sender must correct and send again; False: accepted, a notice only
    files: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)  # the returned copies to attach, relative to the run folder


def _where(f) -> str:
    return " ".join(x for x in (f.sheet, f.cell) if x)


def _reasons(findings) -> list[str]:
    shown = [f"{_where(f)}：{f.title}" if _where(f) else f.title for f in findings[:SHOWN]]
    if len(findings) > SHOWN:
        shown[-1] += f"（等共 {len(findings)} 处）"
    return shown


def replies(campaign: Campaign, files) -> list[Reply]:
    """One Reply per sender, those who must send again first; `files` are the run's FileResults."""
    out: dict[tuple, Reply] = {}
    for f in files:
        s = f.stored
        must = f.status == "rejected"
        if not must and not (f.status == "accepted" and f.returned is not None):
            continue
        sender = unit_label(campaign, s) if s.kind else f"发件人待查（文件“{f.name}”）"
        r = out.setdefault((not must, sender), Reply(sender, must))
        r.files.append(f.name)
        copy = f.returned.parent.name + "/" + f.returned.name if f.returned else ""
        if copy:
            r.copies.append(copy)
        if must and s.kind:
            r.reasons += _reasons(f.errors)
            r.asks.append(f"请按附件“{copy}”中标出的 {len(f.errors)} 处错误修改原文件后重新报送。" if copy else
                          "请按上述问题修改原文件后重新报送。")
        elif must:  # not a workbook of this campaign: the message says what to send instead
            first = f.errors[0] if f.errors else None
            r.reasons.append(first.title if first else "无法识别")
            r.asks.append(first.message if first else "请用本活动的模板填写，另存为 .xlsx 后重新报送。")
        else:
            r.reasons += _reasons(f.findings)
            r.asks.append(f"已受理，无需重报。附件“{copy}”中标出的 {len(f.findings)} 处提示请核对，"
                          "如有填错，请在下次报送时改正。")
    return sorted(out.values(), key=lambda r: (not r.must, r.sender))


def text(campaign: Campaign, round_code: str, as_of, items: list[Reply]) -> str:
    """The list as plain text, numbered, one block a sender."""
    rnd = campaign.round(round_code)
    must = [r for r in items if r.must]
    notice = [r for r in items if not r.must]
    lines = [f"{campaign.name}　{rnd.name}（{rnd.code}）回复清单", f"基准日期：{cn_date(as_of)}", "",
             f"须修改后重新报送：{len(must)} 个；已受理、可发回提示：{len(notice)} 个。", ""]
    for title, part in (("一、须修改后重新报送（请逐一回复）", must),
                        ("二、已受理，可发回提示稿（无需重报）", notice)):
        if not part:
            continue
        lines += [title, ""]
        for i, r in enumerate(part, start=1):
            lines.append(f"{i}. {r.sender}")
            lines.append(f"   文件：{'；'.join(r.files)}")
            lines.append(f"   原因：{'；'.join(r.reasons)}")
            lines += [f"   请对方：{a}" for a in dict.fromkeys(r.asks)]
            if r.copies:
                lines.append(f"   附件：{'；'.join(r.copies)}")
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
        sheet.title(f"{campaign.name}　{rnd.name}（{rnd.code}）回复清单（基准日期 {cn_date(as_of)}）", span=7)
        cols = [Col("序号", "int", width=5), Col("类别", width=10, wrap=True), Col("单位或发件人", width=20, wrap=True),
                Col("文件", width=24, wrap=True), Col("问题", width=40, wrap=True), Col("请对方", width=44, wrap=True),
                Col("附件", width=22, wrap=True)]
        rows = [[i, "须修改后重新报送" if r.must else "已受理，可发回提示", r.sender, "\n".join(r.files),
                 "\n".join(r.reasons), "\n".join(dict.fromkeys(r.asks)), "\n".join(r.copies)]
                for i, r in enumerate(items, start=1)]
        sheet.table(cols, rows)
        book.close()
    except BaseException:
        book.discard()
        raise

