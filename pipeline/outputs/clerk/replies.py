"""回复清单 (SPEC §9): every sender something goes back to, once, with the files, the reasons and what to
ask for, as text the clerk pastes into an email. Senders of rejected files must send again; senders of
files accepted with warnings or notes may get the 提示 copy (no need to send again)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.labels import ACCEPTED_ADVICE, FINDINGS_SHEET, REPLIES, cn_date, unit_label
from pipeline.outputs.kits import sheetkit
from pipeline.outputs.kits.sheetkit import Col

SHOWN = 3  # problems named per file; the returned copy lists every one


RESEND, LATE, NOTICE = "须修改后重新报送", "该阶段已结束，未计入", "已受理，可发回提示"  # what a sender hears


@dataclass
class Reply:
    sender: str  # "FN03 西湖社区党总支", the street workbook's title, or who sent a file nobody can identify
    kind: str  # RESEND: correct and send again; LATE: came after its round closed; NOTICE: accepted, a notice
    files: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)  # the returned copies to attach, relative to the run folder
    failed: list[str] = field(default_factory=list)  # files whose returned copy could not be written

    @property
    def must(self) -> bool:
        """The sender must hear back (exit status 3): a file to correct, or one not counted."""
        return self.kind != NOTICE


def _where(f) -> str:
    return " ".join(x for x in (f.sheet, f.cell) if x)


def _reasons(findings) -> list[str]:
    shown = [f"{_where(f)}：{f.title}" if _where(f) else f.title for f in findings[:SHOWN]]
    if len(findings) > SHOWN:
        shown[-1] += f"（等共 {len(findings)} 处）"
    return shown


def _kind(f) -> str | None:
    if f.status == "rejected":
        return RESEND
    if f.status == "late":
        return LATE
    return NOTICE if f.status == "accepted" and (f.returned is not None or f.copy_failed) else None


def replies(campaign: Campaign, files) -> list[Reply]:
    """One Reply per sender and kind, those who must send again first; `files` are the run's FileResults
    (another round's files already answered in an earlier run are not answered again)."""
    out: dict[tuple, Reply] = {}
    order = [RESEND, LATE, NOTICE]
    for f in files:
        s, kind = f.stored, _kind(f)
        if kind is None or f.quiet:
            continue
        must = kind == RESEND
        sender = unit_label(campaign, s) if s.kind else f"发件人待查（文件“{f.name}”）"
        r = out.setdefault((order.index(kind), sender), Reply(sender, kind))
        r.files.append(f.name)
        copy = f.returned.parent.name + "/" + f.returned.name if f.returned else ""
        if copy:
            r.copies.append(copy)
        elif f.copy_failed:
            r.failed.append(f.name)
        if kind == LATE:
            r.reasons.append(f.findings[0].title if f.findings else LATE)
            r.asks.append(next((x.message for x in f.findings if x.code == "W_ROUND_CLOSED"), LATE))
        elif must and s.kind:
            r.reasons += [x.title for x in f.findings if x.code == "N_RESENT"] + _reasons(f.errors)
            r.asks.append(f"请按附件“{copy}”中标出的 {len(f.errors)} 处错误修改原文件后重新报送。" if copy else
                          "请按上述问题修改原文件后重新报送。")
        elif must:  # not a workbook of this campaign: the message says what to send instead
            first = f.errors[0] if f.errors else None
            r.reasons.append(first.title if first else "无法识别")
            r.asks.append(first.message if first else "请用本活动的模板填写，另存为 .xlsx 后重新报送。")
        else:
            r.reasons += _reasons(f.findings)
            r.asks.append(f"{ACCEPTED_ADVICE}（见附件“{copy}”）。" if copy else f"{ACCEPTED_ADVICE}。")
    return [out[k] for k in sorted(out)]


def attachments(campaign: Campaign, r: Reply, sep: str = "；") -> str:
    """The copies to attach, and for a file whose copy could not be written, where its problems are."""
    failed = [f"“{name}”的标注副本未能生成，请把{campaign.outputs['detail']}“{FINDINGS_SHEET}”表中该文件的问题转告对方"
              for name in r.failed]
    return sep.join(r.copies + failed)


def text(campaign: Campaign, round_code: str, as_of, items: list[Reply]) -> str:
    """The list as plain text, numbered, one block a sender."""
    rnd = campaign.round(round_code)
    by = {kind: [r for r in items if r.kind == kind] for kind in (RESEND, LATE, NOTICE)}
    lines = [f"{campaign.name}　{rnd.name}（{rnd.code}）回复清单", f"基准日期：{cn_date(as_of)}", "",
             "；".join(f"{kind}：{len(part)} 个" for kind, part in by.items() if part or kind != LATE) + "。", ""]
    titles = {RESEND: "须修改后重新报送（请逐一回复）", LATE: "该阶段已结束、未计入的文件（请告知报送单位）",
              NOTICE: "已受理，可发回提示稿（无需重报）"}
    numbers = "一二三"
    for title, part in ((f"{numbers[i]}、{titles[k]}", by[k]) for i, k in enumerate(k for k in by if by[k])):
        if not part:
            continue
        lines += [title, ""]
        for i, r in enumerate(part, start=1):
            lines.append(f"{i}. {r.sender}")
            lines.append(f"   文件：{'；'.join(r.files)}")
            lines.append(f"   原因：{'；'.join(r.reasons)}")
            lines += [f"   请对方：{a}" for a in dict.fromkeys(r.asks)]
            if r.copies or r.failed:
                lines.append(f"   附件：{attachments(campaign, r)}")
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
        rows = [[i, r.kind, r.sender, "\n".join(r.files),
                 "\n".join(r.reasons), "\n".join(dict.fromkeys(r.asks)), attachments(campaign, r, "\n")]
                for i, r in enumerate(items, start=1)]
        sheet.table(cols, rows)
        book.close()
    except BaseException:
        book.discard()
        raise

