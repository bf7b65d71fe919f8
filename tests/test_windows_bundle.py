"""The Windows bundle (SPEC §11), tested under Wine with the bundle's own python.exe: built by
packaging/bundle.py, unzipped under a path with a space and Chinese characters, its 汇总.bat run on
the sample inbox (the data CSVs byte-identical to the Linux run's), and tests/windows/ run there.

Needs Wine (../shared/wine/winpy setup, which .ci/run calls) and the package index or the bundle
cache; skipped where Wine is missing, except in CI, where a missing Wine is a failure."""

import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipeline import cli

from conftest import ROOT, SHARED

WINPY = SHARED / "wine" / "winpy"
AS_OF = "2010-08-02"
pytestmark = pytest.mark.wine


def _winpy(*args, env=None, timeout=900):
    """winpy in its own process group, ended whole (wine and wineserver too) when it times out."""
    proc = subprocess.Popen(["bash", str(WINPY), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        subprocess.run(["wineserver", "-k"], capture_output=True, env=env, timeout=60)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _windows(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    if not (WINPY.exists() and shutil.which("wine64", path="/usr/lib/wine:" + os.environ.get("PATH", ""))):
        if os.environ.get("CI"):
            pytest.fail("Wine is not set up: .ci/run calls ../shared/wine/winpy setup")
        pytest.skip("Wine is not installed here (../shared/wine/winpy setup); CI runs this")
    root = tmp_path_factory.mktemp("win")
    built = subprocess.run([sys.executable, str(ROOT / "packaging" / "bundle.py"), "--out", str(root / "dist")],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    zip_path = root / "dist" / "fnc-review-win64.zip"
    place = root / "评议 汇总"
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(place)
    top = place / "fnc-review"
    adapted = _winpy("adapt", top / "python")  # test copy only: never shipped
    assert adapted.returncode == 0, adapted.stderr
    return zip_path, top


def test_the_zip_has_one_top_folder_with_everything_and_no_test_tools(bundle):
    zip_path, _ = bundle
    names = zipfile.ZipFile(zip_path).namelist()
    assert {n.split("/")[0] for n in names} == {"fnc-review"}
    for part in ("python/python.exe", "python/python311._pth", "run.py", "campaign.toml", "pipeline/cli.py",
                 "使用说明.txt", "汇总.bat", "示例.bat", "生成模板.bat", "查看台账.bat", "升级.bat", "inbox/", "outbox/", "archive/",
                 "示例/基准日期.txt",
                 "python/Lib/site-packages/pandas/__init__.py", "python/Lib/site-packages/python_calamine/__init__.py"):
        assert f"fnc-review/{part}" in names, part
    assert any(n.startswith("fnc-review/templates_xlsx/") and n.endswith(".xlsx") for n in names)
    assert not [n for n in names if "/pytest/" in n or "/hypothesis/" in n or "bcryptprimitives" in n]
    pth = zipfile.ZipFile(zip_path).read("fnc-review/python/python311._pth").decode("ascii").split("\r\n")
    assert "Lib\\site-packages" in pth and "import site" in pth and ".." in pth


def test_the_example_launcher_runs_the_sample_apart_with_the_linux_results(bundle, tmp_path):
    _, top = bundle
    done = _winpy("run", "cmd", "/c", _windows(top / "示例.bat"), env={**os.environ, "NOPAUSE": "1"})
    assert done.returncode == cli.EXIT_REJECTED, done.stdout[-3000:]  # the sample has files to send back
    assert "汇总结果" in done.stdout and "退出状态 3" in done.stdout
    assert not any((top / "archive").iterdir()) and not any((top / "outbox").iterdir()), "the real folders untouched"
    sample = ROOT / "示例"
    assert cli.main(["--inbox", str(sample / "inbox"), "--outbox", str(tmp_path / "out"), "--archive",
                     str(tmp_path / "arch"), "--as-of", (sample / "基准日期.txt").read_text().strip()]) == cli.EXIT_REJECTED
    linux = sorted((tmp_path / "out" / "R1").glob("*/data/*.csv"))
    windows = {p.name: p for p in (top / "示例" / "outbox" / "R1").glob("*/data/*.csv")}
    assert len(linux) >= 13 and sorted(p.name for p in linux) == sorted(windows)
    assert [p.name for p in linux if p.read_bytes() != windows[p.name].read_bytes()] == []


def test_the_launcher_runs_the_real_inbox(bundle):
    _, top = bundle
    for p in (ROOT / "示例" / "inbox").iterdir():
        shutil.copy2(p, top / "inbox" / p.name)
    done = _winpy("run", "cmd", "/c", _windows(top / "汇总.bat"), "--as-of", AS_OF, env={**os.environ, "NOPAUSE": "1"})
    assert done.returncode == cli.EXIT_REJECTED, done.stdout[-3000:]
    assert (top / "archive" / "ledger.sqlite").is_file() and "回复清单.txt" in done.stdout


def test_the_windows_suite_passes_under_the_bundles_python(bundle):
    _, top = bundle
    py = top / "python"
    tools = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "install", "--no-deps",
                            "--platform", "win_amd64", "--python-version", "3.11", "--implementation", "cp",
                            "--abi", "cp311", "--only-binary=:all:", "--target", str(py / "Lib" / "site-packages"),
                            "pytest==9.2.0", "pluggy==1.7.0", "iniconfig==2.3.1", "colorama==0.4.6"],
                           capture_output=True, text=True, timeout=600)
    assert tools.returncode == 0, tools.stderr[-2000:]
    suite = top / "tests_windows"
    shutil.copytree(ROOT / "tests" / "windows", suite)
    done = _winpy("run", py / "python.exe", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
                  _windows(suite), _windows(suite))
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout and " failed" not in done.stdout
