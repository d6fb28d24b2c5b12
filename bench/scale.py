"""Scaling one regwatch cycle: 300, 1,000 and 3,000 loopback publishers at 10 feeds per host.

    .venv/bin/python -m bench.scale                  # the default sizes (several minutes)
    .venv/bin/python -m bench.scale 30/3,100/10      # a quick development run

A size is PUBLISHERS/HOSTS. Each size is one first-round cycle (`bench.pollers regwatch`) in a
child process on freshly created indices; the largest size on the most hosts is then polled a
second time with nothing changed. Measured per cycle: wall, CPU seconds (and per publisher), peak
memory, requests, the most concurrent requests any host saw (regwatch promises 1: more is recorded
as an error) and the network floor (the busiest host's served latencies). 3,000 publishers on 60
hosts next to 3,000 on 300 separates the cost of hosts from the cost of publishers.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import start_node
from bench.farm import Farm
from bench.polling import _reset, _round, catalog, politeness_errors
from bench.report import Target, check_targets, ratio

DEFAULT_SIZES = "300/30,1000/100,3000/300,3000/60"
WALL_LIMIT_S, PEAK_LIMIT_MIB = 60, 300  # issue 16, for the largest size


@dataclass(frozen=True)
class Size:
    publishers: int
    hosts: int

    @property
    def feeds_per_host(self) -> int:
        return self.publishers // self.hosts

    @property
    def label(self) -> str:
        return f"{self.publishers:,} publishers on {self.hosts} hosts"


def parse_sizes(text: str) -> list[Size]:
    """'300/30,3000/300' → sizes; a clear ValueError for anything else."""
    sizes = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            publishers, hosts = (int(v) for v in part.split("/"))
        except ValueError:
            raise ValueError(f"a size is PUBLISHERS/HOSTS, e.g. 300/30, not {part!r}") from None
        if hosts < 1 or publishers < hosts or publishers % hosts:
            raise ValueError(f"size {part!r}: publishers must be a positive multiple of hosts")
        sizes.append(Size(publishers, hosts))
    if not sizes:
        raise ValueError("no sizes given")
    return sizes


def sizes_from_env() -> list[Size]:
    return parse_sizes(os.environ.get("REGWATCH_BENCH_SCALE_SIZES", DEFAULT_SIZES))


def row(size: Size, rnd: str, result: dict[str, Any]) -> dict[str, Any]:
    """One cycle's line of the table."""
    return {"publishers": size.publishers, "hosts": size.hosts, "round": rnd,
            "wall": round(result["wall"], 2), "cpu": round(result["cpu"], 2),
            "cpu_ms_per_publisher": round(1000 * result["cpu"] / size.publishers, 2),
            "peak_mib": round(result["peak_mib"], 1), "requests": result["requests"],
            "max_concurrent_per_host": result["max_concurrent_per_host"],
            "network_floor": result["network_floor"], "wall_over_floor": ratio(result["wall"], result["network_floor"]),
            "items": result["items"], "errors": result["errors"], "bytes": result["bytes"]}


def _largest(sizes: list[Size]) -> Size:
    return max(sizes, key=lambda s: (s.publishers, s.hosts))


def measure(sizes: list[Size] | None = None) -> dict[str, Any]:
    """One cycle per size (and the unchanged second round at the largest); the table and targets."""
    sizes = sizes or sizes_from_env()
    es_url, largest, rows = start_node(), _largest(sizes), []
    for size in sizes:
        farm = Farm(hosts=size.hosts, feeds_per_host=size.feeds_per_host).start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                cat = catalog(farm.urls(), Path(tmp) / "catalog.yaml")
                _reset(es_url)
                args, env = ["-m", "bench.pollers", "regwatch", str(cat)], {"ES_URL": es_url}
                rows.append(row(size, "first", _round(farm, args, env)))
                print(f"   scale {size.label}: {rows[-1]['wall']} s", file=sys.stderr, flush=True)
                if size == largest:
                    rows.append(row(size, "second", _round(farm, args, env)))
        finally:
            farm.stop()
    return summarise(rows, largest)


def _find(rows: list[dict[str, Any]], publishers: int, hosts: int, rnd: str = "first") -> dict[str, Any] | None:
    return next((r for r in rows if (r["publishers"], r["hosts"], r["round"]) == (publishers, hosts, rnd)), None)


def summarise(rows: list[dict[str, Any]], largest: Size) -> dict[str, Any]:
    """Targets at the largest size, growth from the smallest to the largest, politeness errors."""
    top, top2 = _find(rows, largest.publishers, largest.hosts), _find(rows, largest.publishers, largest.hosts, "second")
    assert top is not None
    at = f"{largest.publishers:,} publishers on {largest.hosts} hosts"
    targets = (Target(f"wall of one cycle of {at} (s)", "≤", WALL_LIMIT_S),
               Target(f"peak memory of one cycle of {at} (MiB)", "≤", PEAK_LIMIT_MIB))
    result: dict[str, Any] = {
        "rows": rows, "ratios": {}, "growth": [],
        "targets": check_targets({targets[0].name: top["wall"], targets[1].name: top["peak_mib"]}, targets),
        "errors": politeness_errors({f"regwatch {r['publishers']}/{r['hosts']} {r['round']} round":
                                     r["max_concurrent_per_host"] for r in rows},
                                    tuple(f"regwatch {r['publishers']}/{r['hosts']} {r['round']} round" for r in rows))}
    if top2:
        result["ratios"][f"second-round wall / first-round wall at {at}"] = ratio(top2["wall"], top["wall"], 3)
    # The growth line: sizes with the largest size's feeds per host, smallest to largest.
    line = sorted((r for r in rows if r["round"] == "first" and r["publishers"] // r["hosts"] == largest.feeds_per_host),
                  key=lambda r: r["publishers"])
    if len(line) > 1 and line[0] is not top:
        low = line[0]
        growth = {"wall": ratio(top["wall"], low["wall"]), "cpu": ratio(top["cpu"], low["cpu"]),
                  "hosts": ratio(top["hosts"], low["hosts"]), "publishers": ratio(top["publishers"], low["publishers"])}
        for k, v in growth.items():
            result["ratios"][f"{k} at {top['publishers']:,} / {k} at {low['publishers']:,}"] = v
        result["growth"].append(
            f"from {low['publishers']:,} to {top['publishers']:,} publishers ({low['hosts']} to {top['hosts']} hosts) "
            f"wall grew {growth['wall']}×, CPU {growth['cpu']}×, hosts {growth['hosts']}×, "
            f"publishers {growth['publishers']}×.")
    for other in rows:  # the same publishers on fewer hosts: what hosts cost, publishers fixed
        if other["round"] == "first" and other["publishers"] == top["publishers"] and other["hosts"] < top["hosts"]:
            key = f"wall on {other['hosts']} hosts / wall on {top['hosts']} hosts ({top['publishers']:,} publishers)"
            result["ratios"][key] = ratio(other["wall"], top["wall"])
            result["growth"].append(
                f"{top['publishers']:,} publishers on {other['hosts']} hosts took {other['wall']} s "
                f"(floor {other['network_floor']} s) against {top['wall']} s on {top['hosts']} hosts "
                f"(floor {top['network_floor']} s).")
    return result


if __name__ == "__main__":
    chosen = parse_sizes(sys.argv[1]) if len(sys.argv) > 1 else None
    print(json.dumps(measure(chosen), indent=2))
