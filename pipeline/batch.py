"""One run of the pipeline: inbox -> archive (ledger) -> outbox/<round>/<run id>/, placed atomically."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import multiprocessing
import os
import shutil
import sqlite3
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from pipeline import __version__, fsio, rounds
from pipeline.campaign import Campaign
from pipeline.findings import Finding, make
from pipeline.intake import inbox as inbox_mod
from pipeline.labels import kind_label
from pipeline.ledger import Ledger, Stored, copies, locked, prepared_rows
from pipeline.outputs import briefing_facts, manifest, reuse, workbooks, writers
from pipeline.rules import round_results
from pipeline.timing import Stages
from pipeline.validation import validate
from pipeline.validation.validate import Submission

DEFAULT_WAIT_SECONDS = 60
log = logging.getLogger(__name__)


class UsageError(Exception):
    """The run was asked for something that cannot be done (unknown round, missing inbox...)."""


class EmptyInbox(Exception):
    """Nothing to take in and nothing in the ledger: no report is written."""

    def __init__(self, inbox: Path):
        self.inbox = inbox
        super().__init__(f"收件箱为空：{inbox} 中没有文件，也还没有汇总过任何文件，本次没有生成汇总报告。"
                         "请把各单位报送的工作簿（.xlsx）放入这个文件夹后再运行。")


@dataclass
class FileResult:
    received: inbox_mod.Received
    stored: Stored
    findings: list[Finding]
    kind: str  # the template's title as people read it (单位填报表...), or 非模板文件
    returned: Path | None = None
    other_round: bool = False  # identified as another round than the one this run reports (非本阶段)

    @property
    def name(self) -> str:
        return self.received.name

    @property
    def status(self) -> str:
        return self.stored.status

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.code.startswith("W_")]

    def record(self) -> dict:
        s = self.stored
        return {"name": self.name, "sha256": self.received.sha256, "size": self.received.size, "format": s.format,
                "kind": self.kind, "unit_code": s.unit_code, "round": s.round, "status": s.status,
                "other_round": self.other_round,
                "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [f.record() for f in self.findings]}


@dataclass
class RunResult:
    run_id: str
    round: str
    as_of: dt.date
    folder: Path
    files: list[FileResult]
    report: round_results.RoundReport | None = None
    ignored: list[inbox_mod.Received] = field(default_factory=list)  # lock files and system files
    changed: list[inbox_mod.Received] = field(default_factory=list)  # bytes changed while read: not taken in
    held: list[inbox_mod.Received] = field(default_factory=list)  # held open by another program: not read
    round_reason: str = ""  # how the round was chosen, for the clerk
    timings: dict = field(default_factory=dict)  # wall seconds per stage
    outputs: list[Path] = field(default_factory=list)  # what the writers wrote, in their order
    reused_from: str | None = None  # the earlier run whose outputs were copied (nothing new since), or None

    def with_status(self, status: str) -> list[FileResult]:
        return [f for f in self.files if f.status == status]

    @property
    def rejected(self) -> list[FileResult]:
        return self.with_status("rejected")

    @property
    def unread(self) -> list[FileResult]:
        """Rejected files that are not workbooks of this campaign (.txt, empty, encrypted...): 未受理."""
        return [f for f in self.rejected if not f.stored.kind]

    @property
    def complete(self) -> bool:
        """Every file taken in was accepted; ignored system files do not count."""
        return not self.rejected and not self.changed and not self.held


def examine(received: inbox_mod.Received, campaign: Campaign, as_of: dt.date | None = None) -> Submission:
    """Validate one file; a problem becomes a finding, never an exception: one file never stops the batch."""
    try:
        return validate.validate_file(received.path, received.name, campaign, as_of)
    except Exception as e:
        log.exception("unexpected failure on %s", received.name)
        return Submission(received.name, findings=[make("E_INTERNAL", received.name, detail=type(e).__name__)])


PARALLEL_MIN_FILES = 8  # below this, starting worker processes costs more than it saves
WORKER_SECONDS = 900  # far above any file within the limits; a worker that died never answers
_worker_campaign: Campaign | None = None
_worker_as_of: dt.date | None = None


def _init_worker(campaign: Campaign, as_of: dt.date | None) -> None:
    global _worker_campaign, _worker_as_of
    _worker_campaign, _worker_as_of = campaign, as_of
    gc.freeze()  # the modules and the campaign stay for the worker's life: the collector skips them


def _examine_in_worker(received: inbox_mod.Received) -> Submission:
    """Validate in a worker, and prepare the rows as the ledger stores them: the main process only
    inserts them. The raw cell values and the normalised frames stay here."""
    sub = examine(received, _worker_campaign, _worker_as_of)
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


def validated(todo: list[inbox_mod.Received], campaign: Campaign, as_of: dt.date | None = None):
    """Submissions of `todo`, in order. Validation is independent per file, so it runs in worker
    processes over the machine's cores, a bounded window ahead of the (sequential) ledger."""
    workers = min(os.cpu_count() or 1, 4)
    if workers < 2 or len(todo) < PARALLEL_MIN_FILES:
        yield from (examine(r, campaign, as_of) for r in todo)
        return
    # spawn: no inherited lock or ledger handles in the workers, and the same start on Windows and Linux.
    # multiprocessing.Pool rather than ProcessPoolExecutor: the latter deadlocks under Wine 8.
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(campaign, as_of)) as pool:
        ahead = iter(todo)
        pending = deque((r, pool.apply_async(_examine_in_worker, (r,))) for r in islice(ahead, 2 * workers))
        while pending:
            r, result = pending.popleft()
            try:
                sub = result.get(timeout=WORKER_SECONDS)
            except Exception:  # a worker that failed or hung: validate that file here instead
                log.exception("worker failed on %s", r.name)
                sub = examine(r, campaign, as_of)
            nxt = next(ahead, None)
            if nxt is not None:
                pending.append((nxt, pool.apply_async(_examine_in_worker, (nxt,))))
            yield sub


