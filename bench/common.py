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
_PORT = int(os.environ.get("REGWATCH_BENCH_ES_PORT", "9280"))
# Node folders are shared by every checkout on the machine: a bench node moved to another port
# gets its own folder, so two benchmark runs side by side never share (or stop) one node.
NODE = local_es.Node(name=os.environ.get("REGWATCH_BENCH_ES_NAME", "bench" if _PORT == 9280 else f"bench-{_PORT}"),
                     port=_PORT)


def run_child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `python …` in a child; return its JSON line plus CPU seconds and peak RSS (MiB)."""
    with tempfile.TemporaryFile() as errors:
        proc, read_usage = _spawn([sys.executable, *args], subprocess.DEVNULL, subprocess.PIPE, errors, env)
        out = proc.stdout.read()
        usage = read_usage()
        if proc.wait() != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(args)} failed: {errors.read().decode()[-800:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return {**result, "cpu": usage["cpu"], "peak_mib": usage["peak_mib"]}


def _spawn(argv: list[str], stdin: Any, stdout: Any, stderr: Any,
           env: dict[str, str] | None) -> tuple[subprocess.Popen, Any]:
    """Start `argv` under bench.rusage; return the process and a reader of its CPU and peak RSS."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "bench.rusage", str(write_fd), *argv], stdin=stdin,
                            stdout=stdout, stderr=stderr, env={**os.environ, **(env or {})}, cwd=REPO,
                            pass_fds=(write_fd,))
    os.close(write_fd)

    def read_usage() -> dict[str, float]:
        with os.fdopen(read_fd) as report:
            return json.loads(report.read() or '{"wall": 0, "cpu": 0, "peak_mib": 0}')
    return proc, read_usage


def run_command(argv: list[str], stdin: Path | None = None, env: dict[str, str] | None = None,
                timeout: float = 1800) -> dict[str, Any]:
    """Run any command (stdin from a file, stdout discarded); return wall, CPU seconds, peak RSS (MiB)."""
    with tempfile.TemporaryFile() as errors, open(stdin or os.devnull, "rb") as source:
        proc, read_usage = _spawn(argv, source, subprocess.DEVNULL, errors, env)
        usage = read_usage()  # wall is timed inside the wrapper: its own start-up is not counted
        if proc.wait(timeout) != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(argv)} failed: {errors.read().decode()[-800:]}")
    return usage


def spread(values: list[float]) -> dict[str, float]:
    """Median and spread (min, max) of repeated measurements."""
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4), "runs": len(values)}


def figure(values: list[float], unit: str) -> dict[str, Any]:
    """A reported figure: median, min, max and run count of `values`, with its unit."""
    return {**spread(values), "unit": unit}


def start_node() -> str:
    """Start (or reuse) the dedicated bench Elasticsearch node; return its URL."""
    local_es.start(NODE)
    return NODE.url


def reset_indices(es_url: str) -> None:
    """Delete every regwatch index on the bench node and create them afresh."""
    from connectors import store

    es = store.connect(es_url)
    for index in store.INDICES.values():
        es.options(ignore_status=404).indices.delete(index=index)
    store.ensure_indices(es)


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
