"""The clerk's loop (SPEC §9): every run ends with its verdict in words; exit 3 exactly when something
must go back to a sender, each sender once in 回复清单.txt; the round comes from the inbox's workbooks;
an empty inbox says so and writes nothing; a ledger another program holds is never called damaged."""

import datetime as dt
import json
import re
import shutil
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, make_demo
from openpyxl import load_workbook

from pipeline import cli, ledger, window
from pipeline.labels import ACCEPTED_ADVICE, NOT_TEMPLATE, NOTICE_DIR, REPLIES, RETURNED_DIR

AS_OF = "2010-08-02"


def _run(inbox, root, *extra):
    return cli.main(["--inbox", str(inbox), "--outbox", str(root / "out"), "--archive", str(root / "arch"),
                     "--as-of", AS_OF, *extra])


def _folder(root, round_code="R1"):
    (folder,) = (root / "out" / round_code).iterdir()
    return folder


def _blocks(text: str) -> list[str]:
    """The numbered sender blocks of 回复清单.txt."""
    return [b for b in text.split("\r\n\r\n") if b[:1].isdigit()]


def test_a_mixed_inbox_gets_one_reply_per_sender_and_the_verdict_in_words(campaign, tmp_path, capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=4, members=8, seed=7, defects=True)
    (inbox / "活动小结.txt").write_text("不是工作簿", encoding="utf-8")
    (inbox / "附件（下载失败）.xlsx").write_bytes(b"")
    status = _run(inbox, tmp_path)
    out = capsys.readouterr().out
    assert status == cli.EXIT_REJECTED
    folder = _folder(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    answered = [f for f in manifest["inbox_files"] if f["status"] in ("rejected", "duplicate")
                or (f["status"] == "accepted" and f["returned"])]
    raw = (folder / REPLIES).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # Notepad opens it
    text = raw.decode("utf-8-sig")
    blocks = _blocks(text)
    for f in answered:  # every file that goes back is in exactly one sender's block
        assert sum(f"“{f['name']}”" in b for b in blocks) == 1, f["name"]
    senders = [b.split("\r\n")[0].split(" ", 1)[1].split("　")[0] for b in blocks]
    assert len(senders) == len(set(senders)), "each sender once"
    assert "请对方" not in text and "（R1）" not in text and "请请" not in text, "ready to paste, no round code"
    assert "另存为 .xlsx" in text and "请重新发送原文件" in text and "不必重报" in text  # the .txt and the empty file
    sheet = load_workbook(folder / "回复清单.xlsx", read_only=True).active
    rows = [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]]
    assert len(rows) == len(blocks)  # the same senders, one row each
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    returned = list((folder / RETURNED_DIR).iterdir())
    assert all(f"{RETURNED_DIR}/{p.name}" in text for p in returned)
    # the verdict, last in the window
    assert "结果：退出状态 3" in out and REPLIES in out
    assert f"请把“{RETURNED_DIR}”文件夹中的 {len(returned)} 份发回对应单位" in out
    unread = [f for f in manifest["inbox_files"] if f["kind"] == NOT_TEMPLATE]
    assert len(unread) >= 4  # the demo's own .txt and empty file, and the two added here
    assert f"{len(unread)} 份文件不是本活动的 Excel 工作簿" in out
    if (folder / NOTICE_DIR).exists():
        assert f"“{NOTICE_DIR}”文件夹中的 {len(list((folder / NOTICE_DIR).iterdir()))} 份已受理、无需重报" in out


