"""Shared fixtures: the shipped campaign, and demo inboxes generated into tmp_path by the project's own generator."""

import datetime as dt
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings

from pipeline import campaign as campaign_mod
from pipeline import demo

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the repository; looked for upwards, so that a copy of the tests one folder deeper (mutmut's
# mutants/) finds it too.
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()), ROOT.parent / "shared")

# Every process a test starts inherits this mark: at the end of the session none of them (soffice, wine) may
# still run. A second test run beside this one has another mark, so its processes are not counted here.
SESSION_MARK = f"FNC_TEST_SESSION={os.getpid()}-{time.time_ns()}"
os.environ["FNC_TEST_SESSION"] = SESSION_MARK.split("=", 1)[1]
EXTERNAL = ("soffice", "oosplash", "wine")


def leftover_processes() -> list[tuple[int, str]]:
    """This session's soffice and wine processes still running (Linux: read from /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                if SESSION_MARK.encode() in (d / "environ").read_bytes().split(b"\0"):
                    name = (d / "comm").read_text().strip()
                    if name.startswith(EXTERNAL):
                        out.append((int(d.name), name))
            except OSError:
                continue
    return out


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if a test left soffice or wine behind (after a grace for processes ending now), and end
    them."""
    if not sys.platform.startswith("linux"):
        return
    deadline = time.monotonic() + 20
    while (left := leftover_processes()) and time.monotonic() < deadline:
        time.sleep(0.5)
    if left:
        for pid, _ in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        print(f"\nprocesses left running by the tests (now killed): {left}", file=sys.stderr)
        session.exitstatus = 1

# `make test` runs every property with a fixed seed (derandomize): a kill or a failure does not come and go
# between runs. `make mutants` runs the rules' tests once per mutant with fewer examples; the "deep" profile
# (HYPOTHESIS_PROFILE=deep, e.g. in bench/) draws new examples, many more of them.
settings.register_profile("fixed", derandomize=True, print_blob=True)
settings.register_profile("mutants", max_examples=15, derandomize=True)
settings.register_profile("deep", max_examples=2000, derandomize=False)
settings.load_profile("mutants" if os.environ.get("MUTANT_UNDER_TEST") else os.environ.get("HYPOTHESIS_PROFILE", "fixed"))
AS_OF = dt.date(2010, 8, 2)


@pytest.fixture(scope="session")
def campaign():
    return campaign_mod.load(ROOT / "campaign.toml")


@pytest.fixture(scope="session")
def raw_campaign():
    import tomllib
    return tomllib.loads((ROOT / "campaign.toml").read_text(encoding="utf-8"))


def make_demo(campaign, folder: Path, **kw):
    """Generate a demo inbox; returns (folder, answer key)."""
    kw.setdefault("members", 10)
    kw.setdefault("as_of", AS_OF)
    key = demo.generate(campaign, folder, **kw)
    return folder, key


@pytest.fixture(scope="session")
def defects_inbox(campaign, tmp_path_factory):
    folder = tmp_path_factory.mktemp("defects") / "inbox"
    return make_demo(campaign, folder, units=6, defects=True, seed=7)


@pytest.fixture(scope="session")
def clean_inbox(campaign, tmp_path_factory):
    folder = tmp_path_factory.mktemp("clean") / "inbox"
    return make_demo(campaign, folder, units=5, seed=3)


def sheet_part(xlsx: Path, sheet_name: str) -> str:
    """The zip part (xl/worksheets/sheetN.xml) holding a sheet, found by its name, as Excel resolves it."""
    import re
    import zipfile
    with zipfile.ZipFile(xlsx) as z:
        book, rels = z.read("xl/workbook.xml").decode(), z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(sheet_name)}"[^>]*r:id="([^"]+)"', book).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
        re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else f"xl/{t}"


def last_data_row(ws) -> int:
    """The last row of an openpyxl sheet that holds a value (a template's form reaches further: its last
    row carries a note)."""
    return max((r for (r, _), c in ws._cells.items() if c.value is not None), default=1)  # the stored cells only


def drop_rows(ws, rows) -> None:
    """Delete these rows of an openpyxl sheet as a unit deletes them in Excel, a run of adjacent rows at a
    time: openpyxl moves every cell below on each call, down to the 20,001st row of a template's form."""
    runs = []
    for r in sorted(rows, reverse=True):
        if runs and runs[-1][0] == r + 1:
            runs[-1][0] = r
            runs[-1][1] += 1
        else:
            runs.append([r, 1])
    for first, n in runs:  # from the bottom up: the rows above keep their numbers
        ws.delete_rows(first, n)


def stored_cells(ws) -> list:
    """The cells an openpyxl sheet holds, row by row (never creating the empty ones of a 20,001-row form)."""
    return [ws._cells[k] for k in sorted(ws._cells)]
