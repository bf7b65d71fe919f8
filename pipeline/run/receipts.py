"""Taking in the inbox's files (SPEC §4, §5): each file validated (in worker processes for a large inbox)
and stored in the ledger, one transaction a file; a failure on one file makes it 退回修改 with E_INTERNAL
and the run goes on; a fault of the machine stops the run with nothing recorded for the file."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import sqlite3
from collections import deque
from itertools import islice
from pathlib import Path

from pipeline import fsio
from pipeline.campaign import Campaign
from pipeline.findings import make
from pipeline.labels import without_beside
from pipeline.intake import inbox as inbox_mod
from pipeline.ledger import Ledger, Stored, prepared_rows
from pipeline.validation import validate
from pipeline.validation.validate import Submission

log = logging.getLogger(__name__)


def examine(received: inbox_mod.Received, campaign: Campaign) -> Submission:
    """Validate one file; a problem becomes a finding, never an exception: one file never stops the batch."""
    try:
        return validate.validate_file(received.path, received.name, campaign)
    except Exception as e:
        log.exception("unexpected failure on %s", received.name)
        return Submission(received.name, findings=[make("E_INTERNAL", received.name, detail=type(e).__name__)])


PARALLEL_MIN_FILES = 8  # below this, starting worker processes costs more than it saves
WORKER_SECONDS = 900  # far above any file within the limits; a worker that died never answers
_worker_campaign: Campaign | None = None


def _init_worker(campaign: Campaign, log_file: str | None) -> None:
    global _worker_campaign
    _worker_campaign = campaign
    # A worker's unexpected failure goes to the run's log, never as a traceback in the clerk's window.
    handler = logging.FileHandler(log_file, delay=True, encoding="utf-8") if log_file else logging.NullHandler()
    handler.setLevel(logging.WARNING)
    logging.getLogger("pipeline").addHandler(handler)
    gc.freeze()  # the modules and the campaign stay for the worker's life: the collector skips them


def _examine_in_worker(received: inbox_mod.Received) -> Submission:
    """Validate in a worker, and prepare the rows as the ledger stores them: the main process only
    inserts them. The raw cell values and the normalised frames stay here."""
    sub = examine(received, _worker_campaign)
    if sub.workbook:
        for sd in sub.workbook.sheets.values():
            sd.frame = sd.frame.iloc[0:0]
    if sub.accepted:
        sub.prepared = prepared_rows(_worker_campaign.workbooks[sub.kind], sub)
    sub.tables = {}
    return sub


def to_validate(ledger: Ledger, received: list[inbox_mod.Received]) -> list[inbox_mod.Received]:
    """The files whose bytes neither the ledger nor an earlier file of this inbox holds, in order."""
    seen, out = set(), []
    for r in received:
        if r.sha256 not in seen and ledger.first_with_hash(r.sha256) is None:
            out.append(r)
        seen.add(r.sha256)
    return out


def snapshots(todo: list[inbox_mod.Received], folder: Path) -> tuple[dict[str, inbox_mod.Received], list]:
    """Private copies of the files to validate, keyed by name, and the files whose bytes changed since
    the scan (still being copied into the inbox): those are left for the next run."""
    snaps, changed = {}, []
    for r in todo:
        s = inbox_mod.snapshot(r, folder)
        if s is None:
            changed.append(r)
        else:
            snaps[r.name] = s
    return snaps, changed


def log_path() -> str:
    """Where this run's log is written (cli sets it up in archive/logs/), for messages that cite it."""
    for h in logging.getLogger("pipeline").handlers:
        if isinstance(h, logging.FileHandler):
            return h.baseFilename
    return "archive/logs"


