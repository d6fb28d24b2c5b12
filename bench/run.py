"""`make bench`: run every benchmark (or the ones named), write bench/results.json and bench/README.md.

    .venv/bin/python -m bench.run                 # all of them (see bench/README.md for durations)
    .venv/bin/python -m bench.run polling         # one (or several) by name
    .venv/bin/python -m bench.run scale --scale-sizes 30/3,100/10   # a quick scale run
    .venv/bin/python -m bench.run --list

A benchmark that fails is recorded with its error and the others still run. Running some of
them keeps the other benchmarks' last results in results.json, each with its own date.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from bench import report
from bench.common import NODE, REPO, write_json
from infra import local_es

RESULTS = REPO / "bench" / "results.json"


def _polling(repeats: int) -> dict[str, Any]:
    from bench import polling

    return report.polling_result(polling.measure(repeats=repeats), _cdio(repeats))


def _cdio(repeats: int) -> dict[str, Any]:
    from bench import cdio

    try:
        return {"status": "measured", **cdio.measure(repeats=repeats)}
    except Exception as exc:  # noqa: BLE001 — any failure is the evidence to record
        return {"status": "not measured", "reason": f"{type(exc).__name__}: {exc}"}


def _understanding(repeats: int) -> dict[str, Any]:
    from bench import understanding

    return understanding.measure(repeats=repeats)


def _indexing(repeats: int) -> dict[str, Any]:
    from bench import indexing

    return indexing.measure(repeats=repeats)


def _matching(repeats: int) -> dict[str, Any]:
    from bench import matching

    return matching.measure(repeats=repeats)


def _scale(repeats: int) -> dict[str, Any]:
    from bench import scale

    return scale.measure()  # one cycle per size: the sizes are the repetitions (REGWATCH_BENCH_SCALE_SIZES)


def _latency(repeats: int) -> dict[str, Any]:
    from bench import latency

    return latency.measure(items=max(12, repeats))


BENCHMARKS: dict[str, Callable[[int], dict[str, Any]]] = {
    "polling": _polling, "scale": _scale, "understanding": _understanding, "indexing": _indexing,
    "matching": _matching, "latency": _latency,
}


def run_one(name: str, repeats: int) -> dict[str, Any]:
    """Run one benchmark; its result, or its error, with date and duration."""
    started, clock = datetime.now(timezone.utc), time.monotonic()
    print(f"== {name}: started {started:%H:%M:%S} UTC", file=sys.stderr, flush=True)
    try:
        entry: dict[str, Any] = {"status": "ok", "result": BENCHMARKS[name](repeats)}
        if entry["result"].get("errors"):  # e.g. politeness broken: the figures stay, the run fails
            entry.update(status="error", error="; ".join(entry["result"]["errors"]))
    except Exception as exc:  # noqa: BLE001 — recorded; the other benchmarks still run
        traceback.print_exc()
        entry = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    entry.update(date=started.isoformat(timespec="seconds"), seconds=round(time.monotonic() - clock, 1))
    print(f"== {name}: {entry['status']} in {entry['seconds']:.0f}s", file=sys.stderr, flush=True)
    return entry


def _python() -> str:
    path = Path(sys.executable)
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per figure (at least 3)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--scale-sizes", metavar="P/H,…",
                        help="the scale benchmark's sizes, PUBLISHERS/HOSTS each (default: "
                             "$REGWATCH_BENCH_SCALE_SIZES or 300/30,1000/100,3000/300,3000/60)")
    args = parser.parse_args()
    if args.scale_sizes:
        from bench.scale import parse_sizes

        try:
            parse_sizes(args.scale_sizes)
        except ValueError as exc:
            parser.error(str(exc))
        os.environ["REGWATCH_BENCH_SCALE_SIZES"] = args.scale_sizes
    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    if args.repeats < 3:
        parser.error("--repeats must be at least 3: every figure is a median of three or more")
    names = args.names or list(BENCHMARKS)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() and args.names else {"benchmarks": {}}
    results.update(machine={"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
                   command=" ".join([_python(), "-m bench.run", *sys.argv[1:]]))
    try:
        for name in names:
            results["benchmarks"][name] = run_one(name, args.repeats)
            results["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            write_json(RESULTS, results)
            (REPO / "bench" / "README.md").write_text(report.markdown(results))
    finally:
        local_es.stop(NODE)  # the bench node is ours; leave the machine as we found it
    failed = [n for n in names if results["benchmarks"][n]["status"] != "ok"]
    print(f"wrote {RESULTS.relative_to(REPO)} and bench/README.md; failed: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
