"""Matching 500 new notices against 1k / 10k / 100k subscriptions on the bench node.

Reuses bench/bench_matching.py (its notices, subscriptions, `one_run` and the old
one-query-per-subscription `baseline`). A run is what dispatch does for a poll: load the
instant subscriptions, fetch the 500 notices, match. One warm-up run per size, then `repeats`.
The baseline is timed the same way, except at sizes where the previous size's rate says
it would take more than `baseline_budget` seconds: there it is timed once (and says so).
"""
from __future__ import annotations

import json
import random
from typing import Any, Callable, Sequence

from bench import bench_matching as bm
from bench.common import figure, reset_indices, start_node
from connectors import store


def _times(es: Any, ids: list[str], matcher: Callable[..., Any], runs: int, warm: bool = True) -> list[dict[str, float]]:
    if warm:
        bm.one_run(es, ids, matcher)
    return [bm.one_run(es, ids, matcher) for _ in range(runs)]


def measure(repeats: int = 3, sizes: Sequence[int] = (1_000, 10_000, 100_000), notices: int = 500,
            baseline_budget: float = 240) -> dict[str, Any]:
    """The growth curve for the matcher and the baseline; ratios baseline/matcher per size."""
    es_url = start_node()
    reset_indices(es_url)
    es = store.connect(es_url)
    rng = random.Random(500)
    batch = bm.make_notices(rng, notices)
    store.upsert_notices(es, batch)
    ids = [n.id for n in batch]
    figures: dict[str, Any] = {}
    ratios: dict[str, float] = {}
    notes: list[str] = []
    have, per_sub = 0, 0.0
    try:
        for size in sorted(sizes):
            bm.add_subscriptions(es, rng, have, size)
            have = size
            ours = _times(es, ids, bm.match, repeats)
            _add(figures, f"{notices} notices × {size:,} subscriptions: matcher", ours)
            cheap = not per_sub or per_sub * size * (repeats + 1) <= baseline_budget
            theirs = _times(es, ids, bm.baseline, repeats if cheap else 1, warm=cheap)
            per_sub = min(r["total"] for r in theirs) / size
            _add(figures, f"{notices} notices × {size:,} subscriptions: one query per subscription", theirs)
            if not cheap:
                notes.append(f"{size:,} subscriptions: the one-query-per-subscription baseline was timed once, "
                             f"without warm-up (it would not fit {baseline_budget:.0f} s otherwise)")
            ratios[f"{size:,} subscriptions: baseline time / matcher time"] = round(
                figures[f"{notices} notices × {size:,} subscriptions: one query per subscription: total"]["median"]
                / figures[f"{notices} notices × {size:,} subscriptions: matcher: total"]["median"], 2)
        if 10_000 in sizes:
            ratios["matcher at 10,000 subscriptions / target 10 s"] = round(
                figures[f"{notices} notices × 10,000 subscriptions: matcher: total"]["median"] / 10, 3)
    finally:
        reset_indices(es_url)
    return {"figures": figures, "ratios": ratios, "notes": notes}


def _add(figures: dict[str, Any], label: str, runs: list[dict[str, float]]) -> None:
    figures[f"{label}: total"] = figure([r["total"] for r in runs], "s")
    figures[f"{label}: of which matching"] = figure([r["match"] for r in runs], "s")


if __name__ == "__main__":
    print(json.dumps(measure(repeats=1, sizes=(1_000, 10_000)), indent=2, ensure_ascii=False))
