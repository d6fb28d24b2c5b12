"""Benchmark: match 500 new notices against 1k / 10k / 100k subscriptions on a real node.

Usage (the node must be one you may write to; it refuses a node that holds regwatch data
unless --wipe is given, and removes what it created when done):

    ES_URL=http://127.0.0.1:9441 .venv/bin/python bench/bench_matching.py --sizes 1000 10000

Each size is timed three times (after one warm-up run). A run is what dispatch does for a poll:
load the instant subscriptions, fetch the 500 notices by id, match. Prints JSON: per size the
median and spread (min, max) in seconds, the split between loading and matching, and how many
distinct filter sets and free texts the subscriptions had. ``--baseline`` also times the old
approach (one Elasticsearch query per subscription, msearch in batches of 200) for comparison.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from elasticsearch.helpers import bulk  # noqa: E402

from alerts import subscriptions  # noqa: E402
from alerts.match import match, query_for  # noqa: E402
from alerts.subscriptions import Filters, Subscription  # noqa: E402
from connectors import store  # noqa: E402
from records.notice import Notice, content_hash, notice_id  # noqa: E402

SOURCES = [f"bench-src-{i:02d}" for i in range(20)]
TERMS = ["区块链", "分布式记账", "跨链", "智能合约", "数字身份", "存证", "供应链金融", "隐私计算", "共识机制",
         "数字人民币", "可信数据", "电子签名", "数据安全", "密码应用", "溯源", "元宇宙", "数字资产", "金融科技",
         "blockchain", "distributed ledger", "smart contract", "interoperability", "identity", "custody",
         "tokenization", "DLT", "consensus", "privacy", "cryptography", "traceability"]
STAGES = ["plan", "draft", "published", "effective", "withdrawn"]
LEVELS = ["international", "national", "industry", "local", "group"]
NUMBERS = ["GB/T 42570-2023", "JR/T 0184-2020", "DB4403/T 350-2023", "T/CESA 1287-2023", "ISO 22739:2024",
           "ISO/TS 23635:2022", "ITU-T X.1400", "IEEE 2418.2-2020"]


def make_notices(rng: random.Random, count: int) -> list[Notice]:
    """Notices shaped like a busy poll: mixed publishers, stages, languages and topics."""
    out = []
    for i in range(count):
        terms = rng.sample(TERMS, 2)
        title = f"关于公开征求《{terms[0]} {terms[1]} 技术要求》标准（征求意见稿）意见的通知 {i}"
        url, source = f"https://bench.example/{i}.html", rng.choice(SOURCES)
        stage = rng.choice(STAGES)
        out.append(Notice(
            id=notice_id("bench", url), source_id=source, issuer="bench", jurisdiction=rng.choice(["CN", "INTL", "CN-GD-SZ"]),
            url=url, title=title, summary=f"{rng.choice(TERMS)} 相关标准 {rng.choice(TERMS)}", body="", lang="zh",
            published_at="2026-11-20T16:35:00+08:00", fetched_at="2026-11-29T02:00:00+00:00",
            blockchain=rng.random() < 0.6, kind=rng.choice(["standard", "standard", "policy", "other"]), stage=stage,
            level=rng.choice(LEVELS), standard_numbers=rng.sample(NUMBERS, rng.randint(0, 2)), standard_key=None,
            comment_deadline=None, attachments=[], content_hash=content_hash(title, stage), warnings=[]))
    return out


def make_filters(rng: random.Random) -> Filters:
    """A plausible subscription: mostly keyword filters, about a third with free text."""
    pick = lambda values, most: tuple(sorted(rng.sample(values, rng.randint(0, most))))  # noqa: E731
    text = " ".join(rng.sample(TERMS, rng.randint(1, 2))) if rng.random() < 0.3 else ""
    return Filters(sources=pick(SOURCES, 3) if rng.random() < 0.4 else (),
                   jurisdictions=pick(["CN", "INTL", "CN-GD-SZ"], 1), kinds=("standard",) if rng.random() < 0.8 else (),
                   stages=pick(STAGES, 2), levels=pick(LEVELS, 2) if rng.random() < 0.3 else (),
                   standard_numbers=pick(NUMBERS, 1) if rng.random() < 0.1 else (), text=text,
                   blockchain_only=rng.random() < 0.7)


def add_subscriptions(es: Any, rng: random.Random, start: int, stop: int) -> None:
    docs = ({"_index": subscriptions.INDEX, "_id": f"bench-{i:06d}",
             "_source": Subscription(f"bench-{i:06d}", "console", "console", make_filters(rng),
                                     "2026-01-01T00:00:00+00:00").to_doc()} for i in range(start, stop))
    bulk(es.options(request_timeout=120), docs, chunk_size=2000)
    es.indices.refresh(index=subscriptions.INDEX)


def one_run(es: Any, ids: list[str], matcher: Callable[..., Any]) -> dict[str, float]:
    t0 = time.perf_counter()
    subs = subscriptions.list_all(es, mode="instant")
    notices = store.get_notices(es, ids)
    t1 = time.perf_counter()
    matched = matcher(es, notices, subs)
    t2 = time.perf_counter()
    return {"total": t2 - t0, "load": t1 - t0, "match": t2 - t1, "matched_subscriptions": len(matched)}


def baseline(es: Any, notices: list[Notice], subs: list[Subscription]) -> dict[str, list[str]]:
    """The previous matcher: one query per subscription, msearch in batches of 200."""
    ids, out = [n.id for n in notices], {}
    for start in range(0, len(subs), 200):
        batch, searches = subs[start:start + 200], []
        for sub in batch:
            searches += [{"index": store.NOTICES}, {"query": query_for(sub.filters, ids), "size": len(ids),
                                                    "_source": False}]
        for sub, resp in zip(batch, es.msearch(searches=searches)["responses"]):
            if resp["hits"]["hits"]:
                out[sub.id] = [h["_id"] for h in resp["hits"]["hits"]]
    return out


def timed(es: Any, ids: list[str], matcher: Callable[..., Any], runs: int) -> dict[str, Any]:
    one_run(es, ids, matcher)  # warm-up: caches and JIT, as in a long-running scheduler
    samples = [one_run(es, ids, matcher) for _ in range(runs)]
    totals = [s["total"] for s in samples]
    return {"median_s": round(statistics.median(totals), 3), "min_s": round(min(totals), 3),
            "max_s": round(max(totals), 3),
            "median_load_s": round(statistics.median(s["load"] for s in samples), 3),
            "median_match_s": round(statistics.median(s["match"] for s in samples), 3),
            "matched_subscriptions": samples[-1]["matched_subscriptions"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--notices", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", action="store_true", help="also time one query per subscription")
    parser.add_argument("--wipe", action="store_true", help="run even if the node holds regwatch data")
    args = parser.parse_args()
    if not os.environ.get("ES_URL"):
        parser.error("set ES_URL to the node to benchmark against")
    es = store.connect()
    store.ensure_indices(es)
    held = sum(es.count(index=i)["count"] for i in (store.NOTICES, subscriptions.INDEX))
    if held and not args.wipe:
        parser.error(f"{os.environ['ES_URL']} holds {held} notices/subscriptions; use an empty node or --wipe")
    rng = random.Random(500)
    notices = make_notices(rng, args.notices)
    store.upsert_notices(es, notices)
    ids = [n.id for n in notices]
    report: dict[str, Any] = {"es_url": os.environ["ES_URL"], "notices": len(ids), "runs": args.runs,
                              "cpus": os.cpu_count(), "sizes": []}
    have = 0
    try:
        for size in sorted(args.sizes):
            add_subscriptions(es, rng, have, size)
            have = size
            subs = subscriptions.list_all(es, mode="instant")
            row = {"subscriptions": size, "distinct_filters": len({s.filters for s in subs}),
                   "distinct_texts": len({s.filters.text for s in subs if s.filters.text}),
                   "matching": timed(es, ids, match, args.runs)}
            if args.baseline:
                row["baseline_one_query_per_subscription"] = timed(es, ids, baseline, args.runs)
            report["sizes"].append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        # Bulk deletes by id: this node type has no _delete_by_query (no reindex module).
        gone = [(subscriptions.INDEX, f"bench-{i:06d}") for i in range(have)] + [(store.NOTICES, i) for i in ids]
        bulk(es.options(request_timeout=120), ({"_op_type": "delete", "_index": index, "_id": doc_id}
                                               for index, doc_id in gone), chunk_size=5000, raise_on_error=False)
        es.indices.refresh(index=[subscriptions.INDEX, store.NOTICES])
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
