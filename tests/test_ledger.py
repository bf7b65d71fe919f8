"""The ledger: immutable, idempotent, crash-safe, one writer at a time, migrated forward."""

import datetime as dt
import hashlib
import json
import sqlite3
import threading
import time

import pytest
from conftest import AS_OF, make_demo
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from pipeline import cli, labels, layout
from pipeline.run import batch, receipts
from pipeline.ledger import access, schema
from pipeline.ledger import store as ledger
from pipeline.ledger.store import Ledger
from pipeline.outputs.clerk import csvfiles


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _cells(path):
    book = CalamineWorkbook.from_path(str(path))
    return {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}


def _run(campaign, inbox, tmp_path, **kw):
    return batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=kw.pop("as_of", AS_OF), **kw)


@pytest.fixture()
def inbox(campaign, tmp_path):
    return make_demo(campaign, tmp_path / "inbox", units=4, members=8, seed=21, defects=True)[0]


def test_second_run_stores_nothing_new_and_gives_the_same_results(campaign, inbox, tmp_path):
    first = _run(campaign, inbox, tmp_path)
    lg = Ledger(tmp_path / "arch", campaign)
    before = lg.counts()
    lg.close()
    second = _run(campaign, inbox, tmp_path)
    lg = Ledger(tmp_path / "arch", campaign)
    after = lg.counts()
    lg.close()
    assert after == {**before, "runs": before["runs"] + 1}
    assert before["submissions"] == len(first.files) and before["rows_member_ballots"] > 0
    m1, m2 = (json.loads((r.folder / "manifest.json").read_text(encoding="utf-8")) for r in (first, second))
    assert m1["inbox_files"] == m2["inbox_files"]
    names = sorted(p.name for p in (first.folder / "data").iterdir())
    assert set(names) == set(csvfiles.columns(campaign)) | {"findings.csv"}
    for name in names:
        assert (first.folder / "data" / name).read_bytes() == (second.folder / "data" / name).read_bytes(), name
    copies1 = sorted((first.folder / labels.RETURNED_DIR).iterdir())
    copies2 = sorted((second.folder / labels.RETURNED_DIR).iterdir())
    assert [p.name for p in copies1] == [p.name for p in copies2] and copies1
    for a, b in zip(copies1, copies2):
        assert _cells(a) == _cells(b)


def test_inbox_is_never_modified_and_every_file_is_archived_byte_for_byte(campaign, inbox, tmp_path):
    before = _hashes(inbox)
    mtimes = {p.name: p.stat().st_mtime_ns for p in inbox.iterdir()}
    result = _run(campaign, inbox, tmp_path)
    assert _hashes(inbox) == before
    assert {p.name: p.stat().st_mtime_ns for p in inbox.iterdir()} == mtimes
    archived = {p.stem: p for p in (tmp_path / "arch" / ledger.FILES_DIR).iterdir()}
    for f in result.files:
        assert hashlib.sha256(archived[f.received.sha256].read_bytes()).hexdigest() == f.received.sha256
    assert len(archived) == len(set(before.values()))


def test_manifest_accounts_for_every_inbox_file(campaign, inbox, tmp_path):
    result = _run(campaign, inbox, tmp_path)
    m = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    t = m["totals"]
    assert t["files"] == len(list(inbox.iterdir())) == t["accepted"] + t["rejected"] + t["duplicate"] + t["superseded"]
    assert {o["path"] for o in m["outputs"]} >= {"data/findings.csv", "data/coverage_flags.csv"}
    for o in m["outputs"]:
        assert hashlib.sha256((result.folder / o["path"]).read_bytes()).hexdigest() == o["sha256"]


def test_same_bytes_under_another_name_in_a_later_run_is_a_duplicate(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=3)
    _run(campaign, inbox, tmp_path)
    original = next(inbox.glob("FN01*.xlsx"))
    (inbox / "转发：丰年社区.xlsx").write_bytes(original.read_bytes())
    result = _run(campaign, inbox, tmp_path)
    by_name = {f.name: f for f in result.files}
    dup = by_name["转发：丰年社区.xlsx"]
    assert dup.status == "duplicate" and [x.code for x in dup.findings] == ["W_DUPLICATE_FILE"]
    assert dup.findings[0].detail == original.name
    assert by_name[original.name].status == "accepted"


