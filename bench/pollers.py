"""The pollers under test, each run in its own process so CPU time and peak memory are its own.

    python -m bench.pollers regwatch CATALOG       regwatch's cycle (fetch, normalise, index)
    python -m bench.pollers naive URLS STATE       what a user would otherwise run from cron:
                                                   requests + feedparser, one feed after another
Each prints one JSON line: {"wall": seconds, "items": n, "errors": n}.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def regwatch(catalog: str) -> dict:
    from connectors import store
    from connectors.catalog import load_catalog
    from connectors.http import HttpOptions
    from regwatch.pipeline import run_cycle

    sources = load_catalog(catalog)
    es = store.connect()
    start = time.monotonic()
    summary = run_cycle(es, sources, options=HttpOptions(politeness=0))
    return {"wall": time.monotonic() - start, "items": sum(p.seen for p in summary.polls),
            "errors": sum(1 for p in summary.polls if p.error)}


def naive(urls_file: str, state_file: str) -> dict:
    import feedparser
    import requests

    urls = Path(urls_file).read_text().split()
    state = Path(state_file)
    seen = set(json.loads(state.read_text())) if state.exists() else set()
    start, items, errors = time.monotonic(), 0, 0
    for url in urls:
        try:
            response = requests.get(url, timeout=30)
            response.raise_for_status()
        except requests.RequestException:
            errors += 1
            continue
        for entry in feedparser.parse(response.content).entries:
            items += 1
            if entry.link not in seen:
                seen.add(entry.link)
    state.write_text(json.dumps(sorted(seen)))
    return {"wall": time.monotonic() - start, "items": items, "errors": errors}


if __name__ == "__main__":
    which, *args = sys.argv[1:]
    print(json.dumps({"regwatch": regwatch, "naive": naive}[which](*args)))