def take_in(ledger: Ledger, run_id: str, received: inbox_mod.Received, campaign: Campaign,
            sub: Submission | None = None) -> Stored:
    """The ledger's record of one inbox file: already known, a duplicate, or newly validated and stored
    (`sub`: its validation, when already done)."""
    known = ledger.find(received.sha256, received.name)
    if known:
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


def check_folders(inbox: Path, outbox: Path, archive: Path) -> None:
    """Refuse, before anything is written, an outbox or archive that lies inside the inbox (the run would
    take in its own outputs), that is a file, or that cannot be written."""
    for label, folder, option in (("结果文件夹", outbox, "--outbox"), ("存档文件夹", archive, "--archive")):
        here, box = Path(folder).resolve(), inbox.resolve()
        if here == box or box in here.parents:
            raise UsageError(f"{label} {folder} 在收件箱 {inbox} 之内，程序会把自己的输出当作报送文件。"
                             f"请把它放到收件箱之外（{option}）。")
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{label} {folder} 是一个文件，不是文件夹。请删除或改名该文件，或用 {option} 指定别的文件夹。")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".probe-{os.getpid()}"
            probe.write_bytes(b"0")
            probe.unlink()
        except OSError as e:
            raise UsageError(f"{label}" + fsio.environment_message(e if e.filename else OSError(e.errno, e.strerror, str(folder))))


def _new_run_id(taken: set[str], outbox: Path, now: dt.datetime) -> str:
    base = now.strftime("%Y%m%d-%H%M%S")
    run_id, n = base, 1
    while run_id in taken or any(outbox.glob(f"*/{run_id}")):
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def _clean_stale(outbox: Path) -> None:
    """Temporary run folders left by a run that was killed: never visible as output, removed here."""
    for tmp in outbox.glob("*/.tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def run(campaign: Campaign, inbox: Path, outbox: Path, archive: Path, *, round_code: str | None = None,
        as_of: dt.date | None = None, now: dt.datetime | None = None,
        wait_seconds: float = DEFAULT_WAIT_SECONDS, on_file=None, publish_on: dt.date | None = None,
        on_stage=None) -> RunResult:
    """Take in every inbox file, record it in the ledger, and write the run folder."""
    if not inbox.is_dir():
        raise UsageError(f"找不到收件箱文件夹：{inbox}")
    check_folders(inbox, outbox, archive)
    now = now or dt.datetime.now()
    as_of = as_of or now.date()
    if round_code:
        try:
            rounds.choose_round(campaign, round_code, as_of, [])  # refuse an unknown round before touching anything
        except rounds.UnknownRound as e:
            raise UsageError(str(e)) from None
    with locked(archive, wait_seconds):
        ledger = Ledger(archive, campaign)
        try:
            return _run_locked(campaign, ledger, inbox, outbox, round_code, as_of, now, on_file or (lambda *a: None),
                               publish_on, on_stage or (lambda name: None))
        finally:
            ledger.close()