@pytest.mark.parametrize("order", ["draft first", "revision first"])
def test_later_submission_supersedes_whatever_order_runs_took_them_in(campaign, tmp_path, order):
    draft, _ = make_demo(campaign, tmp_path / "d", units=1, seed=1, as_of=dt.date(2010, 7, 20))
    revision, _ = make_demo(campaign, tmp_path / "r", units=1, seed=2, as_of=dt.date(2010, 7, 28))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = [(next(draft.glob("FN01*")), "初稿.xlsx"), (next(revision.glob("FN01*")), "修改稿.xlsx")]
    if order == "revision first":
        files.reverse()
    for src, name in files:
        (inbox / name).write_bytes(src.read_bytes())
        result = _run(campaign, inbox, tmp_path)
    status = {f.name: f.status for f in result.files if f.name.endswith("稿.xlsx")}
    assert status == {"初稿.xlsx": "superseded", "修改稿.xlsx": "accepted"}
    lg = Ledger(tmp_path / "arch", campaign)
    assert [s.original_name for s in lg.accepted("R1", "unit")] == ["修改稿.xlsx"]
    lg.close()


def test_stored_rows_read_back_equal_the_validated_rows(campaign, tmp_path):
    from pipeline.validation import validate
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=5)
    _run(campaign, inbox, tmp_path)
    path = next(inbox.glob("FN01*.xlsx"))
    sub = validate.validate_file(path, path.name, campaign)
    lg = Ledger(tmp_path / "arch", campaign)
    sid = lg.accepted("R1", "unit")[0].id
    assert len(sub.tables["member_ballots"]) > 0 and len(sub.tables["rectifications"]) > 0
    for key in ("member_ballots", "rectifications"):
        back = lg.rows(key, [sid])
        mine = sub.tables[key]
        assert list(back["row_no"]) == list(mine["_row"])
        for col in campaign.workbooks["unit"].sheet(key).columns:
            expect = [None if v is None or v != v else (v.isoformat() if isinstance(v, dt.date) else v)
                      for v in mine[col.key]]
            got = [None if v is None or v != v else v for v in back[col.key]]
            assert got == expect, (key, col.key)
    lg.close()


def test_a_second_run_waits_for_the_lock_then_gives_up_clearly(campaign, tmp_path, capsys):
    (tmp_path / "inbox").mkdir()
    args = ["--inbox", str(tmp_path / "inbox"), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch")]
    with access.locked(tmp_path / "arch", 0):
        start = time.monotonic()
        status = cli.main(args + ["--wait", "0.6"])
        waited = time.monotonic() - start
    out = capsys.readouterr().out
    assert status == 2 and "另一个汇总正在运行" in out and waited >= 0.6
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("manifest.json"))


def test_a_second_run_proceeds_once_the_first_releases(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=8)
    released = threading.Event()

    def hold():
        with access.locked(tmp_path / "arch", 0):
            time.sleep(0.8)
        released.set()
    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.1)
    result = _run(campaign, inbox, tmp_path, wait_seconds=10)
    t.join()
    assert released.is_set() and (result.folder / "manifest.json").exists()


def test_migration_from_the_first_schema_version(campaign, tmp_path):
    arch = tmp_path / "arch"
    arch.mkdir()
    conn = sqlite3.connect(arch / ledger.DB_NAME)
    conn.executescript(schema.MIGRATIONS[0])
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute("INSERT INTO runs VALUES ('r0', '2010-08-01T09:00:00', '2010-08-01T09:01:00', '2010-08-01', 'R1', 'x')")
    conn.execute("INSERT INTO files VALUES ('abc', 'xlsx', 10, '2010-08-01T09:00:00')")
    conn.execute("INSERT INTO submissions (sha256, original_name, received_at, run_id, kind, unit_code, round, "
                 "filled_on, status) VALUES ('abc', 'old.xlsx', '2010-08-01T09:00:00', 'r0', 'unit', 'FN01', 'R1', "
                 "'2010-07-20', 'superseded')")
    conn.execute("INSERT INTO submissions (sha256, original_name, received_at, run_id, kind, unit_code, round, "
                 "filled_on, status) VALUES ('abc', 'new.xlsx', '2010-08-01T09:00:00', 'r0', 'unit', 'FN01', 'R1', "
                 "'2010-07-25', 'accepted')")
    conn.execute("INSERT INTO findings (submission_id, code, severity, file, sheet, cell, column_label, value, detail, "
                 "message) VALUES (1, 'W_SAME_FILLED_ON', '警告', 'old.xlsx', '', '', '', '', '', '')")
    conn.commit()
    conn.close()
    lg = Ledger(arch, campaign)
    assert lg.conn.execute("SELECT version FROM schema_version").fetchone()[0] == schema.SCHEMA_VERSION == 4
    old = lg.find("abc", "old.xlsx")
    assert old.unit_code == "FN01" and old.status == "accepted", "stored: no error in its bytes"
    assert lg.get(old.id).status == "superseded" and lg.get(old.id + 1).status == "accepted", "decided live"
    assert lg.conn.execute("SELECT template_version, mtime_ns, filled_on_cell FROM submissions").fetchone() == ("", 0, "")
    assert lg.conn.execute("SELECT reopened FROM runs").fetchone() == ("",)
    assert lg.findings(old.id) == [], "supersession warnings are decided by each run, never stored"
    assert lg.integrity() == "ok"
    lg.close()


