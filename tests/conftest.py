"""Shared fixtures: the shipped campaign, and demo inboxes generated into tmp_path by the project's own generator."""

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import settings

from pipeline import campaign as campaign_mod
from pipeline import demo

ROOT = Path(__file__).resolve().parent.parent

# `make mutants` runs the rules' tests once per mutant: fewer examples there, the full count in `make test`.
settings.register_profile("mutants", max_examples=15)
if os.environ.get("MUTANT_UNDER_TEST"):
    settings.load_profile("mutants")
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


def stored_cells(ws) -> list:
    """The cells an openpyxl sheet holds, row by row (never creating the empty ones of a 20,001-row form)."""
    return [ws._cells[k] for k in sorted(ws._cells)]