def _run_locked(campaign, ledger, inbox, outbox, round_code, as_of, now, on_file, publish_on=None,
                on_stage=lambda name: None) -> RunResult:
    stages = Stages()
    outbox.mkdir(parents=True, exist_ok=True)
    _clean_stale(outbox)
    scanned = inbox_mod.scan(inbox)
    ignored = [r for r in scanned if r.ignored]
    held = [r for r in scanned if r.held]
    received = [r for r in scanned if not r.ignored and not r.held]
    if not received and not held and not ledger.all_submissions():
        raise EmptyInbox(inbox)
    copies.check(ledger, {r.sha256: r.path for r in received if r.sha256})  # archived copies all there
    run_id = _new_run_id(ledger.run_ids(), outbox, now)
    ledger.begin_run(run_id, as_of, len(scanned))
    for stale in ledger.archive.glob(".incoming-*"):  # snapshots left by a run that was killed (we hold the lock)
        shutil.rmtree(stale, ignore_errors=True)
    incoming = ledger.archive / f".incoming-{run_id}"
    subs = None
    try:
        unreadable = [r for r in received if not r.sha256]  # could not be read whole at the scan
        received = [r for r in received if r.sha256]
        snaps, changed = snapshots(to_validate(ledger, received), incoming)
        changed = unreadable + changed
        received = [r for r in received if r not in changed]
        todo = list(snaps.values())
        subs = validated(todo, campaign, as_of)  # a generator: validation runs a window ahead of the ledger
        stored, known_stats = [], {}
        for i, r in enumerate(received):
            on_file(i, len(received), r.name)
            snap = snaps.get(r.name)  # the snapshots come in the order of `received`, as `subs` does
            sub = next(subs) if snap is not None else None
            stored.append(take_in_safely(ledger, run_id, snap or r, campaign, sub))
            if sub is not None and sub.member_stats is not None and stored[-1].status == "accepted":
                known_stats[stored[-1].id] = sub.member_stats  # the round reuses them
        on_file(len(received), len(received), "")
    finally:
        if subs is not None:
            subs.close()  # ends the worker pool now: idle workers would hold their memory through the round
        inbox_mod.discard_snapshots(incoming)
    stages.done("intake: read, validate, store")
    on_stage("计算得分、等次和问题标记")
    stored = [ledger.get(s.id) for s in stored]  # statuses after every supersession of this run
    files = [FileResult(r, s, ledger.findings(s.id), kind_label(campaign, s.kind)) for r, s in zip(received, stored)]
    inbox_rounds = [s.round for s in stored if s.kind]
    code = rounds.choose_round(campaign, round_code, as_of, inbox_rounds)
    for f in files:  # stored for their own round; never counted as submitted for this one
        f.other_round = bool(f.stored.kind and f.stored.round and f.stored.round != code)
    parent = outbox / code
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".tmp-{run_id}"
    tmp.mkdir()
    when = dt.datetime.combine(as_of, dt.time(18, 0))
    writer = None
    try:
        previous = briefing_facts.previous_data(campaign, ledger, outbox, code)
        key = reuse.inputs_key(campaign, ledger, code, as_of, publish_on, previous, files)
        same = reuse.earlier(outbox, ledger, code, key)  # a rerun with nothing new: its outputs are copied
        large = len(ledger.accepted(code, "unit")) >= workbooks.BACKGROUND_MIN_UNITS
        writer = workbooks.Writer() if large and not same else None  # starts while the round is computed
        report = round_results.build(campaign, ledger, code, as_of, known_stats)
        report.publish_on = publish_on
        report.previous = previous
        known_stats.clear()  # now part of the report's member table: not held twice
        stages.done("round: scores, flags, checks")
        on_stage("写出汇总报告、公示、通报、退回修改稿和数据文件")
        outputs = reuse.copy(*same, tmp, files) if same else \
            writers.write_all(writers.RunOutputs(campaign, report, files, tmp, when, ledger), writer)
        stages.done("outputs: workbooks, CSV files, returned copies")
        stages.write_log(tmp / "run.log", f"fnc-review {__version__} run {run_id}: round {code}, as of {as_of}, "
                         f"{len(files)} files taken in, {len(ignored)} ignored, {len(changed)} changed, {len(held)} held"
                         + (f"; outputs copied from run {same[0].name}, whose inputs were the same" if same else ""))
        manifest.write(tmp, {"run_id": run_id, "as_of": as_of.isoformat(), "campaign_id": campaign.id, "round": code,
                             "inputs_key": key, "reused_from": same[0].name if same else None,
                             "written": [p.relative_to(tmp).as_posix() for p in outputs]},
                       files, report.findings, ignored, changed, held)
        for p in tmp.rglob("*"):  # every output on disk before the folder is renamed into view
            if p.is_file():
                fsio.fsync_file(p)
        fsio.rename(tmp, parent / run_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if writer is not None:
            writer.stop()  # nothing left running, whatever happened
    ledger.finish_run(run_id, code)
    stages.done("manifest, flush to disk, publish")
    stages.save()
    folder = parent / run_id
    for f in files:
        if f.returned:
            f.returned = folder / f.returned.relative_to(tmp)
    return RunResult(run_id, code, as_of, folder, files, report, ignored, changed, held,
                     rounds.why(campaign, round_code, as_of, inbox_rounds, code), stages.times,
                     [folder / p.relative_to(tmp) for p in outputs], same[0].name if same else None)

