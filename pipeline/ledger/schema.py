"""The ledger's tables (SPEC §5) and the forward migrations that bring an older ledger up to them."""

from __future__ import annotations

import contextlib
import sqlite3

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
    # Verdicts decided by each run (SPEC §4): supersession and the warnings it gives are no longer stored;
    # a run records the closed rounds it reopened; the 填报日期 cell is kept for the run's date check.
    """
    ALTER TABLE runs ADD COLUMN reopened TEXT NOT NULL DEFAULT '';
    ALTER TABLE submissions ADD COLUMN filled_on_cell TEXT NOT NULL DEFAULT '';
    UPDATE submissions SET status = 'accepted' WHERE status = 'superseded';
    DELETE FROM findings WHERE code = 'W_SAME_FILLED_ON';
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection):
    """One transaction, table changes included: Python's implicit transactions begin only before an INSERT,
    UPDATE or DELETE, so tables made inside a bare `with conn` were committed one by one, and a run killed
    between two of them left half a schema that the next run could not open."""
    conn.execute("BEGIN IMMEDIATE")
    with conn:  # commits, or rolls back on an exception
        yield conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration past the stored version, each in its own transaction."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    version = row[0] if row else 0
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"ledger schema version {version} is newer than this program ({SCHEMA_VERSION})")
    for target in range(version, SCHEMA_VERSION):
        with transaction(conn):
            for statement in MIGRATIONS[target].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version VALUES (?)", (target + 1,))
    return SCHEMA_VERSION
