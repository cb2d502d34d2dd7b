"""`python -m agent_analytics.stack.parent_death PARENT_PID PROGRAM ARGS...`: become PROGRAM,
asking Linux to send it SIGTERM when PARENT_PID (the `up` that started it) dies, even by SIGKILL,
so that no server of a killed `up` is left holding its ports and data.

A launcher rather than a pre-exec hook in `up`: `up` starts children again while its collector's
threads run, and running Python code between fork and exec in a threaded process is unsafe (and
makes gRPC log a line at each fork); a plain spawn of this launcher is not.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def command(argv: list[str]) -> list[str]:
    """`argv` started through this launcher where the system has the parent-death signal (Linux)."""
    if not sys.platform.startswith("linux"):
        return argv
    return [sys.executable, "-m", __name__, str(os.getpid()), *argv]


def main(args: list[str]) -> int:
    parent, argv = int(args[0]), args[1:]
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # `up` died before the signal was asked for
        return 1
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        print(f"cannot run {argv[0]}: {e.strerror}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
