"""The Windows suite runs under the bundle's own python.exe (under Wine in CI, or on a real Windows
PC): the program is the unzipped bundle around that interpreter."""

import subprocess
import sys
from pathlib import Path

import pytest

BUNDLE = Path(sys.executable).resolve().parent.parent  # <top>\python\python.exe
RUN_PY = BUNDLE / "run.py"


def run_py(*args, cwd=None, env=None, timeout=300):
    """run.py as the launchers start it; output through a pipe, decoded as the console's code page."""
    return subprocess.run([sys.executable, str(RUN_PY), *map(str, args)], capture_output=True, cwd=cwd,
                          env=env, timeout=timeout)


@pytest.fixture(scope="session")
def campaign():
    from pipeline import campaign as campaign_mod
    return campaign_mod.load(BUNDLE / "campaign.toml")
