"""A command's own peak memory, as a test can trust it.

Linux folds the high-water mark of a process's memory into ``ru_maxrss`` when it calls ``exec``: a child started
straight from the pytest process inherits pytest's peak (320 MiB once the whole suite has run), not its own. So the
command is started from a small, fresh interpreter, whose own few MiB are all it can inherit, and that interpreter
reports the peak of the command and its descendants.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

_WRAPPER = textwrap.dedent("""
    import json, resource, subprocess, sys
    memory, report, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    code = subprocess.run(args).returncode
    with open(report, "w") as out:
        json.dump({"code": code, "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, out)
""")


def run_measured(args: list[str], report: Path, *, memory: int, timeout: float) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``args`` under an address-space ceiling of ``memory`` bytes; its output and its peak resident MiB.
    ``report`` is a scratch file the wrapper writes the peak into."""
    done = subprocess.run([sys.executable, "-c", _WRAPPER, str(memory), str(report), *args],
                          capture_output=True, text=True, timeout=timeout)
    said = json.loads(report.read_text())
    done.returncode = said["code"]
    return done, said["peak_kib"] / 1024
