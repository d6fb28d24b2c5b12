"""What every benchmark shares: a child-process runner with rusage, medians, the bench node."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from infra import local_es

REPO = Path(__file__).resolve().parents[1]
NODE = local_es.Node(name="bench", port=int(os.environ.get("REGWATCH_BENCH_ES_PORT", "9280")))


def run_child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `python …` in a child; return its JSON line plus CPU seconds and peak RSS (MiB)."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=errors,
                                env={**os.environ, **(env or {})}, cwd=REPO)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # wait4, unlike wait, reports the child's rusage
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(args)} failed: {errors.read().decode()[-800:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return {**result, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}


def spread(values: list[float]) -> dict[str, float]:
    """Median and spread (min, max) of repeated measurements."""
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4), "runs": len(values)}


def start_node() -> str:
    local_es.start(NODE)
    return NODE.url


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
