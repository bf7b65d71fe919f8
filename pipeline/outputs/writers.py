"""Every output of a run, as writers in one list (SPEC §8): each takes the run's outputs (the report,
the files, the folder being written) and returns the paths it wrote. batch calls them in this order
while 汇总报告, 明细表 and 公示名单 are written beside (workbooks.py), and the closing summary lists
what they all returned. A new output is a new function here and a line in WRITERS."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.outputs.leaders import briefing, pack, notices, publication
from pipeline.outputs.clerk import csvfiles, replies
from pipeline.outputs.units import returned
from pipeline.outputs import workbooks


@dataclass
class RunOutputs:
    campaign: Campaign
    report: object  # the round's RoundReport
    files: list  # the run's FileResults
    folder: Path  # the run folder, still hidden; renamed into view once every writer is done
    when: dt.datetime  # the time written into the documents' properties
    ledger: object


def data_files(o: RunOutputs) -> list[Path]:
    """data/*.csv; then the per-member, per-criterion table is let go (nothing after this needs it)."""
    csvfiles.write_round(o.campaign, o.report, o.folder / "data")
    o.report.release_member_stats()
    every = [x.record() for f in o.files for x in f.findings] + [x.record() for x in o.report.findings]
    csvfiles.write_csv(every, csvfiles.FINDING_COLUMNS, o.folder / "data" / "findings.csv")
    return [o.folder / "data"]


def returned_copies(o: RunOutputs) -> list[Path]:
    """退回修改/ and 提示/: each file's annotated copy (its FileResult keeps the path, for the reply list)."""
    returned.write_all(o.campaign, o.ledger, o.files, o.folder, o.when)
    return [f.returned for f in o.files if f.returned]


def reply_list(o: RunOutputs) -> list[Path]:
    path = replies.write(o.campaign, o.report.round, o.report.as_of, o.files, o.folder, o.when)
    return [path, path.with_suffix(".xlsx")] if path else []


def briefing_document(o: RunOutputs) -> list[Path]:
    return [briefing.write(o.campaign, o.report, o.folder / f"{o.campaign.outputs['briefing']}.docx", o.when)]


def notice_documents(o: RunOutputs) -> list[Path]:
    return notices.write(o.campaign, o.report, o.folder, o.when)


# In order: the copies before the reply list that names them.
WRITERS = [data_files, returned_copies, reply_list, briefing_document, notice_documents]


def write_all(run: RunOutputs, writer=None) -> list[Path]:
    """Every output of the run: the workbooks in their own process (`writer`, started earlier, or one
    started here) while WRITERS run here; returns what they all wrote."""
    outputs = workbook_paths(run.campaign, run.folder)
    with workbooks.written(run.campaign, run.report.for_workbooks(), run.files, run.folder, writer):
        for write in WRITERS:
            outputs += write(run)
    return outputs


def workbook_paths(campaign: Campaign, folder: Path) -> list[Path]:
    """What workbooks.py writes beside the writers: 汇总报告, 明细表, 公示名单."""
    return [folder / pack.report_name(campaign), folder / pack.detail_name(campaign),
            folder / publication.publication_name(campaign)]
