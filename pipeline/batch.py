"""One run of the pipeline: inbox -> outbox/<round>/<run id>/, placed atomically."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


from . import inbox as inbox_mod, returned, validate
from .campaign import Campaign
from .findings import Finding, make
from .validate import Submission

RETURNED_DIR = "退回修改"
log = logging.getLogger(__name__)

KIND_LABELS = {"unit": "单位填报表", "street": "街道点评表", None: "非模板文件"}
STATUS_LABELS = {"accepted": "通过", "rejected": "退回修改", "duplicate": "重复报送", "superseded": "已被新版本替代"}
FINDING_COLUMNS = ["file", "sheet", "cell", "column", "value", "code", "severity", "title", "message"]


class UsageError(Exception):
    """The run was asked for something that cannot be done (unknown round, missing inbox...)."""


@dataclass
class FileResult:
    received: inbox_mod.Received
    submission: Submission
    status: str = ""  # accepted, rejected, duplicate, superseded
    returned: Path | None = None

    @property
    def name(self) -> str:
        return self.received.name

    @property
    def findings(self) -> list[Finding]:
        return self.submission.findings

    def record(self) -> dict:
        s = self.submission
        return {"name": self.name, "sha256": self.received.sha256, "size": self.received.size,
                "format": s.format, "kind": KIND_LABELS[s.kind], "unit_code": s.unit_code, "round": s.round,
                "status": self.status, "errors": len(s.errors),
                "warnings": sum(f.code.startswith("W_") for f in s.findings),
                "findings": [f.record() for f in s.findings]}


@dataclass
class RunResult:
    run_id: str
    round: str
    as_of: dt.date
    folder: Path
    files: list[FileResult]

    def with_status(self, status: str) -> list[FileResult]:
        return [f for f in self.files if f.status == status]

    @property
    def rejected(self) -> list[FileResult]:
        return self.with_status("rejected")


def examine(received: inbox_mod.Received, campaign: Campaign) -> Submission:
    """Validate one file; a problem becomes a finding, never an exception: one file never stops the batch."""
    try:
        return validate.validate_file(received.path, received.name, campaign)
    except Exception as e:
        log.exception("unexpected failure on %s", received.name)
        return Submission(received.name, findings=[make("E_INTERNAL", received.name, detail=type(e).__name__)])


def assign_statuses(files: list[FileResult]) -> None:
    """Same bytes again = duplicate of the first (in name order); the latest accepted submission of a
    unit and round (by 填报日期, then name) supersedes the earlier ones; any error = rejected."""
    first_by_hash: dict[str, FileResult] = {}
    for f in files:
        original = first_by_hash.setdefault(f.received.sha256, f)
        if original is not f:
            f.status = "duplicate"
            f.submission = Submission(f.name, original.submission.format, original.submission.kind,
                                      original.submission.unit_code, original.submission.round,
                                      findings=[make("W_DUPLICATE_FILE", f.name, detail=original.name)])
            continue
        f.status = "accepted" if f.submission.accepted else "rejected"
    groups: dict[tuple, list[FileResult]] = defaultdict(list)
    for f in files:
        if f.status == "accepted":
            groups[(f.submission.kind, f.submission.unit_code, f.submission.round)].append(f)
    for group in groups.values():
        group.sort(key=lambda f: (f.submission.info.get("filled_on") or dt.date.min, f.name))
        for older in group[:-1]:
            older.status = "superseded"


def choose_round(campaign: Campaign, requested: str | None, as_of: dt.date, files: list[Submission]) -> str:
    codes = [r.code for r in campaign.rounds]
    if requested:
        if requested not in codes:
            raise UsageError(f"评议阶段“{requested}”不在活动配置中（可选：{'、'.join(codes)}）")
        return requested
    rnd = campaign.round_for(as_of)
    if rnd:
        return rnd.code
    seen = [f.round for f in files if f.round in codes]
    return max(seen, key=codes.index) if seen else codes[-1]


def _new_run_id(parent: Path, now: dt.datetime) -> str:
    base = now.strftime("%Y%m%d-%H%M%S")
    run_id, n = base, 1
    while (parent / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def _unit_label(campaign: Campaign, sub: Submission) -> str:
    if sub.kind == "street":
        return campaign.workbooks["street"].title
    known = {u.code: u.name for u in campaign.units}
    return f"{sub.unit_code} {known[sub.unit_code]}" if sub.unit_code in known else "未识别单位"


def _returned_name(campaign: Campaign, f: FileResult, taken: set[str]) -> str:
    sub = f.submission
    known = {u.code: u.name for u in campaign.units}
    if sub.kind == "street":
        base = campaign.workbooks["street"].title
    elif sub.unit_code in known:
        base = f"{sub.unit_code}_{known[sub.unit_code]}"
    else:
        base = f"未识别单位_{Path(f.name).stem}"
    name, n = f"{base}.xlsx", 1
    while name in taken:
        n += 1
        name = f"{base}_{n}.xlsx"
    taken.add(name)
    return name


def _write_returned(campaign: Campaign, files: list[FileResult], folder: Path, when: dt.datetime) -> None:
    """An annotated copy for each identified submission with errors or warnings."""
    taken: set[str] = set()
    for f in files:
        sub = f.submission
        if f.status not in ("accepted", "rejected") or sub.kind is None:
            continue
        if not any(x.code[0] in "EW" for x in sub.findings):
            continue
        out = folder / RETURNED_DIR / _returned_name(campaign, f, taken)
        f.returned = returned.write(f.received.path, sub.format, f.name, sub.findings, _unit_label(campaign, sub),
                                    out, when, campaign.organiser)


def _write_findings_csv(files: list[FileResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FINDING_COLUMNS, extrasaction="ignore")
        w.writeheader()
        for f in files:
            for finding in f.findings:
                w.writerow(finding.record())


def run(campaign: Campaign, inbox: Path, outbox: Path, *, round_code: str | None = None,
        as_of: dt.date | None = None, now: dt.datetime | None = None) -> RunResult:
    """Examine every inbox file and write the run folder. Returns what was found."""
    if not inbox.is_dir():
        raise UsageError(f"找不到收件箱文件夹：{inbox}")
    now = now or dt.datetime.now()
    as_of = as_of or now.date()
    files = [FileResult(r, examine(r, campaign)) for r in inbox_mod.scan(inbox)]
    assign_statuses(files)
    code = choose_round(campaign, round_code, as_of, [f.submission for f in files])
    parent = outbox / code
    parent.mkdir(parents=True, exist_ok=True)
    run_id = _new_run_id(parent, now)
    tmp = parent / f".tmp-{run_id}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    when = dt.datetime.combine(as_of, dt.time(18, 0))
    try:
        _write_returned(campaign, files, tmp, when)
        _write_findings_csv(files, tmp / "data" / "findings.csv")
        outputs = sorted(p for p in tmp.rglob("*") if p.is_file())
        manifest = {
            "run_id": run_id, "as_of": as_of.isoformat(), "campaign_id": campaign.id, "round": code,
            "inbox_files": [f.record() for f in files],
            "outputs": [{"path": p.relative_to(tmp).as_posix(), "sha256": inbox_mod.sha256_of(p)} for p in outputs],
            "totals": {"files": len(files), **{s: sum(f.status == s for f in files) for s in STATUS_LABELS},
                       "errors": sum(len(f.submission.errors) for f in files),
                       "warnings": sum(sum(x.code.startswith("W_") for x in f.findings) for f in files)},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.rename(tmp, parent / run_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    folder = parent / run_id
    for f in files:
        if f.returned:
            f.returned = folder / f.returned.relative_to(tmp)
    return RunResult(run_id, code, as_of, folder, files)
