"""The ledger (SPEC §5): `archive/ledger.sqlite` and `archive/files/<sha256>.<ext>`.

An immutable record of every file ever received: each submission stored in one transaction,
its findings, and the normalised rows of every sheet of the accepted ones. Statuses:
accepted, rejected, duplicate (same bytes as an earlier file), superseded (a later accepted
submission of the same unit and round exists: later by 填报日期, then file name, then hash, so
that the outcome does not depend on the order in which runs happened to ingest them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import fsio
from pipeline.campaign import Campaign
from pipeline.findings import Finding, make
from pipeline.layout import INFO_SHEET
from pipeline.ledger.access import read_only_connection
from pipeline.ledger.rows import RATING_SEP, prepared_rows, row_columns

DB_NAME = "ledger.sqlite"
FILES_DIR = "files"

# Forward migrations: index i brings the schema from version i to i + 1.
MIGRATIONS = [
    """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
        as_of TEXT NOT NULL, round TEXT NOT NULL, campaign_id TEXT NOT NULL);
    CREATE TABLE files (
        sha256 TEXT PRIMARY KEY, ext TEXT NOT NULL, size INTEGER NOT NULL, stored_at TEXT NOT NULL);
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL REFERENCES files(sha256),
        original_name TEXT NOT NULL, received_at TEXT NOT NULL, run_id TEXT NOT NULL REFERENCES runs(run_id),
        format TEXT, kind TEXT, unit_code TEXT NOT NULL DEFAULT '', round TEXT NOT NULL DEFAULT '',
        filled_on TEXT, status TEXT NOT NULL
            CHECK (status IN ('accepted', 'rejected', 'duplicate', 'superseded')),
        duplicate_of INTEGER REFERENCES submissions(id),
        UNIQUE (sha256, original_name));
    CREATE INDEX submissions_key ON submissions(kind, unit_code, round, status);
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY, submission_id INTEGER NOT NULL REFERENCES submissions(id),
        code TEXT NOT NULL, severity TEXT NOT NULL, file TEXT NOT NULL, sheet TEXT NOT NULL, cell TEXT NOT NULL,
        column_label TEXT NOT NULL, value TEXT NOT NULL, detail TEXT NOT NULL, message TEXT NOT NULL);
    CREATE INDEX findings_submission ON findings(submission_id);
    CREATE TABLE submission_sheets (
        submission_id INTEGER NOT NULL REFERENCES submissions(id), sheet_key TEXT NOT NULL,
        sheet_name TEXT NOT NULL, header_row INTEGER NOT NULL, criteria TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (submission_id, sheet_key));
    """,
    """
    ALTER TABLE submissions ADD COLUMN template_version TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN inbox_files INTEGER;
    """,
    """
    ALTER TABLE submissions ADD COLUMN mtime_ns INTEGER NOT NULL DEFAULT 0;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


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


# A later received accepted (or since superseded) submission of the same workbook kind, unit and round:
# a later run, or in the same run the later saved file (as supersession orders two of one date).
_REPLACED = ("s.kind IS NOT NULL AND s.round != '' AND (s.kind = 'street' OR s.unit_code != '') AND EXISTS ("
             "SELECT 1 FROM submissions a JOIN runs ra ON ra.run_id = a.run_id WHERE a.kind = s.kind "
             "AND a.unit_code = s.unit_code AND a.round = s.round AND a.status IN ('accepted', 'superseded') "
             "AND (ra.rowid > rs.rowid OR (ra.rowid = rs.rowid AND (a.mtime_ns > s.mtime_ns "
             "OR (a.mtime_ns = s.mtime_ns AND a.id > s.id)))))")


def _table(sheet_key: str) -> str:
    return f"rows_{sheet_key}"


def _ext(name: str, fmt: str | None) -> str:
    if fmt:
        return fmt
    suffix = Path(name).suffix.lower().lstrip(".")
    return suffix if re.fullmatch(r"[a-z0-9]{1,8}", suffix) else "bin"


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration past the stored version, each in its own transaction."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    version = row[0] if row else 0
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"ledger schema version {version} is newer than this program ({SCHEMA_VERSION})")
    for target in range(version, SCHEMA_VERSION):
        with conn:
            for statement in MIGRATIONS[target].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version VALUES (?)", (target + 1,))
    return SCHEMA_VERSION


