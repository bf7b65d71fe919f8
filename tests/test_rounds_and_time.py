"""Rounds and time (SPEC §4, §5, §9): a verdict that depends on the run is decided again by every run, a file
belongs to the round it is for, a closed round is never rewritten in silence, the round reported is the one
being collected, the previous round comes from the ledger, and every sender is answered every time."""

import datetime as dt
import json
import shutil

import docx
import pytest
from conftest import AS_OF, make_demo
from openpyxl import load_workbook

from pipeline import cli, labels
from pipeline.run import batch
from pipeline.layout import INFO_FIRST_ROW, INFO_SHEET
from pipeline.ledger.store import Ledger
from pipeline.outputs.clerk import replies
from pipeline.rules import round_results

R2_AS_OF = dt.date(2012, 6, 10)


def _row(campaign, key: str) -> int:
    return INFO_FIRST_ROW + [f.key for f in campaign.workbooks["unit"].info].index(key)


def _unit_file(inbox, code):
    return next(p for p in inbox.iterdir() if p.suffix == ".xlsx" and _code(p) == code)


def _code(path):
    wb = load_workbook(path, read_only=True)
    try:
        return wb[INFO_SHEET].cell(INFO_FIRST_ROW, 2).value
    finally:
        wb.close()


def _edit(src, dst, campaign, **info):
    """A copy of `src` at `dst` with 填报说明 values changed (key -> value)."""
    wb = load_workbook(src)
    for key, value in info.items():
        wb[INFO_SHEET].cell(_row(campaign, key), 2).value = value
    wb.save(dst)
    return dst


def _cli(inbox, root, *extra):
    return cli.main(["--inbox", str(inbox), "--outbox", str(root / "out"), "--archive", str(root / "arch"), *extra])


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _accepted(campaign, root, code):
    lg = Ledger(root / "arch", campaign)
    try:
        return {s.unit_code: s.original_name for s in lg.accepted(code, "unit")}
    finally:
        lg.close()


def _csvs(folder):
    return {p.name: p.read_bytes() for p in sorted((folder / "data").glob("*.csv"))}


