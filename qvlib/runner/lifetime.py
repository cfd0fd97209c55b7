"""Processes that do not outlive the process that started them (workers, notebook processes,
chart servers)."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time

#: ``prctl`` option: the signal the kernel sends a process when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int, parent: int) -> None:
    """Have ``signum`` sent to this process when ``parent`` (its parent) dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    else:

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os.kill(os.getpid(), signum)

        threading.Thread(target=watch, name="qv-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # it died before the request was in place
        os.kill(os.getpid(), signum)
