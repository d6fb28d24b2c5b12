"""Polling 300 loopback publishers (100–300 ms each, 5% failing): regwatch versus naive cron.

Each poller runs in its own process, twice in a row: a first round, then a second with
nothing changed (regwatch answers that one from conditional GET). Measured: wall time of
the round, bytes on the wire (counted by the server), CPU time and peak memory of the process,
and from the farm the most concurrent requests any host saw and the round's network floor (the
busiest host's served latencies). regwatch promises one request at a time per host: a round in
which a host saw two is recorded as an error; the naive loop's maxima are only reported.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench.common import run_child, spread, start_node
from bench.farm import Farm
from connectors import store


def catalog(urls: list[str], path: Path) -> Path:
    entries = [{"id": f"bench-{i:03d}", "kind": "rss", "url": url, "jurisdiction": "CN",
                "allow_private": True} for i, url in enumerate(urls)]
    path.write_text(yaml.safe_dump(entries))
    return path


def _reset(es_url: str) -> None:
    es = store.connect(es_url)
    for index in store.INDICES.values():
        es.options(ignore_status=404).indices.delete(index=index)


def _round(farm: Farm, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    farm.reset()
    result = run_child(args, env)
    return {**result, "bytes": farm.bytes_out, "requests": farm.requests, **farm.load()}


POLITE = ("regwatch_first", "regwatch_second")  # the pollers that promise one request per host


def politeness_errors(maxima: dict[str, int], polite: tuple[str, ...] = POLITE) -> list[str]:
    """One line per promised-polite round in which some host served two requests at once."""
    return [f"{name}: a host saw {maxima[name]} concurrent requests (promised: at most 1)"
            for name in polite if maxima.get(name, 0) > 1]


def measure(repeats: int = 3) -> dict[str, Any]:
    """Both pollers, both rounds, `repeats` times each; medians and spreads."""
    es_url = start_node()
    farm = Farm().start()
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in
                                              ("regwatch_first", "regwatch_second", "naive_first", "naive_second")}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            cat = catalog(farm.urls(), tmp_path / "catalog.yaml")
            (tmp_path / "urls.txt").write_text("\n".join(farm.urls()))
            env = {"ES_URL": es_url}
            for _ in range(repeats):
                _reset(es_url)
                for round_name in ("first", "second"):
                    runs[f"regwatch_{round_name}"].append(
                        _round(farm, ["-m", "bench.pollers", "regwatch", str(cat)], env))
                state = tmp_path / "naive-state.json"
                state.unlink(missing_ok=True)
                for round_name in ("first", "second"):
                    runs[f"naive_{round_name}"].append(_round(
                        farm, ["-m", "bench.pollers", "naive", str(tmp_path / "urls.txt"), str(state)], env))
    finally:
        farm.stop()
    return summarise(runs, publishers=len(farm.urls()))


def summarise(runs: dict[str, list[dict[str, Any]]], publishers: int) -> dict[str, Any]:
    out: dict[str, Any] = {"publishers": publishers, "failing": round(publishers * 0.05)}
    for name, results in runs.items():
        out[name] = {k: spread([r[k] for r in results]) for k in ("wall", "bytes", "cpu", "peak_mib",
                                                                   "network_floor")}
        out[name]["items"] = results[-1]["items"]
        out[name]["errors"] = results[-1]["errors"]
        # The worst over every run: one impolite moment is enough.
        out[name]["max_concurrent_per_host"] = max(r["max_concurrent_per_host"] for r in results)
        floor = out[name]["network_floor"]["median"]
        out[name]["wall_over_floor"] = round(out[name]["wall"]["median"] / floor, 2) if floor else None
    out["politeness_errors"] = politeness_errors({n: out[n]["max_concurrent_per_host"] for n in runs})
    rw, nv = out["regwatch_first"], out["naive_first"]
    out["ratios"] = {
        "wall_naive_over_regwatch": round(nv["wall"]["median"] / rw["wall"]["median"], 2),
        "second_round_bytes_share_regwatch": round(
            out["regwatch_second"]["bytes"]["median"] / rw["bytes"]["median"], 4),
        "second_round_bytes_share_naive": round(
            out["naive_second"]["bytes"]["median"] / nv["bytes"]["median"], 4),
    }
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(measure(repeats=1), indent=2))
