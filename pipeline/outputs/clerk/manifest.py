"""manifest.json (SPEC §8): every inbox file with its status and findings, every output with its hash."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.intake.inbox import sha256_of
from pipeline.labels import CHANGED, HELD, IGNORED, STATUSES


def write(folder: Path, head: dict, files: list, round_findings: list, ignored: list = (), changed: list = (),
          held: list = ()) -> Path:
    """Write `folder`/manifest.json; `head` holds run id, as-of, campaign id and round. `ignored`: lock
    and system files; `changed`: files whose bytes changed while the run read them; `held`: files another
    program held open (neither taken in)."""
    outputs = sorted(p for p in folder.rglob("*") if p.is_file())
    manifest = {
        **head,
        "inbox_files": [{**f.record(), "returned": _returned(f, folder),
                         "returned_failed": getattr(f, "copy_failed", "")} for f in files],
        "ignored_files": [{"name": r.name, "size": r.size, "reason": IGNORED} for r in ignored],
        "changed_files": [{"name": r.name, "size": r.size, "reason": CHANGED} for r in changed],
        "held_files": [{"name": r.name, "reason": HELD} for r in held],
        "round_findings": [x.record() for x in round_findings],
        "outputs": [{"path": p.relative_to(folder).as_posix(), "sha256": sha256_of(p)} for p in outputs],
        "totals": {"files": len(files), **{s: sum(f.status == s for f in files) for s in STATUSES},
                   "errors": sum(len(f.errors) for f in files),
                   "warnings": sum(len(f.warnings) for f in files),
                   "round_warnings": len(round_findings), "ignored": len(ignored), "changed": len(changed),
                   "held": len(held)},
    }
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _returned(f, folder: Path) -> str | None:
    """Where the file's returned copy is in the run folder, if it has one."""
    path = getattr(f, "returned", None)
    return path.relative_to(folder).as_posix() if path else None
