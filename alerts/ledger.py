"""The delivery ledger: one document per subscription x notice x stage, so nothing is sent twice.

Order of work for one alert: ``claim`` (create the document, op_type=create) -> send ->
``mark_sent``. A second dispatcher or a rerun finds the document and skips it. The one
window left: a crash after the channel accepted the message and before ``mark_sent``
leaves the claim 'pending', and the next run sends that one alert again. ``mark_sent``
runs immediately after the send returns, so the window is one network round trip.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

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


def mark_failed(es: Elasticsearch, lid: str, error: str) -> None:
    """Record a failed attempt; the next dispatch retries it."""
    es.update(index=INDEX, id=lid, doc={"status": "failed", "error": error[:1000]}, refresh=True)


def unfinished_notice_ids(es: Elasticsearch, limit: int = 1000) -> list[str]:
    """Notices with an alert that failed or was abandoned mid-send: the next dispatch retries them."""
    resp = es.search(index=INDEX, size=limit, query={"terms": {"status": ["failed", "pending"]}},
                     source_includes=["notice_id"], sort=[{"claimed_at": "asc"}])
    return list(dict.fromkeys(h["_source"]["notice_id"] for h in resp["hits"]["hits"]))


def sent_count(es: Elasticsearch) -> int:
    """Return how many alerts the ledger records as sent."""
    return es.count(index=INDEX, query={"term": {"status": "sent"}})["count"]
