"""The ledger (SPEC §5): `archive/ledger.sqlite` and `archive/files/<sha256>.<ext>`.

An immutable record of every file ever received: each submission stored in one transaction, the
findings of its bytes, and the normalised rows of every sheet of those without an error. Stored
statuses are facts of the bytes: accepted (no error), rejected, duplicate (the same bytes as an earlier
file). What each counts as in a run (accepted, rejected, superseded, late, duplicate) is decided again
by every run from these facts and the run's context (verdicts.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import fsio
from pipeline.campaign import Campaign
from pipeline.findings import RUN_CODES, Finding
from pipeline.ledger import verdicts
from pipeline.ledger.access import read_only_connection
from pipeline.ledger.schema import migrate, transaction
from pipeline.ledger.rows import RATING_SEP, prepared_rows, row_columns

DB_NAME = "ledger.sqlite"
FILES_DIR = "files"



class LedgerDamaged(Exception):
    """The ledger is missing, empty or unreadable while archived files exist: history would be lost."""

    def __init__(self, db: Path, n_files: int, cause: str):
        super().__init__(
            f"台账文件 {db} {cause}，而存档中已有 {n_files} 个收到的文件。为免丢失已有的报送记录，程序没有新建台账，"
            f"也没有改动任何文件。请从备份中恢复 {db.name}（连同同名的 -wal 文件），或联系技术支持。")


@dataclass(frozen=True)
class Stored:
    """A submission as the ledger holds it."""
    id: int
    sha256: str
    original_name: str
    format: str | None
    kind: str | None
    unit_code: str
    round: str
    filled_on: str | None
    status: str
    run_id: str
    duplicate_of: int | None


_COLUMNS = ("s.id, s.sha256, s.original_name, s.format, s.kind, s.unit_code, s.round, s.filled_on, s.status, "
            "s.run_id, s.duplicate_of")


def _table(sheet_key: str) -> str:
    return f"rows_{sheet_key}"


def _ext(name: str, fmt: str | None) -> str:
    if fmt:
        return fmt
    suffix = Path(name).suffix.lower().lstrip(".")
    return suffix if re.fullmatch(r"[a-z0-9]{1,8}", suffix) else "bin"


def _info_cell(sub, key: str) -> str:
    """Where a 填报说明 value sits in the received workbook ('' when it has none)."""
    info = sub.workbook.identity.info if sub.workbook is not None else {}
    return info.get(key, (None, ""))[1]


class Ledger:
    def __init__(self, archive: Path, campaign: Campaign, read_only: bool = False):
        """The archive's ledger; `read_only`: for reading a copy that cannot be written (a backup on a
        read-only disk): nothing is created, migrated or locked."""
        self.archive = Path(archive)
        self.campaign = campaign
        self.context, self._live = verdicts.RunContext(dt.date.today()), None  # `decide` sets a run's
        if not read_only:
            (self.archive / FILES_DIR).mkdir(parents=True, exist_ok=True)
        db = self.archive / DB_NAME
        files = self.archive / FILES_DIR
        archived = sum(1 for p in files.iterdir() if not p.name.startswith(".")) if files.is_dir() else 0
        if archived and (not db.exists() or db.stat().st_size == 0):
            raise LedgerDamaged(db, archived, "不存在" if not db.exists() else "是空文件（0 字节）")
        if read_only:
            self.conn = read_only_connection(db)
            return
        self.conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        try:
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as e:
            self.conn.close()
            raise LedgerDamaged(db, archived, f"已损坏，无法读取（{e}）") from None
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.isolation_level = ""  # implicit transactions, committed by `with conn`
        migrate(self.conn)
        self._ensure_row_tables()

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------ row tables from the layouts
    def _ensure_row_tables(self) -> None:
        """One table per layout sheet, columns from the campaign file (added, never dropped)."""
        with transaction(self.conn):
            for layout in self.campaign.workbooks.values():
                for sheet in layout.sheets:
                    t = _table(sheet.key)
                    self.conn.execute(f'CREATE TABLE IF NOT EXISTS "{t}" (submission_id INTEGER NOT NULL '
                                      f'REFERENCES submissions(id), row_no INTEGER NOT NULL)')
                    have = {r[1] for r in self.conn.execute(f'PRAGMA table_info("{t}")')}
                    for col in row_columns(sheet):
                        if col not in have:
                            self.conn.execute(f'ALTER TABLE "{t}" ADD COLUMN "{col}"')
                    self.conn.execute(f'CREATE INDEX IF NOT EXISTS "{t}_sub" ON "{t}"(submission_id)')

    # ------------------------------------------------------------ runs
    def begin_run(self, run_id: str, as_of: dt.date, n_files: int) -> int:
        """Record a run's start; its row number orders it among the runs."""
        with self.conn:
            cur = self.conn.execute("INSERT INTO runs (run_id, started_at, as_of, round, campaign_id, inbox_files) "
                                    "VALUES (?, ?, ?, '', ?, ?)",
                                    (run_id, dt.datetime.now().isoformat(timespec="seconds"), as_of.isoformat(),
                                     self.campaign.id, n_files))
        return cur.lastrowid

    def finish_run(self, run_id: str, round_code: str, reopened: frozenset[str] = frozenset()) -> None:
        with self.conn:
            self.conn.execute("UPDATE runs SET finished_at = ?, round = ?, reopened = ? WHERE run_id = ?",
                              (dt.datetime.now().isoformat(timespec="seconds"), round_code,
                               ",".join(sorted(reopened)), run_id))

    def run_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT run_id FROM runs")}

    def last_run(self, round_code: str) -> tuple | None:
        return self.conn.execute("SELECT run_id, as_of, finished_at FROM runs WHERE round = ? AND finished_at IS NOT "
                                 "NULL ORDER BY finished_at DESC, run_id DESC LIMIT 1", (round_code,)).fetchone()

    # ------------------------------------------------------------ the run's view: live verdicts
    def decide(self, context: verdicts.RunContext) -> None:
        """Decide every receipt's verdict for this run's context (its date, round, reopened rounds)."""
        self.context, self._live = context, None

    def _verdicts(self) -> dict[int, verdicts.Live]:
        if self._live is None:
            self._live = verdicts.decide(self.campaign, self._receipts(), self._past_runs(), self.context)
        return self._live

    def _column(self, table: str, column: str, default: str) -> str:
        """`column`, or its default on a read-only ledger of an older schema (never migrated)."""
        have = {r[1] for r in self.conn.execute(f'PRAGMA table_info("{table}")')}
        return column if column in have else f"{default} AS {column}"

    def _receipts(self) -> list[verdicts.Receipt]:
        cell = self._column("submissions", "filled_on_cell", "''")
        rows = self.conn.execute(
            f"SELECT s.id, s.original_name, s.kind, s.unit_code, s.round, s.filled_on, {cell}, s.status, r.rowid, "
            "s.mtime_ns, s.duplicate_of, s.received_at FROM submissions s JOIN runs r ON r.run_id = s.run_id "
            "ORDER BY s.id").fetchall()
        return [verdicts.Receipt(*row[:11], dt.date.fromisoformat(row[11][:10])) for row in rows]

    def _past_runs(self) -> list[verdicts.PastRun]:
        """The finished runs before this one, with the rounds they reported and reopened."""
        reopened = self._column("runs", "reopened", "''")
        rows = self.conn.execute(f"SELECT rowid, round, {reopened} FROM runs WHERE finished_at IS NOT NULL "
                                 "AND rowid < ? ORDER BY rowid", (self.context.run or 1 << 62,)).fetchall()
        return [verdicts.PastRun(r, code, frozenset(x for x in text.split(",") if x)) for r, code, text in rows]

    def closing_runs(self) -> dict[str, int]:
        """Round -> the run from which it is closed, as this run sees it."""
        return verdicts.closing_runs(self.campaign, self._receipts(), self._past_runs(), self.context)

    def resent_of(self, submission_id: int) -> int | None:
        """The earlier receipt of the same rejected bytes, when this receipt is one received again."""
        return self._verdicts()[submission_id].resent_of

    # ------------------------------------------------------------ lookups
    def _stored(self, where: str, args: tuple, live: bool = True) -> list[Stored]:
        """Submissions as the ledger holds them; `live`: with this run's verdict for each (else as stored)."""
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM submissions s WHERE {where} ORDER BY s.id", args).fetchall()
        found = [Stored(*r) for r in rows]
        if not live:
            return found
        decided = self._verdicts()
        return [dataclasses.replace(s, status=decided[s.id].status) for s in found]

    def find(self, sha256: str, name: str) -> Stored | None:
        """The receipt of these bytes under this name, as stored (a file still in the inbox)."""
        found = self._stored("sha256 = ? AND original_name = ?", (sha256, name), live=False)
        return found[0] if found else None

    def first_with_hash(self, sha256: str) -> Stored | None:
        """The first receipt of these bytes, as stored."""
        found = self._stored("sha256 = ? AND status != 'duplicate'", (sha256,), live=False)
        return found[0] if found else None

    def get(self, submission_id: int) -> Stored:
        return self._stored("id = ?", (submission_id,))[0]

    def stored_findings(self, submission_id: int) -> list[Finding]:
        """The findings of the bytes, as stored (never those each run decides)."""
        rows = self.conn.execute("SELECT code, file, sheet, cell, column_label, value, detail FROM findings "
                                 "WHERE submission_id = ? ORDER BY id", (submission_id,)).fetchall()
        return [Finding(*r) for r in rows if r[0] not in RUN_CODES]

    def findings(self, submission_id: int) -> list[Finding]:
        """What this run finds of a receipt: the findings of its bytes and those this run decided. A rejected
        file received again carries the findings of its first receipt, under its own name."""
        live = self._verdicts()[submission_id]
        if live.resent_of is None:
            return self.stored_findings(submission_id) + live.findings
        name = self._stored("id = ?", (submission_id,), live=False)[0].original_name
        first = [dataclasses.replace(f, file=name) for f in self.stored_findings(live.resent_of)]
        return live.findings + first

    def archived_path(self, stored: Stored) -> Path:
        ext = self.conn.execute("SELECT ext FROM files WHERE sha256 = ?", (stored.sha256,)).fetchone()[0]
        return self.archive / FILES_DIR / f"{stored.sha256}.{ext}"

    def accepted(self, round_code: str, kind: str | None = None) -> list[Stored]:
        """The current accepted submission of each unit (and the street) for a round, as this run decides."""
        where, args = ("round = ? AND kind = ?", (round_code, kind)) if kind else ("round = ?", (round_code,))
        return [s for s in self._stored(f"status != 'duplicate' AND {where}", args) if s.status == "accepted"]

    def all_submissions(self) -> list[Stored]:
        return self._stored("1", ())

    def counts(self) -> dict[str, int]:
        out = {}
        for t in ["runs", "files", "submissions", "findings", "submission_sheets"] + \
                 [_table(s.key) for lay in self.campaign.workbooks.values() for s in lay.sheets]:
            out[t] = self.conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
        return out

    # ------------------------------------------------------------ ingest
    def store_copy(self, path: Path, sha256: str, ext: str) -> None:
        """Copy the received bytes into archive/files/, atomically; an existing copy is kept."""
        target = self.archive / FILES_DIR / f"{sha256}.{ext}"
        if target.exists():
            return
        tmp = target.with_name(f".tmp-{sha256}-{os.getpid()}")
        try:
            with open(path, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            os.chmod(tmp, 0o444)
            fsio.replace(tmp, target)
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            if e.filename is None:  # a failed write names no file: name the folder the clerk must free
                raise OSError(e.errno, e.strerror, str(target.parent)) from e
            raise

    def ingest(self, run_id: str, path: Path, name: str, sha256: str, size: int, sub, template_version: str = "",
               duplicate_of: int | None = None, mtime_ns: int = 0) -> Stored:
        """Store one received file and what validation found in its bytes, in one transaction. `mtime_ns`:
        when the file was saved, which orders two versions of one unit with the same 填报日期."""
        ext = _ext(name, sub.format)
        self.store_copy(path, sha256, ext)
        status = "duplicate" if duplicate_of else ("accepted" if sub.accepted else "rejected")
        filled = sub.info.get(verdicts.FILLED_ON)
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?)",
                              (sha256, ext, size, dt.datetime.now().isoformat(timespec="seconds")))
            cur = self.conn.execute(
                "INSERT INTO submissions (sha256, original_name, received_at, run_id, format, kind, unit_code, round, "
                "filled_on, status, duplicate_of, template_version, mtime_ns, filled_on_cell) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (sha256, name, dt.datetime.now().isoformat(timespec="seconds"), run_id, sub.format, sub.kind,
                 sub.unit_code or "", sub.round or "", filled.isoformat() if filled else None, status, duplicate_of,
                 template_version, mtime_ns, _info_cell(sub, verdicts.FILLED_ON)))
            sid = cur.lastrowid
            self._store_findings(sid, sub.findings)
            if status == "accepted":
                self._store_rows(sid, sub)
        self._live = None
        return self._stored("id = ?", (sid,), live=False)[0]

    def _store_findings(self, sid: int, found: list[Finding]) -> None:
        self.conn.executemany(
            "INSERT INTO findings (submission_id, code, severity, file, sheet, cell, column_label, value, detail, "
            "message) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(sid, f.code, f.severity, f.file, f.sheet, f.cell, f.column, f.value, f.detail, f.message)
             for f in found if f.code not in RUN_CODES])

    def legacy_run_verdicts(self) -> list[Stored]:
        """Receipts an older program rejected for a date that each run now decides (E_FUTURE_DATE stored):
        their bytes are validated again (`restore`), so that a run whose date makes them right can use them."""
        return self._stored("status = 'rejected' AND id IN (SELECT submission_id FROM findings "
                            "WHERE code = 'E_FUTURE_DATE')", (), live=False)

    def restore(self, submission_id: int, sub) -> None:
        """Replace a receipt's findings (and rows) with those of its bytes validated again."""
        filled = sub.info.get(verdicts.FILLED_ON)
        with self.conn:
            self.conn.execute("DELETE FROM findings WHERE submission_id = ?", (submission_id,))
            self.conn.execute("UPDATE submissions SET status = ?, filled_on = ?, filled_on_cell = ? WHERE id = ?",
                              ("accepted" if sub.accepted else "rejected", filled.isoformat() if filled else None,
                               _info_cell(sub, verdicts.FILLED_ON), submission_id))
            self._store_findings(submission_id, sub.findings)
            if sub.accepted:
                self._store_rows(submission_id, sub)
        self._live = None

    def _store_rows(self, sid: int, sub) -> None:
        layout = self.campaign.workbooks[sub.kind]
        prepared = sub.prepared if sub.prepared is not None else prepared_rows(layout, sub)
        for sheet in layout.sheets:
            if sheet.key not in prepared:
                continue
            sd = sub.workbook.sheets[sheet.key]
            self.conn.execute("INSERT INTO submission_sheets VALUES (?, ?, ?, ?, ?)",
                              (sid, sheet.key, sd.name, sd.header_row, ",".join(c.key for c in sheet.rating_columns)))
            names, rows = prepared[sheet.key]
            quoted = ", ".join(f'"{c}"' for c in names)
            marks = ", ".join("?" * len(names))
            # sid is this ledger's own integer: written into the statement, not bound on every row
            self.conn.executemany(f'INSERT INTO "{_table(sheet.key)}" (submission_id, {quoted}) '
                                  f"VALUES ({int(sid)}, {marks})", rows)

    # ------------------------------------------------------------ reading rows back
    def rows(self, sheet_key: str, submission_ids: list[int], columns: list[str] | None = None,
             filled: str | None = None) -> pd.DataFrame:
        """The stored rows of a sheet for these submissions; ratings unpacked to one column per criterion.
        `columns`: only these (of the stored ones); `filled`: only rows where that column is not blank."""
        sheet = next(s for lay in self.campaign.workbooks.values() for s in lay.sheets if s.key == sheet_key)
        stored = row_columns(sheet)
        cols = stored if columns is None else [c for c in columns if c in stored]
        marks = ",".join("?" * len(submission_ids))
        names = ", ".join(f'r."{c}"' for c in cols)
        # Rows carry their unit: the submitting unit's code, unless the sheet names units itself (街道点评表).
        unit = "" if "unit_code" in stored else "s.unit_code, "
        where = f' AND trim(coalesce(r."{filled}", \'\')) != \'\'' if filled in stored else ""
        df = pd.read_sql_query(
            f'SELECT r.submission_id, r.row_no, {unit}{names} FROM "{_table(sheet_key)}" r '
            f"JOIN submissions s ON s.id = r.submission_id WHERE r.submission_id IN ({marks}){where} "
            "ORDER BY r.submission_id, r.row_no", self.conn, params=submission_ids)
        if "ratings" in df:
            crits = [c.key for c in sheet.rating_columns]
            split = df["ratings"].str.split(RATING_SEP, expand=True, regex=False) if len(df) else \
                pd.DataFrame(columns=range(len(crits)))
            for j, code in enumerate(crits):
                df[code] = split[j].replace("", None) if j in split else None
            df = df.drop(columns="ratings")
        return df

    # ------------------------------------------------------------ integrity
    def integrity(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]
