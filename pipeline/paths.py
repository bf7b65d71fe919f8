"""Where the program's folders are (SPEC §11). Run from its own folder (a clone, or the unzipped Windows
zip: run.py and campaign.toml beside the package), the defaults are in that folder; installed as a
package (`pip install`, the `fnc-review` command), they are in the working folder, which `fnc-review init`
fills from the starter files shipped inside the package."""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
PROGRAM = PACKAGE.parent
# Copied into the package when it is built (setup.py), from their one home at the top of the repository.
STARTER_FILES = ("campaign.toml", "templates_xlsx", "示例/inbox", "示例/基准日期.txt")


def in_program_folder() -> bool:
    return (PROGRAM / "run.py").is_file() and (PROGRAM / "campaign.toml").is_file()


def home() -> Path:
    """The folder the defaults (campaign.toml, inbox, outbox, archive, templates_xlsx, 示例) are in."""
    return PROGRAM if in_program_folder() else Path.cwd()


def copy_starter(source: Path, target: Path, overwrite: bool = True) -> list[Path]:
    """The starter files from `source` (the program folder, or the package's copy) into `target`: used to
    build the package (setup.py) and to set up a working folder (`fnc-review init`, with `overwrite` False:
    a file already there is kept). Returns the files kept."""
    import shutil
    kept = []
    for name in STARTER_FILES:
        src = source / name
        for f in [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file()):
            dst = target / f.relative_to(source)
            if dst.exists() and not overwrite:
                kept.append(dst)
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dst)
    return kept


def starter() -> Path:
    """Where the starter files are: the program folder, or the installed package's copy."""
    return PROGRAM if in_program_folder() else PACKAGE / "starter"


def prog() -> str:
    """The command's name as it was started: fnc-review, run.py, or python -m pipeline (for --help and hints)."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if name in ("__main__.py", "-c", ""):
        return "python -m pipeline"
    return name[:-4] if name.lower().endswith(".exe") else name
