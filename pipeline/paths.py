"""Where the program's folders are (SPEC §11). Run from its own folder (a clone, or the unzipped Windows
zip: run.py and campaign.toml beside the package), the defaults are in that folder; installed as a
package (`pip install`, the `fnc-review` command), they are in the working folder, which `fnc-review init`
fills from the starter files shipped inside the package."""

from __future__ import annotations

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


def copy_starter(source: Path, target: Path) -> None:
    """The starter files from `source` (the program folder, or the package's copy) into `target`: used to
    build the package (setup.py) and to set up a working folder (`fnc-review init`)."""
    import shutil
    for name in STARTER_FILES:
        src, dst = source / name, target / name
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def starter() -> Path:
    """Where the starter files are: the program folder, or the installed package's copy."""
    return PROGRAM if in_program_folder() else PACKAGE / "starter"