@pytest.fixture()
def two_rounds(campaign, tmp_path):
    """R1 run on its inbox, and an R2 inbox of the same units."""
    r1, _ = make_demo(campaign, tmp_path / "r1", units=3, members=6, seed=11)
    r2, _ = make_demo(campaign, tmp_path / "r2", units=3, members=6, seed=12, round_code="R2", as_of=R2_AS_OF)
    first = batch.run(campaign, r1, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert first.round == "R1" and first.complete
    return r1, r2, first


def test_a_wrong_as_of_date_rejects_for_that_run_only(campaign, tmp_path):
    """A typo 2010-07-02 for 2010-08-02 rejects every file (their 填报日期 come after it); the rerun with the
    right date accepts them all: the first run's verdict is not kept for the same bytes."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=3, members=6, seed=3)
    wrong = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=dt.date(2010, 7, 2))
    assert {f.status for f in wrong.files} == {"rejected"} and len(wrong.files) == 4
    assert all([e.code for e in f.errors] == ["E_FUTURE_DATE"] for f in wrong.files)
    assert all("本次汇总的基准日期 2010-07-02" in f.errors[0].message for f in wrong.files)
    right = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert {f.status for f in right.files} == {"accepted"} and right.complete
    assert len(right.report.files) == 3
    again = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=dt.date(2010, 7, 2))
    assert {f.status for f in again.files} == {"rejected"}, "and the reverse: the date of each run decides"


def test_a_filled_on_date_equal_to_the_as_of_date_is_accepted(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=5, seed=3)
    path = _unit_file(inbox, "FN01")
    _edit(path, path, campaign, filled_on=AS_OF)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert {f.name: f.status for f in result.files}[path.name] == "accepted"


def test_last_rounds_template_filled_in_this_round_is_an_error_and_r1_stays(campaign, tmp_path, two_rounds):
    """FN02 fills its R2 review in the R1 template it still has (评议阶段 R1, 填报日期 in R2's dates): an
    error at the 评议阶段 cell naming both rounds; R1's tables are byte for byte what they were."""
    r1, r2, first = two_rounds
    stale = _edit(_unit_file(r1, "FN02"), r2 / "FN02-用旧模板.xlsx", campaign, filled_on=dt.date(2012, 6, 1))
    second = batch.run(campaign, r2, tmp_path / "out", tmp_path / "arch", as_of=R2_AS_OF)
    assert second.round == "R2"
    (f,) = [f for f in second.files if f.name == stale.name]
    assert f.status == "rejected" and f.other_round
    (err,) = f.errors
    assert (err.code, err.sheet, err.cell) == ("E_ROUND_DATES", INFO_SHEET, f"B{_row(campaign, 'round')}")
    assert "第一阶段" in err.message and "第二阶段" in err.message and "2012-06-01" in err.message
    assert replies.replies(campaign, second.files)[0].files == [stale.name], "the unit is told"
    again = batch.run(campaign, r1, tmp_path / "out", tmp_path / "arch", as_of=AS_OF, round_code="R1")
    assert _csvs(again.folder) == _csvs(first.folder)


def test_a_late_file_for_a_closed_round_is_held_back_until_the_clerk_reopens_it(campaign, tmp_path, two_rounds,
                                                                               capsys):
    r1, r2, first = two_rounds
    assert batch.run(campaign, r2, tmp_path / "out", tmp_path / "arch", as_of=R2_AS_OF).complete
    before = _accepted(campaign, tmp_path, "R1")
    late = _edit(_unit_file(r1, "FN01"), r2 / "FN01-第一阶段补充.xlsx", campaign, filled_on=dt.date(2010, 8, 20))
    status = _cli(r2, tmp_path, "--as-of", R2_AS_OF.isoformat())
    out = capsys.readouterr().out.replace("\n", "")
    assert status == cli.EXIT_REJECTED
    (folder,) = sorted((tmp_path / "out" / "R2").iterdir())[-1:]
    listed = {f["name"]: f for f in _manifest(folder)["inbox_files"]}
    assert listed[late.name]["status"] == "late"
    assert [x["code"] for x in listed[late.name]["findings"]] == ["W_ROUND_CLOSED"]
    assert _accepted(campaign, tmp_path, "R1") == before, "nothing of the closed round changes"
    text = (folder / labels.REPLIES).read_text(encoding="utf-8-sig")
    assert late.name in text and "该阶段已结束" in text
    assert "--reopen R1" in out and late.name in out

    assert _cli(r2, tmp_path, "--as-of", R2_AS_OF.isoformat(), "--reopen", "R1") == cli.EXIT_OK
    assert _accepted(campaign, tmp_path, "R1") == {**before, "FN01": late.name}
    assert _cli(r2, tmp_path, "--as-of", R2_AS_OF.isoformat()) == cli.EXIT_OK, "the reopening is recorded"
    assert _accepted(campaign, tmp_path, "R1") == {**before, "FN01": late.name}


def test_the_clerk_is_asked_about_a_late_file_and_enter_keeps_the_round_closed(campaign, tmp_path, two_rounds,
                                                                              monkeypatch):
    r1, r2, _ = two_rounds
    assert batch.run(campaign, r2, tmp_path / "out", tmp_path / "arch", as_of=R2_AS_OF).complete
    late = _edit(_unit_file(r1, "FN03"), r2 / "FN03补报.xlsx", campaign, filled_on=dt.date(2010, 8, 20))
    asked = []
    result = batch.run(campaign, r2, tmp_path / "out", tmp_path / "arch", as_of=R2_AS_OF,
                       ask_reopen=lambda rounds: asked.append(rounds) or set())
    assert asked == [{"R1": [late.name]}] and [f.name for f in result.late] == [late.name]
    result = batch.run(campaign, r2, tmp_path / "out", tmp_path / "arch", as_of=R2_AS_OF,
                       ask_reopen=lambda rounds: {"R1"})
    assert result.late == [] and result.reopened == {"R1"}
    assert _accepted(campaign, tmp_path, "R1")["FN03"] == late.name


def test_last_rounds_files_left_in_the_inbox_while_r2_arrives(campaign, tmp_path, two_rounds, capsys):
    """The clerk keeps every file: with R1's files still in the inbox and two R2 files arriving, R2 is
    reported; R1's files are counted quietly and R1 does not change."""
    r1, r2, first = two_rounds
    before = _accepted(campaign, tmp_path, "R1")
    for code in ("FN01", "FN02"):
        shutil.copyfile(_unit_file(r2, code), r1 / f"{code}第二阶段.xlsx")
    status = _cli(r1, tmp_path, "--as-of", R2_AS_OF.isoformat())
    out = capsys.readouterr().out.replace("\n", "")
    assert status == cli.EXIT_OK
    (folder,) = (tmp_path / "out" / "R2").iterdir()
    assert _manifest(folder)["round"] == "R2"
    assert "评议阶段：第二阶段" in out and "收件箱中另有第一阶段的文件 4 份（已入台账 4 份）" in out
    assert _unit_file(r1, "FN03").name not in out, "R1's files are not listed again"
    assert _accepted(campaign, tmp_path, "R1") == before
    assert set(_accepted(campaign, tmp_path, "R2")) == {"FN01", "FN02"}


def test_a_round_asked_for_without_a_workbook_stops_and_writes_nothing(campaign, tmp_path, capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=5, seed=3)
    status = _cli(inbox, tmp_path, "--round", "R2", "--as-of", AS_OF.isoformat())
    out = capsys.readouterr().out.replace("\n", "")  # the window wraps long lines
    assert status == cli.EXIT_USAGE and "R2" in out and "没有生成汇总报告" in out and "第一阶段 3 份" in out
    assert not (tmp_path / "out" / "R2").exists()
    assert _cli(inbox, tmp_path, "--as-of", AS_OF.isoformat()) == cli.EXIT_OK, "the files were kept: R1 runs"


def test_an_as_of_before_the_files_round_is_said_and_decided_again(campaign, tmp_path, capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=5, seed=3, round_code="R2", as_of=R2_AS_OF)
    status = _cli(inbox, tmp_path, "--as-of", "2011-06-10")
    out = capsys.readouterr().out.replace("\n", "")
    assert status == cli.EXIT_REJECTED and out.count("基准日期 2011-06-10 不在第二阶段") == 2, "first lines, verdict"
    assert "如果是基准日期填错了" in out
    assert _cli(inbox, tmp_path, "--as-of", R2_AS_OF.isoformat()) == cli.EXIT_OK


@pytest.mark.parametrize("damage", ["deleted", "gbk"])
def test_the_previous_round_comes_from_the_ledger_not_its_csv_files(campaign, tmp_path, damage):
    """R1's data/*.csv deleted, or opened in Excel and saved again (GBK): R2's comparisons are the same."""
    r1, _ = make_demo(campaign, tmp_path / "r1", units=4, members=6, seed=5)
    r2, _ = make_demo(campaign, tmp_path / "r2", units=4, members=6, seed=6, round_code="R2", as_of=R2_AS_OF)
    first = batch.run(campaign, r1, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    shutil.copytree(tmp_path / "arch", tmp_path / "arch2")
    shutil.copytree(tmp_path / "out", tmp_path / "out2")
    kept = batch.run(campaign, r2, tmp_path / "out", tmp_path / "arch", as_of=R2_AS_OF)
    data = tmp_path / "out2" / "R1" / first.folder.name / "data"
    for csv in data.glob("*.csv"):
        if damage == "deleted":
            csv.unlink()
        else:
            csv.write_bytes(csv.read_text(encoding="utf-8-sig").encode("gbk", errors="replace"))
    other = batch.run(campaign, r2, tmp_path / "out2", tmp_path / "arch2", as_of=R2_AS_OF)

    def compared(result):
        d = docx.Document(str(result.folder / f"{campaign.outputs['briefing']}.docx"))
        return [p.text for p in d.paragraphs if "与第一阶段相比" in p.text or "组织等次提高" in p.text]
    assert compared(kept) and compared(other) == compared(kept)
    prev = round_results.previous(campaign, Ledger(tmp_path / "arch2", campaign), "R2")
    assert prev.round == "R1" and list(prev.org_results["unit_code"]) == ["FN01", "FN02", "FN03", "FN04"]
    assert (kept.folder / "汇总报告.xlsx").read_bytes() == (other.folder / "汇总报告.xlsx").read_bytes()


def test_a_rejected_file_sent_again_under_a_new_name_is_answered_again(campaign, tmp_path, capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=5, seed=5)
    path = _unit_file(inbox, "FN02")
    wb = load_workbook(path)
    wb["党员名册"]["B2"].value = None  # 姓名, required
    wb.save(path)
    first = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert [f.name for f in first.rejected] == [path.name]
    path.rename(inbox / "东岭社区-重新发送.xlsx")
    status = _cli(inbox, tmp_path, "--as-of", AS_OF.isoformat())
    assert status == cli.EXIT_REJECTED
    folder = sorted((tmp_path / "out" / "R1").iterdir())[-1]
    (again,) = [f for f in _manifest(folder)["inbox_files"] if f["name"] == "东岭社区-重新发送.xlsx"]
    assert again["status"] == "rejected" and again["returned"]
    assert [x["code"] for x in again["findings"]] == ["N_RESENT", "E_REQUIRED"]
    assert (folder / again["returned"]).exists()
    text = (folder / labels.REPLIES).read_text(encoding="utf-8-sig")
    assert "与上次退回的文件内容完全相同，问题尚未修改" in text and "东岭社区-重新发送.xlsx" in text


def test_a_file_an_older_program_rejected_for_its_date_is_validated_again(campaign, tmp_path):
    """Ledgers written before schema 4 stored E_FUTURE_DATE as a fact of the file (and no rows): the next run
    validates such a file again from its archived bytes, and counts it when its date is right."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=5, seed=3)
    first = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    lg = Ledger(tmp_path / "arch", campaign)
    sid, counts = lg.accepted("R1", "unit")[0].id, lg.counts()
    with lg.conn:  # as the older program left it
        lg.conn.execute("UPDATE submissions SET status = 'rejected' WHERE id = ?", (sid,))
        for sheet in ["submission_sheets"] + [f"rows_{s.key}" for s in campaign.workbooks["unit"].sheets]:
            lg.conn.execute(f"DELETE FROM {sheet} WHERE submission_id = ?", (sid,))
        lg.conn.execute("INSERT INTO findings (submission_id, code, severity, file, sheet, cell, column_label, value, "
                        "detail, message) VALUES (?, 'E_FUTURE_DATE', '错误', 'x', '填报说明', 'B8', '填报日期', "
                        "'2010-07-30', '2010-07-02', '')", (sid,))
    lg.close()
    again = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert again.complete and _csvs(again.folder) == _csvs(first.folder)
    lg = Ledger(tmp_path / "arch", campaign)
    assert lg.legacy_run_verdicts() == [] and lg.stored_findings(sid) == []
    assert lg.counts() == {**counts, "runs": counts["runs"] + 1}, "its rows stored again, once"
    lg.close()
