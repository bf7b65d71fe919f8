"""One run of the pipeline: inbox -> archive (ledger) -> outbox/<round>/<run id>/, placed atomically."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__, fsio
from pipeline.run import receipts, rounds
from pipeline.campaign import Campaign
from pipeline.findings import Finding
from pipeline.intake import inbox as inbox_mod
from pipeline.labels import kind_label
from pipeline.ledger import Ledger, Stored, copies, locked
from pipeline.ledger.verdicts import RunContext
from pipeline.outputs.clerk import manifest
from pipeline.outputs import reuse, workbooks, writers
from pipeline.rules import round_results
from pipeline.timing import Stages

DEFAULT_WAIT_SECONDS = fsio.WAIT_SECONDS
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
    stored: Stored  # with this run's verdict as its status
    findings: list[Finding]  # of its bytes, and those this run decided
    kind: str  # the template's title as people read it (单位填报表...), or 非模板文件
    returned: Path | None = None
    copy_failed: str = ""  # why its returned copy could not be written, when it could not
    other_round: bool = False  # identified as another round than the one this run reports (非本阶段)
    new: bool = True  # received by this run (not already in the ledger from an earlier run)

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

    @property
    def quiet(self) -> bool:
        """A file of another round already in the ledger: counted, not listed again or answered again."""
        return self.other_round and not self.new

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
    choice: rounds.Choice | None = None  # the round reported, why, and what else the inbox holds
    timings: dict = field(default_factory=dict)  # wall seconds per stage
    outputs: list[Path] = field(default_factory=list)  # what the writers wrote, in their order
    reused_from: str | None = None  # the earlier run whose outputs were copied (nothing new since), or None
    reopened: frozenset[str] = frozenset()  # closed rounds the clerk reopened for this run

    def with_status(self, status: str) -> list[FileResult]:
        return [f for f in self.files if f.status == status]

    @property
    def rejected(self) -> list[FileResult]:
        return self.with_status("rejected")

    @property
    def late(self) -> list[FileResult]:
        """Files of a closed round received after it closed: not counted (SPEC §4)."""
        return self.with_status("late")

    @property
    def unread(self) -> list[FileResult]:
        """Rejected files that are not workbooks of this campaign (.txt, empty, encrypted...): 未受理."""
        return [f for f in self.rejected if not f.stored.kind]

    @property
    def round_reason(self) -> str:
        return self.choice.reason if self.choice else ""

    @property
    def complete(self) -> bool:
        """Every file taken in was accepted; ignored system files do not count."""
        return not self.rejected and not self.late and not self.changed and not self.held


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


@dataclass
class Options:
    """What the clerk asked of a run."""
    round_code: str | None = None
    as_of: dt.date | None = None
    publish_on: dt.date | None = None
    reopen: frozenset[str] = frozenset()  # closed rounds whose late files count (`--reopen`)
    ask_reopen: object = None  # (round code -> late file names) -> rounds to reopen: asks the clerk (汇总.bat)
    on_file: object = None  # (done, total, name): progress while the files are taken in
    on_stage: object = None  # (what): a long stage begins
    on_round: object = None  # (choice): the round is chosen; the first lines can say it


def run(campaign: Campaign, inbox: Path, outbox: Path, archive: Path, *, round_code: str | None = None,
        as_of: dt.date | None = None, now: dt.datetime | None = None,
        wait_seconds: float = DEFAULT_WAIT_SECONDS, on_file=None, publish_on: dt.date | None = None,
        on_stage=None, reopen=(), ask_reopen=None, on_round=None) -> RunResult:
    """Take in every inbox file, record it in the ledger, and write the run folder."""
    if not inbox.is_dir():
        raise UsageError(f"找不到收件箱文件夹：{inbox}")
    check_folders(inbox, outbox, archive)
    now = now or dt.datetime.now()
    try:  # refuse an unknown round before touching anything
        for code in (round_code, *reopen):
            rounds.check_known(campaign, code)
    except rounds.UnknownRound as e:
        raise UsageError(str(e)) from None
    opts = Options(round_code, as_of or now.date(), publish_on, frozenset(reopen), ask_reopen,
                   on_file or (lambda *a: None), on_stage or (lambda name: None), on_round or (lambda choice: None))
    with locked(archive, wait_seconds):
        ledger = Ledger(archive, campaign)
        try:
            return _run_locked(campaign, ledger, inbox, outbox, opts, now)
        finally:
            ledger.close()


def _run_locked(campaign: Campaign, ledger: Ledger, inbox: Path, outbox: Path, opts: Options,
                now: dt.datetime) -> RunResult:
    """The run's steps: take in the inbox, decide the round and every verdict, write and publish the outputs."""
    stages = Stages()
    taken = _take_in(campaign, ledger, inbox, outbox, opts, now)
    stages.done("intake: read, validate, store")
    choice, files = _decide(campaign, ledger, taken, opts)
    opts.on_stage("计算得分、等次和问题标记")
    folder, report, outputs, same = _outputs(campaign, ledger, outbox, taken, choice, files, opts, stages)
    ledger.finish_run(taken.run_id, choice.code, ledger.context.reopen)
    stages.done("manifest, flush to disk, publish")
    stages.save()
    return RunResult(taken.run_id, choice.code, opts.as_of, folder, files, report, taken.ignored, taken.changed,
                     taken.held, choice, stages.times, [folder / p for p in outputs], same[0].name if same else None,
                     ledger.context.reopen)


