"""The round's report built from the ledger alone (`round_results.build`, no figures carried over from
validation) equals the golden run's data byte for byte: every table the report holds goes through
the same CSV writer and is compared with tests/golden/data.

This is the fast test of the orchestration that reads the ledger, in the mutation selection
(`make mutants`): the archive is made once by the command line and each test only rebuilds the report.
Under mutmut the archive is kept in the mutation folder between mutants (made by the clean run,
before any mutant), so a mutant costs one `build` and not a whole intake.
"""

import csv
import datetime as dt
import io
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_golden import AS_OF, GOLDEN, demo_outputs

from pipeline import cli
from pipeline.ledger.store import Ledger
from pipeline.outputs.clerk import csvfiles
from pipeline.rules import round_results

ROUND_TABLES = sorted(set(p.name for p in (GOLDEN / "data").glob("*.csv")) - {"findings.csv"})


R2_AS_OF = "2012-06-15"
GOLDEN_R2 = GOLDEN / "r2"


def _golden_archive(root: Path) -> Path:
    """The golden round R1, then a second round R2 on the same archive (its own demo files)."""
    root.mkdir(parents=True, exist_ok=True)
    demo_outputs(root)
    inbox = root / "inbox_r2"
    assert cli.main(["demo", "--inbox", str(inbox), "--units", "6", "--members", "9", "--seed", "r2b",
                     "--round", "R2", "--as-of", R2_AS_OF]) == 0
    assert cli.main(["--inbox", str(inbox), "--outbox", str(root / "outbox"), "--archive", str(root / "archive"),
                     "--as-of", R2_AS_OF, "run"]) == cli.EXIT_OK
    return root / "archive"


def _tallied_archives(root: Path) -> Path:
    """The same votes twice (票面相同): as ballots in archive "ballots", as tallies in archive "tallies"."""
    for mode in ("ballots", "tallies"):
        inbox = root / f"inbox_{mode}"
        assert cli.main(["demo", "--inbox", str(inbox), "--units", "3", "--members", "6", "--seed", "tally",
                         "--as-of", AS_OF] + (["--tallies"] if mode == "tallies" else [])) == 0
        assert cli.main(["--inbox", str(inbox), "--outbox", str(root / f"out_{mode}"), "--archive", str(root / mode),
                         "--as-of", AS_OF, "run"]) == cli.EXIT_OK
    return root


def _kept(tmp_path_factory, name: str, make) -> Path:
    """`make`'s archive, made once per session; under mutmut, once for every mutant (in its work folder)."""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return make(tmp_path_factory.mktemp(name))
    kept = Path.cwd() / f".{name}"
    if not kept.exists():
        work = tmp_path_factory.mktemp(name)
        shutil.copytree(make(work / "made"), work / "kept")
        os.replace(work / "kept", kept)
    return kept


@pytest.fixture(scope="session")
def golden_archive(tmp_path_factory) -> Path:
    return _kept(tmp_path_factory, "round_report_archive", _golden_archive)


@pytest.fixture(scope="session")
def tallied(tmp_path_factory) -> Path:
    return _kept(tmp_path_factory, "round_report_tallies", _tallied_archives)


def _build(archive: Path, campaign, round_code: str, as_of: str):
    ledger = Ledger(archive, campaign, read_only=True)
    try:
        return round_results.build(campaign, ledger, round_code, dt.date.fromisoformat(as_of))
    finally:
        ledger.conn.close()


@pytest.fixture
def report(golden_archive, campaign):
    return _build(golden_archive, campaign, "R1", AS_OF)


def _tables(report, campaign, folder: Path) -> dict[str, str]:
    csvfiles.write_round(campaign, report, folder)
    return {p.name: p.read_text(encoding="utf-8-sig") for p in sorted(folder.glob("*.csv"))}


def test_every_table_built_from_the_ledger_alone_equals_the_golden_run(report, campaign, tmp_path):
    tables = _tables(report, campaign, tmp_path)
    assert sorted(tables) == ROUND_TABLES
    for name in ROUND_TABLES:
        assert tables[name] == (GOLDEN / "data" / name).read_text(encoding="utf-8-sig"), name


def test_the_second_round_reads_the_first_from_the_ledger(golden_archive, campaign, tmp_path):
    """R2 after R1 on one archive: the tables equal tests/golden/r2 (written by UPDATE_GOLDEN=1 and read
    by hand: the two items R1 left open that R2's ledgers dropped, and the nomination refused for an
    R1 不合格), and those facts are checked against the R1 golden tables here as well."""
    tables = _tables(_build(golden_archive, campaign, "R2", R2_AS_OF), campaign, tmp_path)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN_R2.mkdir(exist_ok=True)
        for name, text in tables.items():
            (GOLDEN_R2 / name).write_text(text, encoding="utf-8-sig", newline="")
    assert sorted(tables) == ROUND_TABLES
    for name in ROUND_TABLES:
        assert tables[name] == (GOLDEN_R2 / name).read_text(encoding="utf-8-sig"), name

    r1 = {name: list(csv.DictReader(io.StringIO((GOLDEN / "data" / name).read_text(encoding="utf-8-sig"))))
          for name in ("rectifications.csv", "member_results.csv")}
    dropped = [r for r in csv.DictReader(io.StringIO(tables["coverage_flags.csv"])) if r["code"] == "C_DROPPED"]
    open_r1 = {(r["unit_code"], r["item_id"]) for r in r1["rectifications.csv"]
               if r["status"] != campaign.rectification.closed_status}
    assert dropped and all(any(f"第 {i} 项" in r["detail"] for u, i in open_r1 if u == r["unit_code"]) for r in dropped)
    first = campaign.round("R1").name  # rounds are named as people read them, never by their code
    refused = [r for r in csv.DictReader(io.StringIO(tables["nominations.csv"])) if first in r["reasons"]]
    assert refused and not any("R1" in r["reasons"] for r in csv.DictReader(io.StringIO(tables["nominations.csv"])))
    for r in refused:
        (before,) = [m for m in r1["member_results.csv"]
                     if (m["unit_code"], m["member_id"]) == (r["unit_code"], r["subject_id"])]
        assert f"{first}{before['decided_grade']}" in r["reasons"]


