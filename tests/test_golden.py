"""The demo round's outputs are pinned: data CSVs byte for byte, every workbook's cell values.

The golden files under tests/golden/ were written by the code before a restructuring; a change that
is meant to alter outputs rewrites them on purpose (UPDATE_GOLDEN=1 pytest tests/test_golden.py)
and the diff shows exactly what moved. The run goes through the command line only, so the test
does not depend on how the package is laid out inside.
"""

import json
import os
from pathlib import Path

import pytest
from conftest import ROOT
from python_calamine import CalamineWorkbook

from pipeline import cli

GOLDEN = ROOT / "tests" / "golden"
AS_OF = "2010-08-02"


def _value(v):
    """A cell value as JSON holds it: dates as ISO text, whole floats as integers."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def workbook_cells(path: Path) -> dict:
    """Every non-empty cell of every sheet, as {sheet: {"A1": value}}."""
    book = CalamineWorkbook.from_path(str(path))
    out = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out[name] = {f"{_col(c)}{r + 1}": _value(v) for r, row in enumerate(rows)
                     for c, v in enumerate(row) if v not in ("", None)}
    return out


def _col(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        s = chr(65 + rem) + s
    return s


def demo_outputs(root: Path, campaign: Path = ROOT / "campaign.toml") -> Path:
    """Generate the demo inbox with the CLI, run the round on it, and return the run folder."""
    inbox, outbox, archive = root / "inbox", root / "outbox", root / "archive"
    base = ["--campaign", str(campaign)]
    assert cli.main(base + ["demo", "--inbox", str(inbox), "--units", "6", "--members", "9", "--seed", "golden",
                            "--defects", "--as-of", AS_OF]) == 0
    status = cli.main(base + ["--inbox", str(inbox), "--outbox", str(outbox), "--archive", str(archive),
                              "--as-of", AS_OF, "run"])
    assert status == cli.EXIT_REJECTED  # the defects make some files come back
    (folder,) = [p for p in (outbox / "R1").iterdir() if p.is_dir()]
    return folder


def snapshot(folder: Path) -> dict:
    """What the golden files hold: each CSV's text and each workbook's cells (returned copies included)."""
    csvs = {p.name: p.read_bytes().decode("utf-8") for p in sorted((folder / "data").glob("*.csv"))}
    books = {p.relative_to(folder).as_posix(): workbook_cells(p) for p in sorted(folder.rglob("*.xlsx"))}
    return {"csv": csvs, "workbooks": books}


@pytest.fixture(scope="module")
def current(tmp_path_factory):
    return snapshot(demo_outputs(tmp_path_factory.mktemp("golden")))


def _write(snap: dict) -> None:
    for name, text in snap["csv"].items():
        (GOLDEN / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        (GOLDEN / "data" / name).write_bytes(text.encode("utf-8"))
    (GOLDEN / "workbooks.json").write_text(json.dumps(snap["workbooks"], ensure_ascii=False, indent=0),
                                       encoding="utf-8")


def test_data_csvs_are_byte_identical_to_the_golden_run(current):
    if os.environ.get("UPDATE_GOLDEN"):
        _write(current)
    golden = {p.name: p.read_bytes().decode("utf-8") for p in sorted((GOLDEN / "data").glob("*.csv"))}
    assert sorted(current["csv"]) == sorted(golden)
    for name, text in golden.items():
        assert current["csv"][name] == text, name


def test_workbook_cells_equal_the_golden_run(current):
    golden = json.loads((GOLDEN / "workbooks.json").read_text(encoding="utf-8"))
    assert sorted(current["workbooks"]) == sorted(golden)
    for name, sheets in golden.items():
        assert list(current["workbooks"][name]) == list(sheets), name
        for sheet, cells in sheets.items():
            assert current["workbooks"][name][sheet] == cells, f"{name} / {sheet}"


def test_a_rerun_from_the_ledger_gives_the_same_data(tmp_path):
    """The first run scores the members from what validation computed; a rerun over the same archive
    validates nothing and scores them from the stored rows: the data must not differ by a byte."""
    first = demo_outputs(tmp_path)
    archive, outbox = tmp_path / "archive", tmp_path / "outbox"
    assert cli.main(["--inbox", str(tmp_path / "inbox"), "--outbox", str(outbox), "--archive", str(archive),
                     "--as-of", AS_OF, "run"]) == cli.EXIT_REJECTED
    (second,) = [p for p in (outbox / "R1").iterdir() if p.is_dir() and p != first]
    names = sorted(p.name for p in (first / "data").glob("*.csv"))
    assert "member_scores.csv" in names and "member_results.csv" in names
    for name in names:
        assert (second / "data" / name).read_bytes() == (first / "data" / name).read_bytes(), name