@dataclass
class Taken:
    """What the intake step leaves: the run's id and row, and the inbox's files by what became of them."""
    run_id: str
    run_row: int
    received: list[inbox_mod.Received]  # taken in (stored), in inbox order
    stored: list[Stored]
    ignored: list[inbox_mod.Received]
    changed: list[inbox_mod.Received]
    held: list[inbox_mod.Received]
    known_stats: dict  # submission id -> member stats validation computed in this run (the round reuses them)


def _take_in(campaign: Campaign, ledger: Ledger, inbox: Path, outbox: Path, opts: Options, now) -> Taken:
    """Scan the inbox, and store each new file (validated a window ahead in worker processes)."""
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
    run_row = ledger.begin_run(run_id, opts.as_of, len(scanned))
    receipts.restore_legacy(ledger, campaign)
    for stale in ledger.archive.glob(".incoming-*"):  # snapshots left by a run that was killed (we hold the lock)
        shutil.rmtree(stale, ignore_errors=True)
    incoming = ledger.archive / f".incoming-{run_id}"
    unreadable = [r for r in received if not r.sha256]  # could not be read whole at the scan
    received = [r for r in received if r.sha256]
    try:
        snaps, changed = receipts.snapshots(receipts.to_validate(ledger, received), incoming)
        changed = unreadable + changed
        received = [r for r in received if r not in changed]
        stored, known_stats = _store_all(campaign, ledger, run_id, received, snaps, opts.on_file)
    finally:
        inbox_mod.discard_snapshots(incoming)
    return Taken(run_id, run_row, received, stored, ignored, changed, held, known_stats)


def _store_all(campaign: Campaign, ledger: Ledger, run_id: str, received: list, snaps: dict, on_file):
    """Each received file's ledger record, in order; validation runs a window ahead of the ledger."""
    subs = receipts.validated(list(snaps.values()), campaign)
    stored, known_stats = [], {}
    try:
        for i, r in enumerate(received):
            on_file(i, len(received), r.name)
            snap = snaps.get(r.name)  # the snapshots come in the order of `received`, as `subs` does
            sub = next(subs) if snap is not None else None
            stored.append(receipts.take_in_safely(ledger, run_id, snap or r, campaign, sub))
            if sub is not None and sub.member_stats is not None and stored[-1].status == "accepted":
                known_stats[stored[-1].id] = sub.member_stats
        on_file(len(received), len(received), "")
    finally:
        subs.close()  # ends the worker pool now: idle workers would hold their memory through the round
    return stored, known_stats


