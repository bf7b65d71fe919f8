"""The command line: subcommands, exit statuses, Chinese messages, and the first real run's manifest."""

import hashlib
import json
import subprocess
import sys

import pytest

from conftest import ROOT, make_demo

from pipeline import cli, commands, ledger


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, cwd=cwd)


def test_help_lists_every_subcommand():
    out = run_cli("--help")
    assert out.returncode == 0
    for name in commands.COMMANDS:
        assert name in out.stdout


def test_readme_documents_every_subcommand_and_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in commands.COMMANDS:
        assert f"run.py {name}" in readme or (name == "run" and "python run.py" in readme)
    assert "make run" in readme and "make test" in readme


def test_bad_date_is_a_usage_error():
    out = run_cli("--as-of", "2010-13-01")
    assert out.returncode == 2 and "YYYY-MM-DD" in out.stderr


def test_bad_campaign_exits_2_with_the_key(tmp_path):
    bad = tmp_path / "c.toml"
    text = (ROOT / "campaign.toml").read_text(encoding="utf-8").replace('"组织点评" = 0.4', '"组织点评" = 0.5', 1)
    bad.write_text(text, encoding="utf-8")
    out = run_cli("--campaign", str(bad), "templates", "--out", str(tmp_path / "t"))
    assert out.returncode == 2
    assert "weights.org" in out.stdout and "权重之和应为 1" in out.stdout


def test_unknown_round_exits_2(tmp_path):
    (tmp_path / "in").mkdir()
    assert cli.main(["--inbox", str(tmp_path / "in"), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch"), "--round", "R7"]) == 2


def test_missing_inbox_exits_2(tmp_path):
    assert cli.main(["--inbox", str(tmp_path / "nope"), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch")]) == 2


def test_demo_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "real.xlsx").write_bytes(b"x")
    assert cli.main(["demo", "--inbox", str(tmp_path)]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.xlsx"]


def test_run_writes_a_manifest_listing_every_inbox_file(campaign, tmp_path):
    inbox, key = make_demo(campaign, tmp_path / "inbox", units=4, defects=True, seed=2)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.iterdir()}
    status = cli.main(["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch"), "--as-of", "2010-08-02"])
    assert status == 3  # some files are sent back
    manifests = list((tmp_path / "out" / "R1").glob("*/manifest.json"))
    assert len(manifests) == 1
    m = json.loads(manifests[0].read_text(encoding="utf-8"))
    assert m["as_of"] == "2010-08-02" and m["campaign_id"] == campaign.id and m["round"] == "R1"
    listed = {f["name"]: f for f in m["inbox_files"]}
    assert {n: f["sha256"] for n, f in listed.items()} == before, "every file, hashed, and the inbox unchanged"
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.iterdir()}
    assert after == before
    assert listed["活动照片说明.txt"]["kind"] == "非模板文件"
    assert listed["新建 Microsoft Excel 工作表.xlsx"]["findings"][0]["code"] == "E_EMPTY_FILE"
    street = [f for f in listed.values() if f["kind"] == "街道点评表"]
    assert len(street) == 1
    units = sorted(f["unit_code"] for f in listed.values() if f["kind"] == "单位填报表")
    assert units == ["FN01", "FN01", "FN02", "FN03"]  # FN04 mailed FN01's file
    assert all(f["size"] == (inbox / n).stat().st_size for n, f in listed.items())
    assert not list((tmp_path / "out" / "R1").glob(".tmp-*")), "no half-written run folder left"


def test_round_defaults_to_the_one_containing_as_of(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, round_code="R2", as_of=__import__("datetime").date(2012, 6, 1))
    assert cli.main(["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch"), "--as-of", "2012-06-01"]) == 0
    assert list((tmp_path / "out" / "R2").glob("*/manifest.json"))


