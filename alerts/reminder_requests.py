"""Reminders asked for one notice ("Remind me before the deadline" on a Slack alert).

One document per subscription x notice in regwatch-reminders, created with op_type=create under
an id derived from both: a second click (or a second app instance) changes nothing. The request
keeps the deadline it was made for, so alerts/reminders.py finds due requests with one range query.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from elasticsearch import ConflictError, Elasticsearch

from alerts.subscriptions import Subscription
from records.notice import Notice

INDEX = "regwatch-reminders"


def request_id(subscription_id: str, notice_id: str) -> str:
    """The deterministic id of one subscription's reminder for one notice."""
    return hashlib.sha256(f"{subscription_id}|{notice_id}".encode()).hexdigest()[:32]


def add(es: Elasticsearch, sub: Subscription, notice: Notice, now: datetime, user: str | None = None) -> bool:
    """Record the reminder; return False if this subscription already had one for the notice."""
    doc = {"subscription_id": sub.id, "notice_id": notice.id, "channel": sub.channel,
           "target": sub.target, "comment_deadline": str(notice.comment_deadline)[:10],
           "requested_by": user, "requested_at": now.isoformat()}
    try:
        es.create(index=INDEX, id=request_id(sub.id, notice.id), document=doc, refresh="wait_for")
    except ConflictError:
        return False
    return True


def due(es: Elasticsearch, first: date, last: date) -> list[dict[str, Any]]:
    """The requests whose deadline falls between these dates (inclusive), oldest first."""
    resp = es.search(index=INDEX, size=10000, sort=[{"requested_at": "asc"}], query={"range": {
        "comment_deadline": {"gte": first.isoformat(), "lte": last.isoformat()}}})
    return [h["_source"] for h in resp["hits"]["hits"]]