def test_the_previous_round_is_the_first_rounds_results_as_the_ledger_holds_them(report, golden_archive, campaign):
    """R2's previous round is R1 with exactly R1's results and its items as recorded; R1 has none."""
    ledger = Ledger(golden_archive, campaign, read_only=True)
    try:
        prev = round_results.previous(campaign, ledger, "R2")
        assert round_results.previous(campaign, ledger, "R1") is None
    finally:
        ledger.conn.close()
    assert prev.round == "R1"
    pd.testing.assert_frame_equal(prev.org_results, report.scores.org_results)
    pd.testing.assert_frame_equal(prev.member_results, report.scores.member_results)
    items = report.rectifications.drop(columns="flags")
    assert sorted(map(tuple, prev.rectifications[items.columns].astype(str).to_numpy())) == \
        sorted(map(tuple, items.astype(str).to_numpy())) and len(items)


def test_the_report_names_its_round_files_and_the_street_review(report, golden_archive, campaign):
    golden = (GOLDEN / "data" / "submissions.csv").read_text(encoding="utf-8-sig")
    assert report.round == "R1" and report.as_of == dt.date.fromisoformat(AS_OF)
    assert report.files and all(name.endswith(".xlsx") for name in report.files.values())
    for unit in report.files:
        assert unit in golden
    ledger = Ledger(golden_archive, campaign, read_only=True)
    try:
        (street,) = [s.original_name for s in ledger.all_submissions()
                     if s.kind == "street" and s.round == "R1" and s.status == "accepted"]
    finally:
        ledger.conn.close()
    assert report.street_file == street
    assert report.publish_on is None
    assert len(report.roster) == report.roster[["unit_code", "member_id"]].drop_duplicates().shape[0] > 0


def test_the_flags_are_each_items_codes_then_the_coverage_rows(report):
    rect = report.rectifications
    item_flags = [(u, str(i), c) for u, i, codes in zip(rect["unit_code"], rect["item_id"], rect["flags"])
                  for c in codes]
    flagged = report.flags
    assert [(f.code, f.unit_code, f.item_id) for f in flagged[:len(item_flags)]] == \
        [(c, u, i) for u, i, c in item_flags]
    cov = report.coverage
    assert [(f.code, f.unit_code, f.member_id, f.criterion, f.item_id, f.detail) for f in flagged[len(item_flags):]] == \
        [(c, u, m or "", k or "", "", d) for c, u, m, k, d in
         zip(cov["code"], cov["unit_code"], cov["member_id"], cov["criterion"], cov["detail"])]
    assert len(flagged) == len(item_flags) + len(cov) and len(cov) and item_flags


def test_the_workbooks_copy_leaves_out_only_the_member_table(report):
    assert len(report.scores.member_stats)
    light = report.for_workbooks()
    assert len(light.scores.member_stats) == 0
    assert list(light.scores.member_stats.columns) == list(report.scores.member_stats.columns)
    assert light.scores.member_results.equals(report.scores.member_results)
    assert light.scores.org_stats.equals(report.scores.org_stats)
    assert len(report.scores.member_stats)  # the original keeps it
    report.release_member_stats()
    assert len(report.scores.member_stats) == 0
    assert list(report.scores.member_stats.columns) == list(light.scores.member_stats.columns)


def test_a_tallied_round_reads_exactly_as_the_same_votes_on_ballots(tallied, campaign, tmp_path):
    """Built from the ledger alone, a round whose units sent tallies and the same round sent as ballots give
    the same tables, every one (the tallies' opinions included)."""
    tables = {mode: _tables(_build(tallied / mode, campaign, "R1", AS_OF), campaign, tmp_path / mode)
              for mode in ("ballots", "tallies")}
    # the same flags (a tally records its opinions per row, so the count in a detail differs)
    flags = {mode: sorted((r["unit_code"], r["member_id"], r["criterion"], r["code"])
                          for r in csv.DictReader(io.StringIO(t.pop("coverage_flags.csv"))))
             for mode, t in tables.items()}
    assert tables["ballots"] == tables["tallies"]
    assert flags["ballots"] == flags["tallies"]
    assert any(f[3] == "C_OPINION_UNANSWERED" for f in flags["tallies"])
    assert len(tables["tallies"]["member_scores.csv"].splitlines()) > 50


@pytest.mark.parametrize("round_code", ["R1", "R2"])
def test_a_round_with_nothing_accepted_gives_every_table_empty_with_its_columns(campaign, tmp_path, round_code):
    """A round no unit has sent anything for (a new archive): every table is empty and has its documented
    columns, the units all 未报, and nothing fails on the empty history, ledger or reviews."""
    report = _build(Ledger(tmp_path, campaign).archive, campaign, round_code, AS_OF)
    columns = csvfiles.columns(campaign)
    frames = csvfiles.tables(report)
    for name, cols in columns.items():
        frame = frames[name]()
        if name == "submissions.csv":
            assert len(frame) == len(campaign.units) and set(frame["state"]) == {"未报"}
            continue
        assert len(frame) == 0, name
        assert set(cols) <= set(frame.columns), name
    assert report.files == {} and report.street_file is None and report.flags == []
