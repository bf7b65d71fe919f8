"""Running a python3-uno helper script (tests/lo_*.py) from a test: Debian's python3, a private
LibreOffice profile, a free port, and every process ended when the script ends or times out."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def uno_python() -> str:
    """Debian's python3 with LibreOffice's bridge; skip (fail on CI) where it is missing."""
    python = shutil.which("python3", path="/usr/bin")
    if not python or subprocess.run([python, "-c", "import uno"], capture_output=True).returncode:
        if os.environ.get("CI"):
            pytest.fail("python3-uno is missing: .ci/run installs it")
        pytest.skip("python3-uno (LibreOffice's Python bridge) is not installed here; CI installs it")
    return python


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_uno_script(script: Path, profile: Path, args: list[str], timeout: float) -> str:
    """The script's standard output; it runs in its own process group, killed whole on a timeout, so no
    soffice outlives the test."""
    proc = subprocess.Popen([uno_python(), str(script), str(profile), str(free_port()), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything the script left behind (soffice.bin)
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, err[-2000:]
    return out
