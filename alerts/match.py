"""Matching: which of a poll's new notices each subscription wants, asked of Elasticsearch."""
from __future__ import annotations

from typing import Any, Sequence

from elasticsearch import Elasticsearch

from alerts.subscriptions import Filters, Subscription
from connectors.store import NOTICES, text_query

_BATCH = 200


def query_for(filters: Filters, notice_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Return the Elasticsearch query selecting the notices these filters want."""
    clauses: list[dict[str, Any]] = []
    if notice_ids is not None:
        clauses.append({"ids": {"values": list(notice_ids)}})
    if filters.blockchain_only:
        clauses.append({"term": {"blockchain": True}})
    for field, values in (("source_id", filters.sources), ("jurisdiction", filters.jurisdictions),
                          ("kind", filters.kinds), ("stage", filters.stages),
                          ("level", filters.levels), ("standard_numbers", filters.standard_numbers)):
        if values:
            clauses.append({"terms": {field: list(values)}})
    query: dict[str, Any] = {"bool": {"filter": clauses}}
    if filters.text:
        query["bool"]["must"] = [text_query(filters.text)]
    return query


def match(es: Elasticsearch, notice_ids: Sequence[str],
          subscriptions: Sequence[Subscription]) -> dict[str, list[str]]:
    """Return subscription id -> ids of the given notices it matches (msearch in batches)."""
    if not notice_ids or not subscriptions:
        return {}
    out: dict[str, list[str]] = {}
    for start in range(0, len(subscriptions), _BATCH):
        batch = subscriptions[start:start + _BATCH]
        searches: list[dict[str, Any]] = []
        for sub in batch:
            searches += [{"index": NOTICES}, {"query": query_for(sub.filters, notice_ids),
                                              "size": len(notice_ids), "_source": False}]
        for sub, resp in zip(batch, es.msearch(searches=searches)["responses"]):
            if "error" in resp:
                raise RuntimeError(f"matching subscription {sub.id} failed: {resp['error']}")
            ids = [h["_id"] for h in resp["hits"]["hits"]]
            if ids:
                out[sub.id] = sorted(ids, key=list(notice_ids).index)
    return out