def take_in_safely(ledger: Ledger, run_id: str, received: inbox_mod.Received, campaign: Campaign,
                   sub: Submission | None = None) -> Stored:
    """take_in, where any failure on this one file stores it as rejected with E_INTERNAL (naming the log) and
    the run goes on. A fault of the machine (a full disk, a ledger that cannot write) is no verdict: it stops
    the run, nothing is recorded for the file, and the next run takes it in as new."""
    try:
        return take_in(ledger, run_id, received, campaign, sub)
    except (fsio.FileBusy, sqlite3.OperationalError):
        raise
    except OSError as e:
        if fsio.is_environment_error(e, ledger.archive):
            raise
        error = e
    except Exception as e:  # noqa: BLE001 - anything this file's content provoked
        error = e
    log.error("failed to take in %s", received.name, exc_info=error)
    failed = Submission(received.name, findings=[make("E_INTERNAL", received.name,
                                                      detail=f"{type(error).__name__}；日志：{log_path()}")])
    return ledger.ingest(run_id, received.path, received.name, received.sha256, received.size, failed,
                         mtime_ns=received.mtime_ns)


def validated(todo: list[inbox_mod.Received], campaign: Campaign):
    """Submissions of `todo`, in order. Validation is independent per file, so it runs in worker
    processes over the machine's cores, a bounded window ahead of the (sequential) ledger."""
    workers = min(os.cpu_count() or 1, 4)
    if workers < 2 or len(todo) < PARALLEL_MIN_FILES:
        yield from (examine(r, campaign) for r in todo)
        return
    # spawn: no inherited lock or ledger handles in the workers, and the same start on Windows and Linux.
    # multiprocessing.Pool rather than ProcessPoolExecutor: the latter deadlocks under Wine 8.
    ctx = multiprocessing.get_context("spawn")
    log_file = log_path() if log_path() != "archive/logs" else None
    with ctx.Pool(workers, initializer=_init_worker, initargs=(campaign, log_file)) as pool:
        ahead = iter(todo)
        pending = deque((r, pool.apply_async(_examine_in_worker, (r,))) for r in islice(ahead, 2 * workers))
        while pending:
            r, result = pending.popleft()
            try:
                sub = result.get(timeout=WORKER_SECONDS)
            except Exception:  # a worker that failed or hung: validate that file here instead
                log.exception("worker failed on %s", r.name)
                sub = examine(r, campaign)
            nxt = next(ahead, None)
            if nxt is not None:
                pending.append((nxt, pool.apply_async(_examine_in_worker, (nxt,))))
            yield sub


def take_in(ledger: Ledger, run_id: str, received: inbox_mod.Received, campaign: Campaign,
            sub: Submission | None = None) -> Stored:
    """The ledger's record of one inbox file: already known, a duplicate, or newly validated and stored
    (`sub`: its validation, when already done)."""
    known = ledger.find(received.sha256, received.name) or ledger.find(received.sha256, without_beside(received.name))
    if known:  # an upgrade's old version of a file the old ledger received is that file
        return known
    original = ledger.first_with_hash(received.sha256)
    if original:
        sub = Submission(received.name, original.format, original.kind, original.unit_code, original.round,
                         findings=[make("W_DUPLICATE_FILE", received.name, detail=original.original_name)])
        return ledger.ingest(run_id, received.path, received.name, received.sha256, received.size, sub,
                             duplicate_of=original.id, mtime_ns=received.mtime_ns)
    sub = sub or examine(received, campaign)
    version = sub.workbook.identity.meta.get("template_version", "") if sub.workbook else ""
    return ledger.ingest(run_id, received.path, received.name, received.sha256, received.size, sub, version,
                         mtime_ns=received.mtime_ns)


def restore_legacy(ledger: Ledger, campaign: Campaign) -> int:
    """Files an older program rejected only for a date each run now decides: their archived bytes validated
    again, so that the run whose date makes them right can count them. Returns how many."""
    legacy = ledger.legacy_run_verdicts()
    for s in legacy:
        path = ledger.archived_path(s)
        ledger.restore(s.id, examine(inbox_mod.Received(path, s.original_name, s.sha256, path.stat().st_size), campaign))
    return len(legacy)
