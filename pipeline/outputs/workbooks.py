"""汇总报告 and 明细表, written in a second process for a large round while the main process writes 公示名单, the
CSV files and the returned copies: the two cores both busy. The process is started before the round
is computed, which keeps one core busy, so that its start (a new Python and its imports) costs no
time; it then waits for the report. A small round (or a machine with one core) writes the workbooks
in place; a second process that fails (it cannot start, or dies) is replaced by writing them here."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from contextlib import contextmanager
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.outputs.leaders import pack, publication

BACKGROUND_MIN_UNITS = 20  # accepted unit files; below this a second process costs more than it saves
log = logging.getLogger(__name__)


def write(campaign: Campaign, report, files: list, folder: Path) -> None:
    pack.write_report(campaign, report, files, folder / pack.report_name(campaign))
    pack.write_detail(campaign, report, files, folder / pack.detail_name(campaign))


def _serve(conn) -> None:
    """The second process: wait for one job (None: nothing to do) and write it."""
    try:
        job = conn.recv()
    except EOFError:
        return
    if job is not None:
        # The report's objects live until the process ends: the collector need not walk them again
        # while the workbook is built (about 15% of the writing time).
        gc.freeze()
        write(*job)


class Writer:
    """The second process, started early and given the report later (or nothing)."""

    def __init__(self):
        self.proc = self.conn = None
        if (os.cpu_count() or 1) < 2:
            return
        ctx = multiprocessing.get_context("spawn")  # as for validation: the same start on Windows and Linux
        try:
            self.conn, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child,), name="workbooks", daemon=True)
            proc.start()
            child.close()
            self.proc = proc
        except OSError:
            log.exception("could not start the workbook process; the workbooks will be written here")

    def submit(self, job: tuple) -> bool:
        if self.proc is None:
            return False
        try:
            self.conn.send(job)
            return True
        except (OSError, EOFError):
            log.exception("the workbook process did not take the report; the workbooks will be written here")
            return False

    def finish(self) -> int | None:
        """Wait for the workbook; its process's exit code."""
        self.proc.join()
        return self.proc.exitcode

    def stop(self) -> None:
        """End the process if it is still there (not used, or the run failed)."""
        if self.proc is None or not self.proc.is_alive():
            return
        try:
            self.conn.send(None)
        except (OSError, EOFError):
            pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()


def _leftovers(folder: Path) -> None:
    for p in folder.glob(".tmp-*"):  # a workbook half written by a process that died
        p.unlink(missing_ok=True)


@contextmanager
def written(campaign: Campaign, report, files: list, folder: Path, writer: Writer | None = None):
    """The workbooks are in `folder` when the with-block ends; the block runs while 汇总报告 is written
    by `writer`, if given one. `report` should not carry the per-criterion member table
    (RoundReport.for_workbooks)."""
    elsewhere = writer is not None and writer.submit((campaign, report, files, folder))
    try:
        publication.write(campaign, report, folder / publication.publication_name(campaign))
        if not elsewhere:
            write(campaign, report, files, folder)
        yield
    except BaseException:
        if elsewhere:
            writer.proc.terminate()
            writer.proc.join()
        raise
    if not elsewhere:
        return
    code = writer.finish()
    if code != 0:
        log.error("the workbook process ended with %s; writing the workbooks here", code)
        _leftovers(folder)
        write(campaign, report, files, folder)
