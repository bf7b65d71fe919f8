"""The ledger (SPEC §5): every received file, its findings and its rows, in sqlite beside the archived files."""

from pipeline.ledger.rows import prepared_rows
from pipeline.ledger.store import DB_NAME, Ledger, LedgerBusy, LedgerDamaged, Stored, locked, writable

__all__ = ["DB_NAME", "Ledger", "LedgerBusy", "LedgerDamaged", "Stored", "locked", "prepared_rows", "writable"]