def test_identical_bytes_from_two_senders_are_each_answered(campaign, tmp_path, capsys):
    """Two different empty attachments, and a unit that sent another unit's file: every one in 回复清单, the
    duplicate addressed to the unit its file name holds; the counts add up to the files received."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=6, seed=3)
    (inbox / "附件1.xlsx").write_bytes(b"")
    (inbox / "附件2.xlsx").write_bytes(b"")
    first = next(inbox.glob("FN01*.xlsx"))
    other = campaign.units[4]
    (inbox / f"附件-{other.name}.xlsx").write_bytes(first.read_bytes())
    assert _run(inbox, tmp_path) == cli.EXIT_REJECTED
    out = capsys.readouterr().out
    text = (_folder(tmp_path) / REPLIES).read_text(encoding="utf-8-sig")
    blocks = _blocks(text.replace("\r\n", "\n").replace("\n\n", "\r\n\r\n"))
    for name in ("附件1.xlsx", "附件2.xlsx"):
        (block,) = [b for b in blocks if f"“{name}”" in b]
        assert "空文件" in block and "与上次退回" not in block
    (dup,) = [b for b in blocks if f"“附件-{other.name}.xlsx”" in b]
    assert dup.split("\n")[0].endswith(f"{other.code} {other.name}") and first.name in dup
    received = len(list(inbox.iterdir()))
    line = next(x for x in out.splitlines() if x.startswith("收到 "))
    assert line.startswith(f"收到 {received} 份文件") and sum(map(int, re.findall(r" (\d+)(?=[，。（])", line))) == received


def test_a_unit_with_an_accepted_and_a_rejected_file_is_answered_once(campaign, tmp_path):
    """Both files in one block, each with its own verdict; warnings come before notes."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=6, seed=3)
    noted = ROOT / "示例" / "inbox" / "西湖社区党总支第一阶段评议材料.xlsx"  # FN03: accepted, with warnings and notes
    shutil.copy2(noted, inbox / noted.name)
    from openpyxl import load_workbook as load
    wb = load(noted)
    roster = campaign.workbooks["unit"].worksheet_name("roster")
    wb[roster]["B3"] = None  # a required name left blank: this later file of FN03 is rejected
    wb.save(inbox / "西湖社区党总支补充.xlsx")
    from pipeline.run import batch
    from pipeline.outputs.clerk import replies
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=dt.date(2010, 8, 2))
    items = [r for r in replies.replies(campaign, result.files) if r.sender.startswith("FN03")]
    assert len(items) == 1 and sorted(items[0].files) == sorted([noted.name, "西湖社区党总支补充.xlsx"])
    kinds = {i.file: i.kind for i in items[0].items}
    assert kinds["西湖社区党总支补充.xlsx"] == replies.RESEND and items[0].kind == replies.RESEND
    accepted = next(i for i in items[0].items if i.file == noted.name)
    assert accepted.kind == replies.NOTICE and "处警告" in accepted.text
    assert accepted.text.index("处警告") < accepted.text.index("条提示")


def test_notices_alone_never_make_exit_3(campaign, tmp_path, capsys):
    """Accepted files with warnings get a 提示 copy and a line in 回复清单, and the run exits 0."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, seed=4)
    noted = ROOT / "示例" / "inbox" / "西湖社区党总支第一阶段评议材料.xlsx"  # the sample's FN03: accepted, with notes
    shutil.copy2(noted, inbox / noted.name)
    assert _run(inbox, tmp_path) == cli.EXIT_OK
    folder = _folder(tmp_path)
    assert not (folder / RETURNED_DIR).exists() and any((folder / NOTICE_DIR).iterdir())
    text = (folder / REPLIES).read_text(encoding="utf-8-sig")
    assert "须修改后重新报送：0 个" in text and ACCEPTED_ADVICE in text
    assert "结果：退出状态 0" in capsys.readouterr().out


def test_a_clean_run_writes_no_reply_list_and_no_stray_file(campaign, tmp_path, capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=12, seed=3)
    assert _run(inbox, tmp_path) == cli.EXIT_OK
    folder = _folder(tmp_path)
    assert {p.name for p in folder.iterdir()} <= {"data", "manifest.json", "run.log", NOTICE_DIR,
                                                  f"{campaign.outputs['report']}.xlsx", f"{campaign.outputs['detail']}.xlsx",
                                                  f"{campaign.outputs['publication']}.xlsx",
                                                  f"{campaign.outputs['briefing']}.docx", f"{campaign.outputs['notice']}.docx",
                                                  f"{campaign.outputs['nominee_notice']}.docx",
                                                  f"各单位{campaign.outputs['notice']}"}
    log = (folder / "run.log").read_text(encoding="utf-8")
    assert "as of 2010-08-02" in log and "intake: read, validate, store:" in log
    out = capsys.readouterr().out
    assert "结果：退出状态 0" in out
    last = [line for line in out.splitlines() if str(folder) in line and "数据文件在" in line]
    assert last and all(campaign.outputs[k] in last[-1] for k in ("report", "detail", "publication", "briefing")), \
        "the last step names every output the writers wrote"
    assert out.index("正在计算得分") < out.index("正在写出汇总报告") < out.index("结果：退出状态"), "each long stage says so"


def test_the_round_is_the_one_the_inbox_workbooks_name(campaign, tmp_path, capsys):
    """R1 files run after R1's window has passed (the calendar says R2) are reported as R1."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, seed=3)
    later = dt.date(2011, 9, 1)
    assert campaign.round_for(later).code == "R2"
    status = cli.main(["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch"),
                       "--as-of", later.isoformat()])
    out = capsys.readouterr().out
    assert status == cli.EXIT_OK and not (tmp_path / "out" / "R2").exists()
    assert (tmp_path / "out" / "R1").is_dir()
    assert "评议阶段：第一阶段" in out and "按收件箱中" in out and "基准日期 2011-09-01" in out.splitlines()[0]