def _decide(campaign: Campaign, ledger: Ledger, taken: Taken, opts: Options):
    """The round this run reports, every receipt's verdict as of this run, and the inbox's files with them.
    A round asked for that has no workbook stops the run here (nothing is written)."""
    inbox = [rounds.InboxWorkbook(s.round, s.run_id == taken.run_id) for s in taken.stored if s.kind and s.round]
    ledger_rounds = {s.round for s in ledger.all_submissions() if s.kind}
    try:
        choice = rounds.choose(campaign, opts.round_code, opts.as_of, inbox, ledger_rounds)
    except rounds.NoWorkbooks as e:
        ledger.finish_run(taken.run_id, "")
        raise UsageError(str(e)) from None
    ledger.decide(RunContext(opts.as_of, taken.run_row, choice.code, opts.reopen))
    opts.on_round(choice)
    late = [ledger.get(s.id) for s in taken.stored]
    late = {code: [s.original_name for s in late if s.status == "late" and s.round == code] for code in
            {s.round for s in late if s.status == "late"}}
    if late and opts.ask_reopen:
        more = frozenset(opts.ask_reopen(late))
        if more:
            ledger.decide(RunContext(opts.as_of, taken.run_row, choice.code, opts.reopen | more))
    files = []
    for r, s in zip(taken.received, taken.stored):
        s = ledger.get(s.id)
        files.append(FileResult(r, s, ledger.findings(s.id), kind_label(campaign, s.kind),
                                other_round=bool(s.kind and s.round and s.round != choice.code),
                                new=s.run_id == taken.run_id))
    return choice, files


def _outputs(campaign, ledger, outbox, taken: Taken, choice, files, opts: Options, stages: Stages):
    """The round's report and every output, written in a hidden folder and renamed into view when whole."""
    parent = outbox / choice.code
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".tmp-{taken.run_id}"
    tmp.mkdir()
    writer = None
    try:
        key = reuse.inputs_key(campaign, ledger, choice.code, opts.as_of, opts.publish_on, files)
        same = reuse.earlier(outbox, ledger, choice.code, key)  # a rerun with nothing new: its outputs are copied
        large = len(ledger.accepted(choice.code, "unit")) >= workbooks.BACKGROUND_MIN_UNITS
        writer = workbooks.Writer() if large and not same else None  # starts while the round is computed
        report = round_results.build(campaign, ledger, choice.code, opts.as_of, taken.known_stats)
        report.publish_on = opts.publish_on
        report.previous = None if same else round_results.previous(campaign, ledger, choice.code)
        taken.known_stats.clear()  # now part of the report's member table: not held twice
        stages.done("round: scores, flags, checks")
        opts.on_stage("写出汇总报告、公示、通报、退回修改稿和数据文件")
        when = dt.datetime.combine(opts.as_of, dt.time(18, 0))
        outputs = reuse.copy(*same, tmp, files) if same else \
            writers.write_all(writers.RunOutputs(campaign, report, files, tmp, when, ledger), writer)
        stages.done("outputs: workbooks, CSV files, returned copies")
        _publish(campaign, tmp, parent / taken.run_id, taken, choice, files, report, outputs, same, key, opts, stages)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if writer is not None:
            writer.stop()  # nothing left running, whatever happened
    for f in files:
        if f.returned:
            f.returned = parent / taken.run_id / f.returned.relative_to(tmp)
    return parent / taken.run_id, report, [p.relative_to(tmp) for p in outputs], same


def _publish(campaign: Campaign, tmp: Path, folder: Path, taken: Taken, choice, files, report, outputs, same, key, opts: Options,
             stages: Stages) -> None:
    """The run's log and manifest, every output flushed to disk, then the folder renamed into view."""
    stages.write_log(tmp / "run.log", f"fnc-review {__version__} run {taken.run_id}: round {choice.code}, as of "
                     f"{opts.as_of}, {len(files)} files taken in, {len(taken.ignored)} ignored, "
                     f"{len(taken.changed)} changed, {len(taken.held)} held"
                     + (f"; outputs copied from run {same[0].name}, whose inputs were the same" if same else ""))
    manifest.write(tmp, {"run_id": taken.run_id, "as_of": opts.as_of.isoformat(), "campaign_id": campaign.id,
                         "round": choice.code,
                         "inputs_key": key, "reused_from": same[0].name if same else None,
                         "written": [p.relative_to(tmp).as_posix() for p in outputs]},
                   files, report.findings, taken.ignored, taken.changed, taken.held)
    for p in tmp.rglob("*"):  # every output on disk before the folder is renamed into view
        if p.is_file():
            fsio.fsync_file(p)
    fsio.rename(tmp, folder)
