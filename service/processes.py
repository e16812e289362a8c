"""Child processes that do not outlive the `samestory serve` that started them."""

from __future__ import annotations

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1


def stop_with_parent() -> None:
    """For Popen's preexec_fn: have Linux send this child SIGTERM when its parent dies, however it dies
    (even SIGKILL), so that no worker or embedded Redis is left running without its `serve`. Elsewhere
    a no-op: the parent's clean-up on SIGTERM and Ctrl-C still stops them."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
