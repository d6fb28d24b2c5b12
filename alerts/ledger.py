"""The delivery ledger: one document per subscription x notice x stage, so nothing is sent twice.

Order of work for one alert: ``claim`` -> ``renew`` (just before the send, when other sends
came first) -> send -> ``mark_sent``. A claim is a lease: it names its ``owner`` (one id per
dispatcher process) and holds until ``expires_at`` (claimed or renewed + the lease,
REGWATCH_CLAIM_LEASE_SECONDS, default 10 minutes: longer than one send with all its
retries). Another dispatcher takes a claim over only when it failed or its lease expired, and
then with optimistic concurrency (if_seq_no), so of two racing dispatchers exactly one wins.
A dispatcher that lost its claim (``renew`` says so) does not send. Other keys in the same
index: ``reminder:<deadline>`` stages (one reminder per subscription x notice x deadline) and
``digest`` documents (notice_id ``digest:<local date>``, one per subscription and day).

The one window left: a crash (or a lost connection to Elasticsearch) after the channel
accepted the message and before ``mark_sent`` leaves the claim 'pending'; once its lease
expires, the next run sends that message again. ``mark_sent`` runs immediately after the send
returns, so the window is one Elasticsearch round trip - for a flood summary or a digest, one
bulk update covering all its notices. A dispatcher that crashed before sending delays its
alerts by at most one lease. Email resends carry the same deterministic Message-ID, which many
mail systems drop as a duplicate; Slack has no idempotency key, so there the resend is
visible. Related, outside the ledger: when the Slack API times out or answers 5xx after
having posted, the transport retry (alerts/slack.py) posts again; 429 answers are safe to
retry because Slack did not post.
"""
from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Sequence

from elasticsearch import ConflictError, Elasticsearch, NotFoundError
from elasticsearch.helpers import bulk, streaming_bulk

from connectors.store import StoreError
from records.settings import positive

INDEX = "regwatch-deliveries"


def key(subscription_id: str, notice_id: str, stage: str | None) -> str:
    """The ledger id of one alert."""
    return hashlib.sha256(f"{subscription_id}|{notice_id}|{stage}".encode()).hexdigest()[:32]


def lease() -> timedelta:
    """How long a claim holds before another dispatcher may take it over."""
    return timedelta(seconds=positive("REGWATCH_CLAIM_LEASE_SECONDS"))


def owner_id() -> str:
    """This dispatcher's name on its claims: host, process and a random part (pids are reused)."""
    return _owner(os.getpid())


@lru_cache(maxsize=None)
def _owner(pid: int) -> str:
    # Keyed by pid: a forked task process (Airflow) is a dispatcher of its own.
    return f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:8]}"


def ticking(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at `start` and runs at real speed: lease times within one run."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def claim(es: Elasticsearch, subscription_id: str, notice_id: str, stage: str | None,
          channel: str, now: datetime, *, owner: str | None = None) -> str | None:
    """Claim an alert for sending; return its ledger id, or None if sent or held by another."""
    lid, held = key(subscription_id, notice_id, stage), _held(owner, now)
    try:
        es.create(index=INDEX, id=lid, refresh=True, document={
            "subscription_id": subscription_id, "notice_id": notice_id, "stage": stage,
            "channel": channel, "attempts": 1, **held})
        return lid
    except ConflictError:
        pass
    try:
        current = es.get(index=INDEX, id=lid)
    except NotFoundError:
        return None
    if not _takeable(current["_source"], now):
        return None
    update = {**held, "channel": channel, "attempts": current["_source"].get("attempts", 0) + 1}
    return lid if _write_if_unchanged(es, current, update) else None


def renew(es: Elasticsearch, lid: str, now: datetime, *, owner: str | None = None) -> bool:
    """Extend our claim before sending; False if it is ours no longer (taken over or finished)."""
    try:
        current = es.get(index=INDEX, id=lid)
    except NotFoundError:
        return False
    doc = current["_source"]
    if doc.get("status") != "pending" or doc.get("owner") != (owner or owner_id()):
        return False
    return _write_if_unchanged(es, current, {"expires_at": (now + lease()).isoformat()}, refresh=False)


def mark_sent(es: Elasticsearch, lid: str, now: datetime) -> None:
    """Record that the channel accepted the alert."""
    # Unconditional: it is true whoever holds the claim now, and it must stay one call.
    es.update(index=INDEX, id=lid, doc={"status": "sent", "sent_at": now.isoformat(), "error": None},
              refresh=True, retry_on_conflict=5)


