"""A rerun with nothing new (SPEC §10): when every input the outputs are made from is what the round's last
run had (the program, the campaign file, the round, the as-of and publication dates, the ledger's
submissions as this run decides them (every round's: the previous round's results come from them), the
rounds reopened and this inbox's files), that run's outputs are copied into the
new run folder instead of being written again; the round is still computed for the closing summary. A
copy whose bytes no longer match that run's manifest (opened and saved in Excel, deleted) is never
reused: then everything is written anew."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from pathlib import Path

import pipeline
from pipeline import __version__
from pipeline.intake.inbox import sha256_of

log = logging.getLogger(__name__)
NOT_COPIED = {"manifest.json", "run.log"}  # written for every run


def _program() -> str:
    """The program's own source, so that a changed program never reuses what an older one wrote."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(Path(pipeline.__file__).parent.rglob("*.py")):
        digest.update(path.relative_to(Path(pipeline.__file__).parent).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _plain(value):
    """`value` as JSON-able data that is the same in every process (sets sorted, dataclasses as dicts)."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return [[_plain(k), _plain(v)] for k, v in value.items()]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def inputs_key(campaign, ledger, code: str, as_of, publish_on, files) -> str:
    """A digest of everything the round's outputs are made from."""
    return fingerprint({
        "program": _program(),
        "campaign": campaign,
        "round": code, "as_of": as_of, "publish_on": publish_on,
        "reopened": ledger.context.reopen,
        "ledger": [(s.id, s.sha256, s.status, s.kind, s.unit_code, s.round, s.duplicate_of)
                   for s in ledger.all_submissions()],
        "inbox": [(f.name, f.stored.id, f.other_round) for f in files],
    })


def fingerprint(value) -> str:
    """A digest of `value` that is the same in every process."""
    return hashlib.sha256(json.dumps(_plain(value), ensure_ascii=False).encode("utf-8")).hexdigest()


def earlier(outbox: Path, ledger, code: str, key: str) -> tuple[Path, dict] | None:
    """The round's last run folder and its manifest, when that run had the inputs `key` and its outputs are
    all there as it wrote them; else None."""
    last = ledger.last_run(code)
    if last is None:
        return None
    folder = outbox / code / last[0]
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("inputs_key") != key or "written" not in manifest:
            return None
        for out in manifest["outputs"]:
            if out["path"] not in NOT_COPIED and sha256_of(folder / out["path"]) != out["sha256"]:
                log.info("not reusing %s: %s changed since", folder.name, out["path"])
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return folder, manifest


def copy(folder: Path, manifest: dict, into: Path, files) -> list[Path]:
    """Copy the earlier run's outputs into `into`; set each file's returned copy; return what the writers
    had returned, in their order."""
    for out in manifest["outputs"]:
        if out["path"] not in NOT_COPIED:
            target = into / out["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / out["path"], target)
    returned = {(r["name"], r["sha256"]): r for r in manifest["inbox_files"]}
    for f in files:
        record = returned.get((f.name, f.received.sha256), {})
        f.returned = into / record["returned"] if record.get("returned") else None
        f.copy_failed = record.get("returned_failed", "")
    return [into / p for p in manifest["written"]]