def test_status_lists_runs(tmp_path, capsys, campaign):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1)
    cli.main(["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(tmp_path / "arch"), "--as-of", "2010-08-02"])
    capsys.readouterr()
    assert cli.main(["--archive", str(tmp_path / "arch"), "status"]) == 0
    out = capsys.readouterr().out
    assert "第一阶段" in out and "未报单位" in out and "FN02" in out


def test_unexpected_failure_exits_1_with_a_log_path(tmp_path, monkeypatch, capsys):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(commands.batch, "run", boom)
    (tmp_path / "in").mkdir()
    status = cli.main(["--inbox", str(tmp_path / "in"), "--outbox", str(tmp_path / "o"), "--archive", str(tmp_path / "a")])
    out = capsys.readouterr().out
    assert status == 1 and "意外故障" in out and "Traceback" not in out
    logs = list((tmp_path / "a" / "logs").glob("error-*.log"))
    assert logs and "disk on fire" in logs[0].read_text(encoding="utf-8")


def test_global_options_work_after_the_subcommand(campaign, tmp_path, capsys):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, seed=4)
    archive = tmp_path / "存档 X"
    status = cli.main(["run", "--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--archive", str(archive),
                       "--campaign", str(ROOT / "campaign.toml"), "--as-of", "2010-08-02"])
    assert status == cli.EXIT_OK
    capsys.readouterr()
    assert cli.main(["status", "--archive", str(archive), "--campaign", str(ROOT / "campaign.toml")]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "第一阶段" in out and "尚未运行过汇总" not in out


def test_an_option_after_the_subcommand_wins_over_the_one_before(tmp_path):
    args = cli.build_parser().parse_args(["--archive", "A", "status", "--archive", "B"])
    assert str(args.archive) == "B"
    args = cli.build_parser().parse_args(["--archive", "A", "status"])
    assert str(args.archive) == "A"


def test_output_that_cannot_encode_a_character_replaces_it(campaign, tmp_path):
    """A cp1252 pipe (or a GBK console) cannot encode 中文 or an emoji: never an exception, exit as usual."""
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, seed=4)
    first = sorted(inbox.glob("*.xlsx"))[0]
    first.rename(inbox / f"😀{first.name}")
    out = subprocess.run([sys.executable, str(ROOT / "run.py"), "--inbox", str(inbox), "--outbox", str(tmp_path / "o"),
                          "--archive", str(tmp_path / "a"), "--as-of", "2010-08-02"], capture_output=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "cp1252"}, cwd=ROOT)
    assert out.returncode == cli.EXIT_OK, out.stderr.decode("cp1252", errors="replace")[-2000:]
    assert b"?" in out.stdout and b"Traceback" not in out.stdout + out.stderr


def test_status_reads_a_write_protected_backup(campaign, tmp_path):
    """Reading needs no write access: `status` on a backup copy of the archive that cannot be written."""
    import shutil
    import subprocess as sp

    from conftest import AS_OF

    from pipeline.run import batch
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=2, members=4, seed=3)
    batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    backup = tmp_path / "backup"
    shutil.copytree(tmp_path / "arch", backup)
    if sp.run(["chattr", "+i", str(backup)], capture_output=True).returncode:
        pytest.skip("chattr +i (a folder nobody, root included, can write) is not available here")
    try:
        assert not ledger.writable(backup)
        before = sorted(p.name for p in backup.iterdir())
        out = sp.run([sys.executable, str(ROOT / "run.py"), "status", "--archive", str(backup)], capture_output=True,
                     text=True, encoding="utf-8", timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "第一阶段" in out.stdout and "已受理" in out.stdout
        assert sorted(p.name for p in backup.iterdir()) == before
    finally:
        sp.run(["chattr", "-i", str(backup)])


HEAVY = ("pandas", "numpy", "openpyxl", "xlsxwriter", "docx", "pandera", "python_calamine")


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_load_none_of_the_heavy_libraries(flag):
    done = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "run.py"), flag], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0 and done.stdout
    loaded = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "pipeline.cli" in loaded and not loaded & set(HEAVY), loaded & set(HEAVY)


def test_the_first_line_comes_before_the_heavy_libraries_load(tmp_path):
    """The clerk's window answers at once: the line naming the campaign and the date is printed while pandas,
    openpyxl and the others are not loaded yet (under Wine they take seconds)."""
    (tmp_path / "in").mkdir()
    spy = f"""
import sys
from rich.console import Console
seen, print_ = [], Console.print
def spy(self, *a, **k):
    seen.append((str(a[0]) if a else "", sorted(m for m in {HEAVY!r} if m in sys.modules)))
    return print_(self, *a, **k)
Console.print = spy
sys.argv = ["run.py"]
from pipeline import cli
cli.main(["--inbox", {str(tmp_path / "in")!r}, "--outbox", {str(tmp_path / "o")!r}, "--archive", {str(tmp_path / "a")!r},
          "--as-of", "2010-08-02"])
print("FIRST", seen[0][1], "LAST", seen[-1][1])
"""
    done = subprocess.run([sys.executable, "-c", spy], capture_output=True, text=True, cwd=ROOT, timeout=120)
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("FIRST [] LAST [") and last != "FIRST [] LAST []", last  # heavy ones come later
    assert "基准日期 2010-08-02" in done.stdout and "结果：退出状态 2" in done.stdout


def test_help_names_the_command_as_it_was_started(tmp_path):
    out = run_cli("--help")
    assert out.stdout.startswith("usage: run.py") and "run.py status --archive X" in out.stdout
    module = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert module.stdout.startswith("usage: python -m pipeline") and "run.py" not in module.stdout


def test_status_fits_an_80_column_window(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=3, seed=4)
    archive = tmp_path / "存档"
    assert cli.main(["--inbox", str(inbox), "--outbox", str(tmp_path / "o"), "--archive", str(archive),
                     "--as-of", "2010-08-02", "-q"]) == cli.EXIT_OK
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "status", "--archive", str(archive)], capture_output=True,
                          text=True, cwd=ROOT, env={**__import__("os").environ, "COLUMNS": "80"}, timeout=120)
    assert done.returncode == 0 and "…" not in done.stdout
    from rich.cells import cell_len
    table = [line for line in done.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert table and max(cell_len(line) for line in table) <= 80
    assert "第一阶段最近一次汇总：" in done.stdout and "（基准日期 2010-08-02）" in done.stdout
