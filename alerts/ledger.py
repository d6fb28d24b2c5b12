"""The delivery ledger: one document per subscription x notice x stage, so nothing is sent twice.

Order of work for one alert: ``claim`` (create the document, op_type=create) -> send ->
``mark_sent``. A second dispatcher or a rerun finds the document and skips it. Other keys in
the same index: ``reminder:<deadline>`` stages (one reminder per subscription x notice x
deadline) and ``digest`` documents (notice_id ``digest:<local date>``, one per subscription
and day).

The one window left: a crash (or a lost connection to Elasticsearch) after the channel
accepted the message and before ``mark_sent`` leaves the claim 'pending', and the next run
sends that message again. ``mark_sent`` runs immediately after the send returns, so the
window is one Elasticsearch round trip - for a flood summary or a digest, one bulk update
covering all its notices. Email resends carry the same deterministic Message-ID, which many
mail systems drop as a duplicate; Slack has no idempotency key, so there the resend is
visible. Related, outside the ledger: when the Slack API times out or answers 5xx after
having posted, the transport retry (alerts/slack.py) posts again; 429 answers are safe to
retry because Slack did not post.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Sequence

from elasticsearch import ConflictError, Elasticsearch, NotFoundError
from elasticsearch.helpers import bulk

INDEX = "regwatch-deliveries"


def key(subscription_id: str, notice_id: str, stage: str | None) -> str:
    """The ledger id of one alert."""
    return hashlib.sha256(f"{subscription_id}|{notice_id}|{stage}".encode()).hexdigest()[:32]


def claim(es: Elasticsearch, subscription_id: str, notice_id: str, stage: str | None,
          channel: str, now: datetime) -> str | None:
    """Claim an alert for sending; return its ledger id, or None if it was sent already."""
    lid = key(subscription_id, notice_id, stage)
    doc = {"subscription_id": subscription_id, "notice_id": notice_id, "stage": stage,
           "channel": channel, "status": "pending", "attempts": 1, "claimed_at": now.isoformat()}
    try:
        es.create(index=INDEX, id=lid, document=doc, refresh=True)
        return lid
    except ConflictError:
        pass
    # Already claimed: retry a failed or abandoned ('pending') claim, under optimistic locking.
    try:
        current = es.get(index=INDEX, id=lid)
    except NotFoundError:
        return None
    if current["_source"]["status"] == "sent":
        return None
    try:
        es.update(index=INDEX, id=lid, if_seq_no=current["_seq_no"],
                  if_primary_term=current["_primary_term"], refresh=True,
                  doc={"status": "pending", "claimed_at": now.isoformat(),
                       "attempts": current["_source"].get("attempts", 0) + 1})
    except ConflictError:
        return None  # another dispatcher took it between our read and write
    return lid


def mark_sent(es: Elasticsearch, lid: str, now: datetime) -> None:
    """Record that the channel accepted the alert."""
    es.update(index=INDEX, id=lid, doc={"status": "sent", "sent_at": now.isoformat(), "error": None},
              refresh=True)


def mark_all_sent(es: Elasticsearch, lids: Sequence[str], now: datetime) -> None:
    """Record in one request that one message (a summary) delivered all these alerts."""
    bulk(es, ({"_op_type": "update", "_index": INDEX, "_id": lid,
               "doc": {"status": "sent", "sent_at": now.isoformat(), "error": None}} for lid in lids),
         refresh=True)


def record_sent(es: Elasticsearch, subscription_id: str, items: Sequence[tuple[str, str | None]],
                channel: str, now: datetime) -> None:
    """Write (notice id, stage) alerts as sent without a claim: a digest that carried them."""
    stamp = now.isoformat()
    bulk(es, ({"_op_type": "index", "_index": INDEX, "_id": key(subscription_id, nid, stage),
               "_source": {"subscription_id": subscription_id, "notice_id": nid, "stage": stage,
                           "channel": channel, "status": "sent", "attempts": 1, "claimed_at": stamp,
                           "sent_at": stamp}} for nid, stage in items), refresh=True)


def sent(es: Elasticsearch, subscription_id: str, items: Sequence[tuple[str, str | None]]) -> set[str]:
    """Return which of these (notice id, stage) alerts the ledger records as sent (notice ids)."""
    if not items:
        return set()
    resp = es.mget(index=INDEX, ids=[key(subscription_id, nid, stage) for nid, stage in items],
                   source_includes=["status", "notice_id"])
    return {d["_source"]["notice_id"] for d in resp["docs"]
            if d.get("found") and d["_source"]["status"] == "sent"}


def mark_failed(es: Elasticsearch, lid: str | Sequence[str], error: str) -> None:
    """Record a failed attempt (of one alert or of a summary's alerts); the next run retries it."""
    lids = [lid] if isinstance(lid, str) else list(lid)
    bulk(es, ({"_op_type": "update", "_index": INDEX, "_id": one,
               "doc": {"status": "failed", "error": error[:1000]}} for one in lids), refresh=True)


def unfinished_notice_ids(es: Elasticsearch, limit: int = 1000) -> list[str]:
    """Notices with an alert that failed or was abandoned mid-send: the next dispatch retries them."""
    # Reminders and digests are retried by their own runs (send_reminders, send_digests).
    query = {"bool": {"filter": [{"terms": {"status": ["failed", "pending"]}}],
                      "must_not": [{"prefix": {"stage": "reminder"}}, {"term": {"stage": "digest"}}]}}
    resp = es.search(index=INDEX, size=limit, query=query,
                     source_includes=["notice_id"], sort=[{"claimed_at": "asc"}])
    return list(dict.fromkeys(h["_source"]["notice_id"] for h in resp["hits"]["hits"]))


def sent_count(es: Elasticsearch) -> int:
    """Return how many alerts the ledger records as sent."""
    return int(es.count(index=INDEX, query={"bool": {"filter": [{"term": {"status": "sent"}}],
                                                      "must_not": [{"term": {"stage": "digest"}}]}})["count"])
