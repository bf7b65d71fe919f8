"""The program installs as Python expects (SPEC §11): a wheel with the campaign file, the templates and the
sample inside; `pip install` gives the `fnc-review` command and `python -m pipeline`, which work from an
empty folder (`fnc-review init`, then the sample round); the sdist carries the tests."""

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

from pipeline import __version__, cli
from pipeline.paths import STARTER_FILES

SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "CHANGELOG.md", "campaign.toml", "run.py",
           "Makefile", "pipeline", "templates_xlsx", "示例/inbox", "示例/基准日期.txt", "tests", "requirements",
           "bench", "packaging")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A copy of the repository's tracked sources: building never writes into the working tree."""
    top = tmp_path_factory.mktemp("src") / "fnc-review"
    for name in SOURCES:
        src, dst = ROOT / name, top / name
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "work", "*.pyc"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return top


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-q", "-w", str(out), str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = out.glob("fnc_review-*.whl")
    return path


def test_the_wheel_holds_the_program_the_campaign_file_the_templates_and_the_sample(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "pipeline/cli.py" in names and "pipeline/__main__.py" in names
    starter = {n for n in names if n.startswith("pipeline/starter/")}
    assert "pipeline/starter/campaign.toml" in starter and "pipeline/starter/示例/基准日期.txt" in starter
    templates = {Path(n).name for n in starter if n.startswith("pipeline/starter/templates_xlsx/")}
    assert templates == {p.name for p in (ROOT / "templates_xlsx").glob("*.xlsx")} and templates
    assert {Path(n).name for n in starter if "/示例/inbox/" in n} == {p.name for p in (ROOT / "示例" / "inbox").iterdir()}
    meta = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "fnc-review = pipeline.cli:main" in zipfile.ZipFile(wheel).read(meta).decode()
    assert f"fnc_review-{__version__}-" in wheel.name


def test_the_starter_files_are_one_list_for_the_build_and_init(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert all(any(n.startswith(f"pipeline/starter/{name}") for n in names) for name in STARTER_FILES)


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh virtual environment with the wheel installed by pip; the dependencies come from this test
    run's environment (a .pth file), so that no package index is needed."""
    env = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=300)
    py = env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    done = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    here = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    (Path(purelib) / "_dependencies.pth").write_text("\n".join(sorted(here)) + "\n", encoding="utf-8")
    return env


def _run(env, folder, *args):
    exe = env / ("Scripts/fnc-review.exe" if os.name == "nt" else "bin/fnc-review")
    return subprocess.run([str(exe), *args], cwd=folder, capture_output=True, text=True, timeout=600)


def test_the_installed_command_runs_the_sample_round_from_an_empty_folder(venv, tmp_path):
    work = tmp_path / "工作 文件夹"
    work.mkdir()
    version = _run(venv, work, "--version")
    assert version.returncode == 0 and __version__ in version.stdout
    missing = _run(venv, work)
    assert missing.returncode == cli.EXIT_USAGE and "fnc-review init" in missing.stdout
    assert not any(work.iterdir()), "nothing is written before the folder is set up"
    made = _run(venv, work, "init")
    assert made.returncode == 0, made.stdout
    assert (work / "campaign.toml").read_bytes() == (ROOT / "campaign.toml").read_bytes()
    assert {p.name for p in (work / "templates_xlsx").iterdir()} == {p.name for p in (ROOT / "templates_xlsx").iterdir()}
    sample = _run(venv, work, "example")
    assert sample.returncode == cli.EXIT_REJECTED, sample.stdout[-3000:]  # the sample has files to send back
    (run,) = (work / "示例" / "outbox" / "R1").iterdir()
    assert (run / "回复清单.txt").is_file() and (work / "示例" / "archive" / "ledger.sqlite").is_file()
    assert not any((work / "archive").iterdir()), "the sample never touches the real archive"
    site_packages = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import pipeline; print(pipeline.__file__)"],
                                        cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()).parent.parent
    assert site_packages.name == "site-packages" and venv in site_packages.parents
    assert not (site_packages / "archive").exists() and not (site_packages / "outbox").exists()
    real = _run(venv, work)  # the real inbox is empty and the real ledger too
    assert real.returncode == cli.EXIT_USAGE and "收件箱为空" in real.stdout
    again = _run(venv, work, "init")
    assert again.returncode == cli.EXIT_USAGE and "不覆盖" in again.stdout


def test_python_dash_m_pipeline_is_the_same_command(venv, tmp_path):
    py = venv / "bin" / "python"
    done = subprocess.run([str(py), "-m", "pipeline", "--help"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "init" in done.stdout and "example" in done.stdout


def test_the_sdist_carries_the_tests_and_what_they_need(source, tmp_path):
    done = subprocess.run([sys.executable, "setup.py", "-q", "sdist", "-d", str(tmp_path)], cwd=source,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = tmp_path.glob("*.tar.gz")
    names = {n.split("/", 1)[1] for n in tarfile.open(path).getnames() if "/" in n}
    assert {"Makefile", "campaign.toml", "run.py", "tests/conftest.py", "tests/test_package.py",
            "requirements/runtime.lock", "示例/基准日期.txt"} <= names
    assert any(n.startswith("templates_xlsx/") for n in names) and any(n.startswith("tests/fixtures/") for n in names)
