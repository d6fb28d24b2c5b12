"""Run a command as a grandchild and write its wall time, CPU time and peak RSS as JSON to a file descriptor.

    python -m bench.rusage FD COMMAND [ARGS…]

Linux carries the parent's resident size into a child's `ru_maxrss` when the child is
spawned from a large process (exec records the hiwater mark of the memory it replaces), so
a benchmark runner holding 100k notices would inflate every child's peak. Forking from this
small process keeps the measured peak the command's own.
"""
from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    fd, argv = int(sys.argv[1]), sys.argv[2:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(fd)
        os.execvp(argv[0], argv)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    with os.fdopen(fd, "w") as report:
        report.write(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