def test_an_empty_inbox_says_so_and_writes_no_report(tmp_path, capsys):
    (tmp_path / "inbox").mkdir()
    assert _run(tmp_path / "inbox", tmp_path) == cli.EXIT_USAGE
    assert "收件箱为空" in capsys.readouterr().out
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.xlsx"))


def test_an_empty_inbox_after_earlier_runs_reports_from_the_ledger(campaign, tmp_path, capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, seed=3)
    assert _run(inbox, tmp_path) == cli.EXIT_OK
    for p in inbox.iterdir():
        p.unlink()
    capsys.readouterr()
    assert _run(inbox, tmp_path) == cli.EXIT_OK
    assert "按台账中已收到的文件重新汇总" in capsys.readouterr().out
    assert len(list((tmp_path / "out" / "R1").iterdir())) == 2


def test_a_ledger_held_by_another_program_is_not_called_damaged(campaign, tmp_path, capsys, monkeypatch):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)
    assert _run(inbox, tmp_path) == cli.EXIT_OK
    capsys.readouterr()

    def held(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")
    monkeypatch.setattr(ledger.Ledger, "__init__", held)
    assert _run(inbox, tmp_path) == cli.EXIT_USAGE
    out = capsys.readouterr().out.replace("\n", "")
    assert "被其他程序占用" in out and "不需要从备份恢复" in out
    assert out.endswith("结果：退出状态 2，未完成：请按上面的说明处理后再运行一次。"), "every stop ends with its verdict"


def test_a_damaged_ledger_is_the_only_one_sent_to_the_backup(tmp_path):
    db = tmp_path / ledger.DB_NAME
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(2000)])
    conn.commit()
    conn.close()
    assert ledger.damaged(db) is False
    assert "不需要从备份恢复" in window.ledger_message(db, sqlite3.OperationalError("database is locked"))
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # a page overwritten
    db.write_bytes(bytes(data))
    assert ledger.damaged(db) is True
    assert "最近的备份" in window.ledger_message(db, sqlite3.DatabaseError("database disk image is malformed"))


