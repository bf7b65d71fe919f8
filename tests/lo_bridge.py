"""LibreOffice through its own Python bridge (python3-uno), for the helper scripts that tests run with
Debian's python3: start a headless soffice on a private profile and port, and open documents hidden."""
import os
import subprocess
import time
from contextlib import contextmanager

import uno
from com.sun.star.beans import PropertyValue


@contextmanager
def desktop(profile: str, port: int):
    """A running soffice's Desktop, ended when the block is left."""
    proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
                             f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
                             f"--accept=socket,host=127.0.0.1,port={port};urp;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
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
        proc.wait(timeout=30)


def open_hidden(desk, path: str):
    hidden = PropertyValue()
    hidden.Name, hidden.Value = "Hidden", True
    return desk.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0, (hidden,))
