"""A structural fuzz of good demo workbooks, as clerks "tidy" them: merged cells, inserted or deleted
rows and columns, renamed, dropped or duplicated sheets, hidden or blanked rows, odd values, a far-away
cell, a changed header. No run ever ends with exit 1, and every file is in the manifest.

Seeded; FUZZ_INBOXES and FUZZ_FILES make a longer run (e.g. FUZZ_INBOXES=20 for a slow check)."""

import json
import os
import random

import pytest
from conftest import last_data_row, make_demo
from openpyxl import load_workbook

from pipeline import cli, layout

INBOXES = int(os.environ.get("FUZZ_INBOXES", 4))
FILES = int(os.environ.get("FUZZ_FILES", 60))
ODD = [None, "", " ", "=1/0", "#N/A", "１２３", "好好", 1e308, -1, "2010-13-45", "\t", "长" * 500, "FN99", 0]


def _data_sheets(wb):
    return [ws for ws in wb.worksheets if ws.title not in (layout.META_SHEET, layout.LISTS_SHEET, layout.INFO_SHEET)
            and ws.sheet_state == "visible"]


def _mutate(wb, rng: random.Random) -> list[str]:
    """One to three structural changes, each as a person might make them; the names of those made."""
    done = []
    for _ in range(rng.randint(1, 3)):
        sheets = _data_sheets(wb)
        if not sheets:
            break
        ws = rng.choice(sheets)
        top = max(last_data_row(ws), 2)  # the rows that hold data (a form's note sits on row 20,001)
        kind = rng.choice(["merge", "insert_rows", "delete_rows", "insert_cols", "delete_cols", "rename", "drop",
                           "duplicate", "hide", "blank", "odd", "far", "header"])
        r, c = rng.randint(1, top), rng.randint(1, max(ws.max_column, 1))
        if kind == "merge":
            ws.merge_cells(start_row=r, start_column=c, end_row=min(r + rng.randint(0, 3), top),
                           end_column=c + rng.randint(0, 2))
        elif kind == "insert_rows":
            ws.insert_rows(r, rng.randint(1, 3))
        elif kind == "delete_rows":
            ws.delete_rows(r, rng.randint(1, 3))
        elif kind == "insert_cols":
            ws.insert_cols(c, rng.randint(1, 2))
        elif kind == "delete_cols":
            ws.delete_cols(c, 1)
        elif kind == "rename":
            ws.title = rng.choice(["Sheet1", f"{ws.title}（改）", "表" + str(rng.randint(1, 9))])
        elif kind == "drop" and len(sheets) > 1:
            wb.remove(ws)
        elif kind == "duplicate":
            wb.copy_worksheet(ws)
        elif kind == "hide":
            for row in range(r, min(r + 3, top) + 1):
                ws.row_dimensions[row].hidden = True
        elif kind == "blank":
            for cell in ws[r]:
                if not type(cell).__name__ == "MergedCell":
                    cell.value = None
        elif kind == "odd":
            cell = ws.cell(r, c)
            if type(cell).__name__ != "MergedCell":
                cell.value = rng.choice(ODD)
        elif kind == "far":
            ws.cell(rng.randint(300, 3000), rng.randint(20, 60)).value = "备注"
        elif kind == "header":
            cell = ws.cell(1, c)
            if type(cell).__name__ != "MergedCell":
                cell.value = rng.choice([None, "其他", f"{cell.value}（新）", "评议方式 "])
        done.append(kind)
    return done


@pytest.fixture(scope="module")
def sources(campaign, tmp_path_factory):
    root = tmp_path_factory.mktemp("structural")
    folder, _ = make_demo(campaign, root / "src", units=3, members=5, seed=17)
    tallied, _ = make_demo(campaign, root / "tallies", units=2, members=5, seed=18, tallies=True)  # 得票汇总 too
    return sorted(p for f in (folder, tallied) for p in f.glob("*.xlsx") if p.stat().st_size)


@pytest.mark.parametrize("seed", range(INBOXES))
def test_no_structural_change_stops_the_round(sources, tmp_path, seed):
    rng = random.Random(f"structural-{seed}")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    made = {}
    for i in range(FILES):
        src = rng.choice(sources)
        wb = load_workbook(src)
        made[f"{i:03d}_{src.name}"] = _mutate(wb, rng)
        wb.save(inbox / f"{i:03d}_{src.name}")
    status = cli.main(["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch"),
                       "--as-of", "2010-08-02"])
    assert status in (cli.EXIT_OK, cli.EXIT_REJECTED), made
    (manifest,) = (tmp_path / "out").glob("*/*/manifest.json")
    listed = json.loads(manifest.read_text(encoding="utf-8"))
    names = [f["name"] for f in listed["inbox_files"]] + [f["name"] for f in listed["ignored_files"]]
    assert sorted(names) == sorted(made)
    internal = [f["name"] for f in listed["inbox_files"] for x in f["findings"] if x["code"] == "E_INTERNAL"]
    assert internal == [], {n: made[n] for n in internal}
