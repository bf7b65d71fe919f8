"""The ledger (SPEC §5): every received file, its findings and its rows, in sqlite beside the archived files."""

from pipeline.ledger.access import LedgerBusy, damaged, locked, writable
from pipeline.ledger.copies import ArchiveIncomplete
from pipeline.ledger.rows import prepared_rows
from pipeline.ledger.store import DB_NAME, Ledger, LedgerDamaged, Stored

__all__ = ["ArchiveIncomplete", "DB_NAME", "Ledger", "LedgerBusy", "LedgerDamaged", "Stored", "damaged", "locked",
           "prepared_rows", "writable"]
