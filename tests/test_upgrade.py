"""Upgrading (SPEC §11): a newer program unzipped beside the old one takes over its ledger, archived files,
inbox and outbox with `run.py upgrade` (升级.bat), and its campaign file when it can read it; the old
folder is not changed. Two program folders side by side, as two unzipped versions would be."""

import hashlib
import re
import shutil
import subprocess
import sys

from conftest import AS_OF, ROOT, make_demo

from pipeline import cli


def _program(folder):
    """A program folder as the zip unpacks it: run.py, the package, the campaign file, empty data folders."""
    folder.mkdir(parents=True)
    for name in ("run.py", "campaign.toml"):
        shutil.copy2(ROOT / name, folder / name)
    shutil.copytree(ROOT / "pipeline", folder / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("inbox", "outbox", "archive"):
        (folder / name).mkdir()
    return folder


def _run(folder, *args, stdin=""):
    return subprocess.run([sys.executable, "run.py", *args], cwd=folder, input=stdin, capture_output=True,
                          text=True, timeout=600)


def _tree(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def test_a_newer_version_takes_over_the_ledger_and_the_old_folder_is_left_as_it_was(campaign, tmp_path):
    old = _program(tmp_path / "fnc-review")
    make_demo(campaign, old / "inbox", units=3, members=6, seed=9)
    text = (old / "campaign.toml").read_text(encoding="utf-8").replace('"丰年社区党委"', '"丰年社区党委（新名）"')
    (old / "campaign.toml").write_text(text, encoding="utf-8")  # the 党办 renamed a unit
    assert _run(old, "--as-of", AS_OF.isoformat()).returncode == cli.EXIT_OK
    before = _tree(old)
    new = _program(tmp_path / "fnc-review (2)")
    done = _run(new, "upgrade", stdin="\n")  # Enter: the old folder found beside it
    assert done.returncode == cli.EXIT_OK, done.stdout
    assert "迁移完成" in done.stdout and str(old) in done.stdout
    assert _tree(old) == before, "the old folder is not changed"
    assert (new / "archive" / "ledger.sqlite").read_bytes() == (old / "archive" / "ledger.sqlite").read_bytes()
    assert sorted(p.name for p in (new / "inbox").iterdir()) == sorted(p.name for p in (old / "inbox").iterdir())
    assert "丰年社区党委（新名）" in (new / "campaign.toml").read_text(encoding="utf-8")
    # The new version knows every file already: a rerun takes nothing in twice, and status shows the round.
    again = _run(new, "--as-of", AS_OF.isoformat())
    assert again.returncode == cli.EXIT_OK and not re.search(r"重复报送 [1-9]", again.stdout)
    status = _run(new, "status")
    assert status.returncode == 0 and "第一阶段" in status.stdout
    refused = _run(new, "upgrade", "--from", str(old))
    assert refused.returncode == cli.EXIT_USAGE and "已经有台账" in refused.stdout


def test_an_old_campaign_file_the_new_version_cannot_read_is_kept_aside(campaign, tmp_path):
    old = _program(tmp_path / "old")
    make_demo(campaign, old / "inbox", units=1, members=4, seed=9)
    assert _run(old, "--as-of", AS_OF.isoformat()).returncode == cli.EXIT_OK
    text = (old / "campaign.toml").read_text(encoding="utf-8")
    (old / "campaign.toml").write_text(text.replace("[documents]", "[documents_of_an_old_version]"), encoding="utf-8")
    new = _program(tmp_path / "new")
    done = _run(new, "upgrade", "--from", str(old))
    assert done.returncode == cli.EXIT_OK, done.stdout
    assert (new / "campaign.旧版.toml").read_bytes() == (old / "campaign.toml").read_bytes()
    assert (new / "campaign.toml").read_bytes() == (ROOT / "campaign.toml").read_bytes()
    assert "campaign.旧版.toml" in done.stdout


def test_a_folder_without_a_ledger_is_not_an_old_version(tmp_path):
    new = _program(tmp_path / "new")
    (tmp_path / "other").mkdir()
    done = _run(new, "upgrade", "--from", str(tmp_path / "other"))
    assert done.returncode == cli.EXIT_USAGE and "没有台账" in done.stdout
    nothing = _run(new, "upgrade", stdin="")
    assert nothing.returncode == cli.EXIT_USAGE and "没有找到旧版本文件夹" in nothing.stdout
    assert not (new / "archive" / "ledger.sqlite").exists()


def test_an_upgrade_never_replaces_a_file_of_the_new_folder(campaign, tmp_path):
    """A unit's corrected resend already in the new folder's inbox stays; the old folder's file of the same
    name comes beside it, is listed, and the next run does not take it for a new sender's file."""
    old = _program(tmp_path / "fnc-review")
    make_demo(campaign, old / "inbox", units=2, members=6, seed=9)
    assert _run(old, "--as-of", AS_OF.isoformat()).returncode == cli.EXIT_OK
    new = _program(tmp_path / "fnc-review (2)")
    name = sorted(p.name for p in (old / "inbox").iterdir())[0]
    (new / "inbox" / name).write_bytes(b"the corrected resend")
    done = _run(new, "upgrade", "--from", str(old))
    assert done.returncode == cli.EXIT_OK, done.stdout
    assert (new / "inbox" / name).read_bytes() == b"the corrected resend"
    stem, suffix = name.rsplit(".", 1)
    beside = new / "inbox" / f"{stem}（旧版本）.{suffix}"
    assert beside.read_bytes() == (old / "inbox" / name).read_bytes()
    assert beside.name in done.stdout.replace("\n", "") and "同名但内容不同" in done.stdout
    again = _run(new, "upgrade", "--from", str(old))  # refused now: the ledger holds submissions
    assert again.returncode == cli.EXIT_USAGE and (new / "inbox" / name).read_bytes() == b"the corrected resend"
    run = _run(new, "--as-of", AS_OF.isoformat())
    assert not re.search(r"重复报送 [1-9]", run.stdout), "the old version beside is the file the old ledger has"


def test_a_ledger_left_by_a_run_on_an_empty_inbox_is_not_data(campaign, tmp_path):
    old = _program(tmp_path / "old")
    make_demo(campaign, old / "inbox", units=1, members=4, seed=9)
    assert _run(old, "--as-of", AS_OF.isoformat()).returncode == cli.EXIT_OK
    new = _program(tmp_path / "new")
    assert _run(new, "--as-of", AS_OF.isoformat()).returncode == cli.EXIT_USAGE  # 收件箱为空
    assert (new / "archive" / "ledger.sqlite").exists()
    done = _run(new, "upgrade", "--from", str(old))
    assert done.returncode == cli.EXIT_OK, done.stdout
    assert (new / "archive" / "ledger.sqlite").read_bytes() == (old / "archive" / "ledger.sqlite").read_bytes()


def test_the_old_folder_is_found_in_the_windows_extract_layout(campaign, tmp_path):
    """全部解压缩 puts each zip in a folder named after it: …/fnc-review-win64/fnc-review (old) and
    …/fnc-review-win64 (1)/fnc-review (new). Enter takes the one found, named in the window."""
    old = _program(tmp_path / "fnc-review-win64" / "fnc-review")
    make_demo(campaign, old / "inbox", units=1, members=4, seed=9)
    assert _run(old, "--as-of", AS_OF.isoformat()).returncode == cli.EXIT_OK
    new = _program(tmp_path / "fnc-review-win64 (1)" / "fnc-review")
    done = _run(new, "upgrade", stdin="\n")
    assert done.returncode == cli.EXIT_OK, done.stdout
    assert f"发现旧版本文件夹：{old}" in done.stdout.replace("\n", "") and "迁移完成" in done.stdout