@pytest.mark.parametrize("stop", ["empty inbox", "bad campaign file", "lock held"])
def test_every_stop_ends_with_the_verdict_line(campaign, tmp_path, capsys, monkeypatch, stop):
    """An early stop says what happened and ends with the same 结果 line as a finished run."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    args = ["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch"),
            "--as-of", "2010-08-02"]
    if stop == "bad campaign file":
        bad = tmp_path / "配置[2010]" / "c.toml"  # a `[` in a folder name is no markup
        bad.parent.mkdir()
        bad.write_text("[campaign\n", encoding="utf-8")
        args += ["--campaign", str(bad)]
    if stop == "lock held":
        make_demo(campaign, inbox, units=1, seed=3)

        def busy(*a, **k):
            raise ledger.LedgerBusy("另一个汇总正在运行（测试）。请等它结束后再运行。")
        from pipeline.run import batch
        monkeypatch.setattr(batch, "locked", busy)
    assert cli.main(args) == cli.EXIT_USAGE
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[-1] == "结果：退出状态 2，未完成：请按上面的说明处理后再运行一次。"
    said = {"empty inbox": "收件箱为空", "bad campaign file": str(tmp_path / "配置[2010]" / "c.toml"),
            "lock held": "另一个汇总正在运行"}[stop]
    assert any(said in line for line in lines[:-1])  # a path is printed whole on one line, never cut


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """Files an inbox may hold: the defects demo (accepted, rejected, notes, a duplicate, a .txt, an empty
    file), a foreign spreadsheet, system files."""
    from conftest import ROOT as root
    from conftest import SHARED
    from pipeline import campaign as c
    campaign = c.load(root / "campaign.toml")
    folder, _ = make_demo(campaign, tmp_path_factory.mktemp("pool") / "inbox", units=3, members=5, seed=7,
                          defects=True)
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    foreign = sorted((SHARED / "corpus" / "foreign").glob("*.xlsx"))[:2]
    files.update({p.name: p.read_bytes() for p in foreign})
    files.update({"~$锁定文件.xlsx": b"lock", "Thumbs.db": b"\x00" * 10, "空白.xlsx": b""})
    return campaign, files


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_closing_counts_add_up_to_the_files_received(pool, tmp_path_factory, data):
    """Over fuzzed inboxes (any subset of the pool, some files copied under a second name): the parts of
    收到 N 份文件 sum to the files in the inbox, and the summary table says the same line."""
    from pipeline.run import batch, verdict
    campaign, files = pool
    names = data.draw(st.lists(st.sampled_from(sorted(files)), min_size=1, max_size=8, unique=True))
    copies = data.draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
    root = tmp_path_factory.mktemp("counts")
    inbox = root / "inbox"
    inbox.mkdir()
    for name in names:
        (inbox / name).write_bytes(files[name])
    for name in copies:
        (inbox / f"副本-{name}").write_bytes(files[name])
    try:
        result = batch.run(campaign, inbox, root / "out", root / "arch", as_of=dt.date(2010, 8, 2))
    except batch.EmptyInbox:
        assert all(n.startswith("~$") or n == "Thumbs.db" for n in names + copies)
        return
    parts = verdict.file_counts(result)
    assert sum(n for _, n in parts) == len(list(inbox.iterdir()))
    assert verdict.received_line(result).startswith(f"收到 {len(list(inbox.iterdir()))} 份文件")
    assert len({label for label, _ in parts}) == len(parts), "each kind counted once"


def test_a_workbook_of_another_campaign_is_answered_to_the_unit_its_info_names(campaign, tmp_path):
    """Rejected rightly (another campaign's template), but its 填报说明 names FN02: the reply goes to FN02,
    not to 发件人待查."""
    from openpyxl import load_workbook as load
    from pipeline.layout import META_SHEET
    from pipeline.outputs.clerk import replies
    from pipeline.run import batch
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=5, seed=3)
    src = next(inbox.glob("*东岭*.xlsx"))
    wb = load(src)
    meta = wb[META_SHEET]
    for row in meta.iter_rows():
        if row[0].value == "campaign_id":
            row[1].value = "ANOTHER-2009"
    wb.save(src)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=dt.date(2010, 8, 2))
    (f,) = [f for f in result.files if f.name == src.name]
    assert f.status == "rejected" and [x.code for x in f.errors] == ["E_WRONG_CAMPAIGN"]
    (reply,) = [r for r in replies.replies(campaign, result.files) if src.name in r.files]
    assert reply.sender == f"FN02 {campaign.unit_name('FN02')}"