class Ledger:
    def __init__(self, archive: Path, campaign: Campaign, read_only: bool = False):
        """The archive's ledger; `read_only`: for reading a copy that cannot be written (a backup on a
        read-only disk): nothing is created, migrated or locked."""
        self.archive = Path(archive)
        self.campaign = campaign
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
        with self.conn:
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
    def begin_run(self, run_id: str, as_of: dt.date, n_files: int) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO runs (run_id, started_at, as_of, round, campaign_id, inbox_files) "
                              "VALUES (?, ?, ?, '', ?, ?)", (run_id, dt.datetime.now().isoformat(timespec="seconds"),
                                                             as_of.isoformat(), self.campaign.id, n_files))

    def finish_run(self, run_id: str, round_code: str) -> None:
        with self.conn:
            self.conn.execute("UPDATE runs SET finished_at = ?, round = ? WHERE run_id = ?",
                              (dt.datetime.now().isoformat(timespec="seconds"), round_code, run_id))

    def run_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT run_id FROM runs")}

    def last_run(self, round_code: str) -> tuple | None:
        return self.conn.execute("SELECT run_id, as_of, finished_at FROM runs WHERE round = ? AND finished_at IS NOT "
                                 "NULL ORDER BY finished_at DESC, run_id DESC LIMIT 1", (round_code,)).fetchone()

    # ------------------------------------------------------------ lookups
    def _stored(self, where: str, args: tuple) -> list[Stored]:
        """Submissions as the ledger holds them, with their live verdict: a rejected file that a later
        received accepted file of the same unit and round replaced is superseded (nothing goes back)."""
        rows = self.conn.execute(
            "SELECT s.id, s.sha256, s.original_name, s.format, s.kind, s.unit_code, s.round, s.filled_on, "
            f"CASE WHEN s.status = 'rejected' AND ({_REPLACED}) THEN 'superseded' ELSE s.status END, s.run_id, "
            f"s.duplicate_of FROM (SELECT * FROM submissions WHERE {where}) s "
            "LEFT JOIN runs rs ON rs.run_id = s.run_id ORDER BY s.id", args).fetchall()
        return [Stored(*r) for r in rows]

    def find(self, sha256: str, name: str) -> Stored | None:
        found = self._stored("sha256 = ? AND original_name = ?", (sha256, name))
        return found[0] if found else None

    def first_with_hash(self, sha256: str) -> Stored | None:
        found = self._stored("sha256 = ? AND status != 'duplicate'", (sha256,))
        return found[0] if found else None

    def get(self, submission_id: int) -> Stored:
        return self._stored("id = ?", (submission_id,))[0]

    def findings(self, submission_id: int) -> list[Finding]:
        rows = self.conn.execute("SELECT code, file, sheet, cell, column_label, value, detail FROM findings "
                                 "WHERE submission_id = ? ORDER BY id", (submission_id,)).fetchall()
        return [Finding(*r) for r in rows]

    def archived_path(self, stored: Stored) -> Path:
        ext = self.conn.execute("SELECT ext FROM files WHERE sha256 = ?", (stored.sha256,)).fetchone()[0]
        return self.archive / FILES_DIR / f"{stored.sha256}.{ext}"

    def accepted(self, round_code: str, kind: str | None = None) -> list[Stored]:
        """The current accepted submission of each unit (and the street) for a round."""
        if kind:
            return self._stored("status = 'accepted' AND round = ? AND kind = ?", (round_code, kind))
        return self._stored("status = 'accepted' AND round = ?", (round_code,))

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
        """Store one received file and what validation found, in one transaction. `mtime_ns`: when the
        file was saved, which orders two versions of one unit with the same 填报日期."""
        ext = _ext(name, sub.format)
        self.store_copy(path, sha256, ext)
        status = "duplicate" if duplicate_of else ("accepted" if sub.accepted else "rejected")
        filled = sub.info.get("filled_on")
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?)",
                              (sha256, ext, size, dt.datetime.now().isoformat(timespec="seconds")))
            cur = self.conn.execute(
                "INSERT INTO submissions (sha256, original_name, received_at, run_id, format, kind, unit_code, round, "
                "filled_on, status, duplicate_of, template_version, mtime_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (sha256, name, dt.datetime.now().isoformat(timespec="seconds"), run_id, sub.format, sub.kind,
                 sub.unit_code or "", sub.round or "", filled.isoformat() if filled else None, status, duplicate_of,
                 template_version, mtime_ns))
            sid = cur.lastrowid
            self.conn.executemany(
                "INSERT INTO findings (submission_id, code, severity, file, sheet, cell, column_label, value, detail, "
                "message) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(sid, f.code, f.severity, f.file, f.sheet, f.cell, f.column, f.value, f.detail, f.message)
                 for f in sub.findings])
            if status == "accepted":
                self._store_rows(sid, sub)
                self._resolve_supersession(sub.kind, sub.unit_code or "", sub.round or "")
        return self.get(sid)

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

    def _resolve_supersession(self, kind: str, unit_code: str, round_code: str) -> None:
        """Of the accepted submissions of one unit and round, the latest 填报日期 stays; the others are
        superseded. With the same 填报日期 the one received later wins (a later run; in one run, the later
        saved file), and each of the two carries a warning naming the other: never silent."""
        rows = self.conn.execute(
            "SELECT s.id, s.filled_on, r.rowid, s.mtime_ns, s.original_name FROM submissions s "
            "JOIN runs r ON r.run_id = s.run_id WHERE s.kind = ? AND s.unit_code = ? AND s.round = ? "
            "AND s.status IN ('accepted', 'superseded')", (kind, unit_code, round_code)).fetchall()
        if not rows:
            return
        latest = max(rows, key=lambda r: (r[1] or "", r[2], r[3], r[0]))
        for r in rows:
            self.conn.execute("UPDATE submissions SET status = ? WHERE id = ?",
                              ("accepted" if r[0] == latest[0] else "superseded", r[0]))
        for r in rows:
            if r[0] != latest[0] and r[1] and r[1] == latest[1]:
                self._warn_same_date(latest, r, latest)
                self._warn_same_date(r, latest, latest)

    def _warn_same_date(self, row: tuple, other: tuple, winner: tuple) -> None:
        """W_SAME_FILLED_ON on `row`, naming `other` (once per pair)."""
        sid, day, name, other_name = row[0], row[1], row[4], other[4]
        seen = self.conn.execute("SELECT 1 FROM findings WHERE submission_id = ? AND code = 'W_SAME_FILLED_ON' "
                                 "AND detail LIKE ?", (sid, f"%“{other_name}”%")).fetchone()
        if seen:
            return
        f = make("W_SAME_FILLED_ON", name, sheet=INFO_SHEET, value=day,
                 detail=f"另一份为“{other_name}”，现采用较晚收到的“{winner[4]}”")
        self.conn.execute("INSERT INTO findings (submission_id, code, severity, file, sheet, cell, column_label, "
                          "value, detail, message) VALUES (?,?,?,?,?,?,?,?,?,?)",
                          (sid, f.code, f.severity, f.file, f.sheet, f.cell, f.column, f.value, f.detail, f.message))

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
