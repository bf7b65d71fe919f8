"""One run of the pipeline: inbox -> outbox/<round>/<run id>/, placed atomically."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from . import identify, inbox as inbox_mod, sniff
from .campaign import Campaign
from .findings import Finding, make

KIND_LABELS = {"unit": "单位填报表", "street": "街道点评表", None: "非模板文件"}


class UsageError(Exception):
    """The run was asked for something that cannot be done (unknown round, missing inbox...)."""


@dataclass
class FileResult:
    name: str
    sha256: str
    size: int
    format: str | None = None
    kind: str | None = None
    unit_code: str = ""
    round: str = ""
    findings: list[Finding] = field(default_factory=list)

    def record(self) -> dict:
        errors = sum(f.is_error for f in self.findings)
        warnings = sum(f.code.startswith("W_") for f in self.findings)
        return {"name": self.name, "sha256": self.sha256, "size": self.size, "format": self.format,
                "kind": KIND_LABELS[self.kind], "unit_code": self.unit_code, "round": self.round,
                "errors": errors, "warnings": warnings, "findings": [f.record() for f in self.findings]}


@dataclass
class RunResult:
    run_id: str
    round: str
    as_of: dt.date
    folder: Path
    files: list[FileResult]

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if any(x.is_error for x in f.findings)]


def examine(received: inbox_mod.Received, campaign: Campaign) -> FileResult:
    """Sniff and identify one file; a problem becomes a finding, never an exception."""
    res = FileResult(received.name, received.sha256, received.size)
    s = sniff.sniff(received.path, campaign.limits)
    if s.code:
        res.findings.append(make(s.code, received.name, detail=s.detail))
        return res
    res.format = s.format
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(received.path))
        ident = identify.identify(book, campaign)
    except python_calamine.PasswordError:
        res.findings.append(make("E_ENCRYPTED", received.name))
        return res
    except Exception as e:  # calamine raises several types for broken files
        res.findings.append(make("E_CORRUPT", received.name, detail=type(e).__name__))
        return res
    res.kind = ident.kind
    if ident.kind is None:
        res.findings.append(make("E_NOT_TEMPLATE", received.name, detail=ident.reason))
        return res
    unit = ident.info.get("unit_code", ("", ""))[0]
    res.unit_code = "" if unit is None else str(unit).strip()
    res.round = ident.meta.get("round", "")
    info_round = ident.info.get("round", ("", ""))[0]
    if info_round:
        res.round = str(info_round).strip()
    return res


def choose_round(campaign: Campaign, requested: str | None, as_of: dt.date, files: list[FileResult]) -> str:
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


def run(campaign: Campaign, inbox: Path, outbox: Path, *, round_code: str | None = None,
        as_of: dt.date | None = None, now: dt.datetime | None = None) -> RunResult:
    """Examine every inbox file and write the run folder. Returns what was found."""
    if not inbox.is_dir():
        raise UsageError(f"找不到收件箱文件夹：{inbox}")
    now = now or dt.datetime.now()
    as_of = as_of or now.date()
    files = [examine(r, campaign) for r in inbox_mod.scan(inbox)]
    code = choose_round(campaign, round_code, as_of, files)
    parent = outbox / code
    parent.mkdir(parents=True, exist_ok=True)
    run_id = _new_run_id(parent, now)
    tmp = parent / f".tmp-{run_id}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        manifest = {
            "run_id": run_id, "as_of": as_of.isoformat(), "campaign_id": campaign.id, "round": code,
            "inbox_files": [f.record() for f in files],
            "totals": {"files": len(files), "rejected": sum(any(x.is_error for x in f.findings) for f in files)},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.rename(tmp, parent / run_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return RunResult(run_id, code, as_of, parent / run_id, files)
