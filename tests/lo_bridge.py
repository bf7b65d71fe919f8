"""LibreOffice through its own Python bridge (python3-uno), for the helper scripts that tests run with
Debian's python3: start a headless soffice on a private profile and port, and open documents hidden."""
import os
import socket
import subprocess
import time
from contextlib import contextmanager

import uno
from com.sun.star.beans import PropertyValue


def free_port() -> int:
    """A port no one listens on now (the OS picks it): never a fixed one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid: str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    """User and system CPU time so far of a process and all its descendants (soffice runs soffice.bin
    under oosplash), from Linux's /proc."""
    stats = {p: _stat(p) for p in os.listdir("/proc") if p.isdigit()}
    children: dict[str, list[str]] = {}
    for p, st in stats.items():
        if st:
            children.setdefault(st[1], []).append(p)
    total, todo = 0, [str(pid)]
    while todo:
        p = todo.pop()
        st = stats.get(p)
        if st:
            total += sum(int(x) for x in st[11:15])
        todo += children.get(p, [])
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def desktop(profile: str, port: int, started: dict | None = None):
    """A running soffice's Desktop, ended when the block is left (killed if it does not stop);
    `started` receives its process id as "pid"."""
    proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
                             f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
                             f"--accept=socket,host=127.0.0.1,port={port};urp;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    if started is not None:
        started["pid"] = proc.pid
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(120):
            try:
                ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.5)
        yield ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def open_hidden(desk, path: str):
    hidden = PropertyValue()
    hidden.Name, hidden.Value = "Hidden", True
    return desk.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0, (hidden,))
