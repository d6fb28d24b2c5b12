"""Lifecycle threads: the first alert of a standard in a channel, kept in regwatch-standards.

One document per standard_key x channel x target holds the Slack ``ts`` (or the email
Message-ID) of that standard's first alert there; later stages of the same standard reply to
it, so a channel keeps one conversation per standard from plan to publication.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Iterable

from elasticsearch import ConflictError, Elasticsearch

from records.notice import Notice

INDEX = "regwatch-standards"
Place = tuple[str, str, str]  # standard_key, channel, target


def key(standard_key: str, channel: str, target: str) -> str:
    """The document id of one standard's thread in one place."""
    return hashlib.sha256(f"{standard_key}|{channel}|{target}".encode()).hexdigest()[:32]


def lookup(es: Elasticsearch, places: Iterable[Place]) -> dict[Place, str]:
    """Return the thread reference of each place that has one."""
    wanted = list(dict.fromkeys(places))
    if not wanted:
        return {}
    resp = es.mget(index=INDEX, ids=[key(*p) for p in wanted], source_includes=["thread_ref"])
    return {p: d["_source"]["thread_ref"] for p, d in zip(wanted, resp["docs"]) if d.get("found")}


def record(es: Elasticsearch, place: Place, ref: str, notice: Notice, now: datetime) -> str:
    """Keep the first alert's reference (created once) and note the latest stage; return the root."""
    doc_id, stamp = key(*place), now.isoformat()
    latest = {"latest_notice_id": notice.id, "latest_stage": notice.stage, "updated_at": stamp}
    try:
        es.create(index=INDEX, id=doc_id, refresh=True, document={
            "standard_key": place[0], "channel": place[1], "target": place[2], "thread_ref": ref,
            "first_notice_id": notice.id, "first_stage": notice.stage, "created_at": stamp, **latest})
        return ref
    except ConflictError:
        # Another dispatcher (or an earlier notice) started the thread first: keep its root.
        es.update(index=INDEX, id=doc_id, doc=latest, refresh=True, retry_on_conflict=5)
        return str(es.get(index=INDEX, id=doc_id)["_source"]["thread_ref"])
