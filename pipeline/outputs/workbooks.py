"""汇总报告, written in a second process for a large round while the main process writes 公示名单, the
CSV files and the returned copies: the two cores both busy. A small round (or a machine with one
core) writes them in place, where starting a process would cost more than it saves; a second process
that fails (it cannot start, or dies) is replaced by writing the workbooks here."""

from __future__ import annotations

import logging
import multiprocessing
import os
from contextlib import contextmanager
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.outputs import leadership, publication

BACKGROUND_MIN_MEMBERS = 3000  # below this a second process costs more (about a second to start) than it saves
log = logging.getLogger(__name__)


def write(campaign: Campaign, report, files: list, folder: Path) -> None:
    leadership.write_report(campaign, report, files, folder / leadership.report_name(campaign))


def _leftovers(folder: Path) -> None:
    for p in folder.glob(".tmp-*"):  # a workbook half written by a process that died
        p.unlink(missing_ok=True)


@contextmanager
def written(campaign: Campaign, report, files: list, folder: Path):
    """The workbooks are in `folder` when the with-block ends; the block runs while 汇总报告 is written.
    `report` should not carry the per-criterion member table (RoundReport.for_workbooks)."""
    proc = None
    if len(report.scores.member_results) >= BACKGROUND_MIN_MEMBERS and (os.cpu_count() or 1) > 1:
        # spawn, as for validation: the same start on Windows and Linux, no inherited handles.
        proc = multiprocessing.get_context("spawn").Process(target=write, args=(campaign, report, files, folder),
                                                            name="workbooks", daemon=True)
        try:
            proc.start()
        except OSError:
            log.exception("could not start the workbook process; writing the workbooks here")
            proc = None
    if proc is None:
        publication.write(campaign, report, folder / publication.publication_name(campaign))
        write(campaign, report, files, folder)
        yield
        return
    try:
        publication.write(campaign, report, folder / publication.publication_name(campaign))
        yield
    except BaseException:
        proc.terminate()
        proc.join()
        raise
    proc.join()
    if proc.exitcode != 0:
        log.error("the workbook process ended with %s; writing the workbooks here", proc.exitcode)
        _leftovers(folder)
        write(campaign, report, files, folder)