def mark_all_sent(es: Elasticsearch, lids: Sequence[str], now: datetime) -> None:
    """Record in one request that one message (a summary) delivered all these alerts."""
    bulk(es, ({"_op_type": "update", "_index": INDEX, "_id": lid, "retry_on_conflict": 5,
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


def mark_failed(es: Elasticsearch, lid: str | Sequence[str], error: str, *,
                owner: str | None = None) -> None:
    """Record a failed attempt (of one alert or of a summary's alerts); the next run retries it.

    Only claims this dispatcher still holds: one taken over meanwhile belongs to its new owner.
    """
    lids, owner = ([lid] if isinstance(lid, str) else list(lid)), owner or owner_id()
    if not lids:
        return
    docs = es.mget(index=INDEX, ids=lids)["docs"]
    mine = [d for d in docs if d.get("found") and d["_source"].get("status") == "pending"
            and d["_source"].get("owner") == owner]
    actions = ({"_op_type": "update", "_index": INDEX, "_id": d["_id"], "if_seq_no": d["_seq_no"],
                "if_primary_term": d["_primary_term"], "doc": {"status": "failed", "error": error[:1000]}}
               for d in mine)
    for ok, item in streaming_bulk(es, actions, raise_on_error=False, refresh=True):
        if not ok and item.get("update", {}).get("status") != 409:  # 409: no longer ours
            raise StoreError(f"could not record a failed delivery: {item}")


def unfinished_notice_ids(es: Elasticsearch, now: datetime, limit: int = 1000) -> list[str]:
    """Notices with an alert that failed or whose claim expired: the next dispatch retries them."""
    # Reminders and digests are retried by their own runs (send_reminders, send_digests).
    expired = {"bool": {"filter": [{"term": {"status": "pending"}}], "should": [
        {"range": {"expires_at": {"lte": now.isoformat()}}},
        # Claims written before leases existed: claimed_at + the lease.
        {"bool": {"must_not": [{"exists": {"field": "expires_at"}}],
                  "filter": [{"range": {"claimed_at": {"lte": (now - lease()).isoformat()}}}]}}],
        "minimum_should_match": 1}}
    query = {"bool": {"should": [{"term": {"status": "failed"}}, expired], "minimum_should_match": 1,
                      "must_not": [{"prefix": {"stage": "reminder"}}, {"term": {"stage": "digest"}}]}}
    resp = es.search(index=INDEX, size=limit, query=query,
                     source_includes=["notice_id"], sort=[{"claimed_at": "asc"}])
    return list(dict.fromkeys(h["_source"]["notice_id"] for h in resp["hits"]["hits"]))


def sent_count(es: Elasticsearch) -> int:
    """Return how many alerts the ledger records as sent."""
    return int(es.count(index=INDEX, query={"bool": {"filter": [{"term": {"status": "sent"}}],
                                                      "must_not": [{"term": {"stage": "digest"}}]}})["count"])



def _held(owner: str | None, now: datetime) -> dict[str, Any]:
    return {"status": "pending", "owner": owner or owner_id(), "claimed_at": now.isoformat(),
            "expires_at": (now + lease()).isoformat()}


def _takeable(doc: dict[str, Any], now: datetime) -> bool:
    """A failed claim, or a pending one whose lease ran out (its dispatcher is gone or stuck)."""
    if doc.get("status") == "failed":
        return True
    if doc.get("status") != "pending":
        return False
    expires = doc.get("expires_at")
    until = (_utc(datetime.fromisoformat(expires)) if expires
             else _utc(datetime.fromisoformat(doc["claimed_at"])) + lease())
    return until <= _utc(now)


def _utc(moment: datetime) -> datetime:
    # A naive time (`regwatch digest --now 2026-12-01T09:30`) is taken as UTC, as digests do.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _write_if_unchanged(es: Elasticsearch, current: Any, doc: dict[str, Any],
                        refresh: bool = True) -> bool:
    """Apply a partial update only if nobody wrote the document (`current`, a get) since we read it."""
    try:
        es.update(index=INDEX, id=current["_id"], if_seq_no=current["_seq_no"],
                  if_primary_term=current["_primary_term"], doc=doc, refresh=refresh)
    except ConflictError:
        return False
    return True
