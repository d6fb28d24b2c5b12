"""Indexing into the bench node: `store.upsert_notices` (bulk, with created/updated/unchanged
accounting) versus one index request per notice, for 10k and 100k generated notices, plus the
cost of a re-run where nothing changed.

One request per notice is slow: it is timed on 10k `repeats` times, and on 100k once if the
10k rate says that fits in `naive_budget` seconds, else on a 20k sample (the report says which).
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable, Sequence

from bench.common import figure, reset_indices, start_node
from bench.corpus import notices as make_notices
from connectors import store
from records.notice import Notice


def bulk(es: Any, batch: Sequence[Notice]) -> dict[str, int]:
    """regwatch's way: one mget pass to learn what changed, bulk-write only that."""
    result = store.upsert_notices(es, batch)
    return {"created": len(result.created), "updated": len(result.updated),
            "unchanged": len(result.unchanged)}


def one_by_one(es: Any, batch: Sequence[Notice]) -> dict[str, int]:
    """The naive way: one index request per notice (rewritten every time), one refresh at the end."""
    outcomes: dict[str, int] = {}
    for notice in batch:
        result = es.index(index=store.NOTICES, id=notice.id, document=notice.to_doc())["result"]
        outcomes[result] = outcomes.get(result, 0) + 1
    es.indices.refresh(index=store.NOTICES)
    return outcomes


def _timed(fn: Callable[..., dict[str, int]], es: Any, batch: Sequence[Notice]) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    outcome = fn(es, batch)
    return time.perf_counter() - start, outcome


def _pair(es_url: str, fn: Callable[..., dict[str, int]], batch: Sequence[Notice],
          rerun: bool = True) -> dict[str, Any]:
    """Into an empty index: a first run, then (unless told not to) a re-run of the same notices."""
    reset_indices(es_url)
    es = store.connect(es_url)
    first, first_out = _timed(fn, es, batch)
    again, again_out = _timed(fn, es, batch) if rerun else (None, {})
    return {"first": first, "rerun": again, "first_outcome": first_out, "rerun_outcome": again_out}


def measure(repeats: int = 3, sizes: Sequence[int] = (10_000, 100_000), naive_budget: float = 300) -> dict[str, Any]:
    """Throughput of both ways for each size; the naive one on a bounded sample (see module doc)."""
    es_url = start_node()
    figures: dict[str, Any] = {}
    ratios: dict[str, float] = {}
    notes: list[str] = []
    outcomes: dict[str, Any] = {}
    corpus = make_notices(max(sizes))
    naive_rate = 0.0
    for size in sorted(sizes):
        batch = corpus[:size]
        runs = [_pair(es_url, bulk, batch) for _ in range(repeats)]
        _add(figures, f"bulk upsert, {size:,}", size, runs)
        outcomes[f"bulk {size}"] = {"first": runs[-1]["first_outcome"], "rerun": runs[-1]["rerun_outcome"]}
        naive_n, naive_repeats = _naive_plan(size, repeats, naive_rate, naive_budget)
        sample = naive_n != size
        naive = [_pair(es_url, one_by_one, corpus[:naive_n], rerun=not sample) for _ in range(naive_repeats)]
        naive_rate = naive_rate or naive_n / min(r["first"] for r in naive)
        label = f"one request per notice, {naive_n:,}" + (f" (sample for {size:,})" if naive_n != size else "")
        _add(figures, label, naive_n, naive)
        outcomes[f"one-by-one {naive_n}"] = {"first": naive[-1]["first_outcome"], "rerun": naive[-1]["rerun_outcome"]}
        if sample:
            notes.append(f"{size:,} notices: one-request-per-notice measured on a {naive_n:,} sample, once, "
                         f"first run only (even one run of {size:,} would not fit {naive_budget:.0f} s "
                         "at the rate measured on 10k)")
        elif naive_repeats != repeats:
            notes.append(f"{size:,} notices: one-request-per-notice measured once on all {size:,} "
                         f"({repeats} runs would not fit {naive_budget:.0f} s at the rate measured on 10k)")
        bulk_rate = figures[f"bulk upsert, {size:,}: first run"]["median"]
        naive_first = figures[f"{label}: first run"]["median"]
        ratios[f"{size:,}: bulk throughput / one-per-notice throughput"] = round(bulk_rate / naive_first, 2)
        ratios[f"{size:,}: bulk unchanged re-run time / bulk first-run time"] = round(
            figures[f"bulk upsert, {size:,}: re-run time, nothing changed"]["median"]
            / figures[f"bulk upsert, {size:,}: first-run time"]["median"], 3)
    reset_indices(es_url)
    return {"figures": figures, "ratios": ratios, "notes": notes, "outcomes": outcomes}


def _naive_plan(size: int, repeats: int, rate: float, budget: float) -> tuple[int, int]:
    if not rate or size / rate * 2 * repeats <= budget:  # first run and re-run, each repeat
        return size, repeats
    if size / rate * 2 <= budget:
        return size, 1
    return min(size, 20_000), 1  # first run only


def _add(figures: dict[str, Any], label: str, size: int, runs: list[dict[str, Any]]) -> None:
    figures[f"{label}: first run"] = figure([size / r["first"] for r in runs], "notices/s")
    figures[f"{label}: first-run time"] = figure([r["first"] for r in runs], "s")
    if runs[0]["rerun"] is not None:
        figures[f"{label}: re-run time, nothing changed"] = figure([r["rerun"] for r in runs], "s")


if __name__ == "__main__":
    print(json.dumps(measure(repeats=1, sizes=(10_000,)), indent=2))