def test_a_newer_ledger_is_refused(campaign, tmp_path):
    lg = Ledger(tmp_path / "arch", campaign)
    with lg.conn:
        lg.conn.execute("UPDATE schema_version SET version = 99")
    lg.close()
    with pytest.raises(RuntimeError, match="newer"):
        Ledger(tmp_path / "arch", campaign)


def test_a_migration_stopped_halfway_leaves_the_schema_as_it_was(campaign, tmp_path, monkeypatch):
    """A run killed while the ledger's tables were being made (found by bench/kills.py) left some tables
    committed and the next run refused with "table runs already exists": each migration is one
    transaction, its tables included."""
    first = schema.MIGRATIONS[0]
    monkeypatch.setattr(schema, "MIGRATIONS", [first + "; CREATE TABLE runs (x)"] + schema.MIGRATIONS[1:])
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        Ledger(tmp_path / "arch", campaign)
    conn = sqlite3.connect(tmp_path / "arch" / ledger.DB_NAME)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert tables == {"schema_version"}
    monkeypatch.setattr(schema, "MIGRATIONS", [first] + schema.MIGRATIONS[1:])
    lg = Ledger(tmp_path / "arch", campaign)  # the next run builds the whole schema
    assert lg.conn.execute("SELECT version FROM schema_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert lg.integrity() == "ok"
    lg.close()


def _second_round_copy(campaign, r1_file, target, drop_item):
    """The unit's R1 workbook turned into its R2 submission, one open rectification item left out."""
    wb = load_workbook(r1_file)
    wb[layout.META_SHEET]["B4"] = "R2"
    wb[layout.INFO_SHEET]["B5"] = "R2"
    wb[layout.INFO_SHEET]["B8"] = dt.date(2012, 6, 1)
    ws = wb["整改台账"]
    ws.protection.sheet = False
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == drop_item)
    ws.delete_rows(row)
    wb.save(target)


def test_an_open_item_missing_in_the_next_round_is_flagged_dropped(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, seed=9)
    _run(campaign, inbox, tmp_path)
    r1_file = next(inbox.glob("FN01*.xlsx"))
    lg = Ledger(tmp_path / "arch", campaign)
    items = lg.rows("rectifications", [lg.accepted("R1", "unit")[0].id])
    lg.close()
    open_items = items[items["status"] != "已销号"]
    assert len(open_items) >= 1
    dropped = open_items.iloc[0]
    inbox2 = tmp_path / "inbox2"
    inbox2.mkdir()
    _second_round_copy(campaign, r1_file, inbox2 / "FN01第二阶段.xlsx", dropped["item_id"])
    result = batch.run(campaign, inbox2, tmp_path / "out", tmp_path / "arch", as_of=dt.date(2012, 6, 10))
    assert result.round == "R2" and [f.status for f in result.files] == ["accepted"]
    flags = (result.folder / "data" / "coverage_flags.csv").read_text(encoding="utf-8-sig").strip().splitlines()
    assert flags[0] == "unit_code,member_id,criterion,code,detail"
    dropped_rows = [line for line in flags if ",C_DROPPED," in line]
    assert len(dropped_rows) == 1 and dropped["item_id"] in dropped_rows[0]
    assert dropped_rows[0].startswith("FN01,") and dropped["criterion"] in dropped_rows[0]


def test_parallel_validation_gives_the_same_results_as_sequential(campaign, inbox, tmp_path, monkeypatch):
    results = []
    for name, threshold in (("seq", 10**6), ("par", 2)):
        monkeypatch.setattr(receipts, "PARALLEL_MIN_FILES", threshold)
        results.append(batch.run(campaign, inbox, tmp_path / name / "out", tmp_path / name / "arch", as_of=AS_OF))
    seq, par = results
    m = [json.loads((r.folder / "manifest.json").read_text(encoding="utf-8")) for r in results]
    assert m[0]["inbox_files"] == m[1]["inbox_files"] and len(m[0]["inbox_files"]) >= 6
    for p in sorted((seq.folder / "data").iterdir()):
        assert p.read_bytes() == (par.folder / "data" / p.name).read_bytes(), p.name
