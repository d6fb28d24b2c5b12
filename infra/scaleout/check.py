"""After a scale-out run: no notice lost or duplicated, no alert sent twice. Prints the figures.

    python -m infra.scaleout.check --publishers 200 --runs 1 --mailbox DIR --feeds URL
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from email import message_from_binary_file
from pathlib import Path
from typing import Any

import httpx

from alerts import subscriptions
from alerts.match import query_for
from connectors import store
from infra.scaleout.feeds import TITLES


def figures(es: Any, mailbox: Path, feeds: str) -> dict[str, Any]:
    """Count notices, publishers, ledger entries, messages and feed requests."""
    aggs = es.search(index=store.NOTICES, size=0, aggs={
        "per_source": {"terms": {"field": "source_id", "size": 10000}},
        "dup_urls": {"terms": {"field": "url", "min_doc_count": 2, "size": 10}}})["aggregations"]
    ledger = es.search(index="regwatch-deliveries", size=0, aggs={
        "status": {"terms": {"field": "status"}},
        "resent": {"filter": {"range": {"attempts": {"gt": 1}}}}})
    expected_alerts = sum(
        es.count(index=store.NOTICES, query=query_for(sub.filters))["count"]
        for sub in subscriptions.list_all(es))
    message_ids = Counter(_message_id(p) for p in mailbox.glob("*/*") if p.is_file())
    hits = httpx.get(f"{feeds}/_hits", timeout=10).json()
    return {
        "notices": es.count(index=store.NOTICES)["count"],
        "publishers_with_notices": len(aggs["per_source"]["buckets"]),
        "notices_per_publisher": sorted({b["doc_count"] for b in aggs["per_source"]["buckets"]}),
        "duplicate_urls": [b["key"] for b in aggs["dup_urls"]["buckets"]],
        "publishers_ok": es.count(index="regwatch-sources", query={"term": {"status": "ok"}})["count"],
        "alerts_expected": expected_alerts,
        "ledger": {b["key"]: b["doc_count"] for b in ledger["aggregations"]["status"]["buckets"]},
        "ledger_attempts_over_1": ledger["aggregations"]["resent"]["doc_count"],
        "messages": sum(message_ids.values()),
        "duplicate_message_ids": sorted(m for m, c in message_ids.items() if c > 1),
        "feed_requests": sorted(Counter(hits.values()).items()),
    }


def problems(f: dict[str, Any], publishers: int, runs: int, *, faults: bool = False) -> list[str]:
    """Return what breaks the promises (empty: none lost, none duplicated, none sent twice).

    With `faults`, a publisher may have been fetched more than once a run: a task instance
    whose worker was killed mid-poll is retried and fetches its feed again. That is the
    at-least-once half of the promise; the notices and alerts must still come out exactly once.
    """
    out = []
    if f["notices"] != publishers * len(TITLES):
        out.append(f"notices: {f['notices']} != {publishers * len(TITLES)}")
    if f["notices_per_publisher"] != [len(TITLES)] or f["publishers_with_notices"] != publishers:
        out.append("some publisher lost notices")
    if f["duplicate_urls"]:
        out.append(f"duplicated notices: {f['duplicate_urls']}")
    if f["publishers_ok"] != publishers:
        out.append(f"publishers ok: {f['publishers_ok']} != {publishers}")
    if f["ledger"] != {"sent": f["alerts_expected"]}:
        out.append(f"ledger {f['ledger']} != {{'sent': {f['alerts_expected']}}}")
    if f["ledger_attempts_over_1"] or f["duplicate_message_ids"]:
        out.append("an alert was sent more than once")
    if f["messages"] != f["alerts_expected"]:
        out.append(f"messages: {f['messages']} != {f['alerts_expected']}")
    fetched = sum(n for _, n in f["feed_requests"])
    too_few = [(times, n) for times, n in f["feed_requests"] if times < runs]
    if faults and (fetched != publishers or too_few):
        out.append(f"feed requests {f['feed_requests']}: every one of {publishers} at least {runs} times")
    elif not faults and f["feed_requests"] != [(runs, publishers)]:
        out.append(f"feed requests {f['feed_requests']} != [({runs}, {publishers})]")
    return out


def _message_id(path: Path) -> str:
    with path.open("rb") as fh:
        return str(message_from_binary_file(fh).get("Message-ID"))


def main() -> int:
    """Print the figures as one JSON line; exit 1 if a promise is broken."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publishers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--mailbox", type=Path, required=True)
    parser.add_argument("--feeds", required=True)
    parser.add_argument("--faults", action="store_true", help="workers were killed: feeds may be re-fetched")
    parser.add_argument("--out", type=Path, help="also write the figures and problems here (JSON)")
    args = parser.parse_args()
    f = figures(store.connect(), args.mailbox, args.feeds)
    print(json.dumps(f, ensure_ascii=False))
    broken = problems(f, args.publishers, args.runs, faults=args.faults)
    if args.out:
        args.out.write_text(json.dumps({"figures": f, "problems": broken}, ensure_ascii=False))
    for line in broken:
        print(f"scaleout check: {line}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
