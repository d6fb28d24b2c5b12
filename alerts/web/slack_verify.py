"""Is this request from Slack, and the first time we see it?

The signature is checked by slack_sdk's SignatureVerifier (HMAC-SHA256 of ``v0:timestamp:body``
with the app's signing secret, the timestamp within five minutes of our clock). A valid request
is then remembered until its timestamp leaves that window: a document in regwatch-slack-requests
created with op_type=create under the SHA-256 of its signature, so a replay is refused by this
app instance and by any other on the same Elasticsearch.
"""
from __future__ import annotations

import hashlib
import os
import time
from datetime import datetime, timezone

from elasticsearch import ConflictError, Elasticsearch
from slack_sdk.signature import Clock, SignatureVerifier

INDEX = "regwatch-slack-requests"
WINDOW_SECONDS = 300  # slack_sdk's window, either side of our clock
_PURGE_EVERY = 60.0
_last_purge = 0.0


class Refused(Exception):
    """The request is not a fresh, signed one from Slack; the message says why (no secret in it)."""


def signing_secret() -> str | None:
    """SLACK_SIGNING_SECRET from the environment (the Airflow plugin also reads its Connection)."""
    return os.environ.get("SLACK_SIGNING_SECRET", "").strip() or None


def verify(es: Elasticsearch, secret: str, body: bytes, timestamp: str | None, signature: str | None,
           clock: Clock | None = None) -> None:
    """Raise Refused unless Slack signed this body at `timestamp` and it was not seen before."""
    if not timestamp or not signature:
        raise Refused("missing Slack signature")
    if not timestamp.isdigit():
        raise Refused("bad Slack request timestamp")
    if not SignatureVerifier(secret, clock or Clock()).is_valid(body, timestamp, signature):
        raise Refused("invalid or expired Slack signature")
    _first_time(es, signature, int(timestamp))


def _first_time(es: Elasticsearch, signature: str, timestamp: int) -> None:
    expires = datetime.fromtimestamp(timestamp + WINDOW_SECONDS, timezone.utc).isoformat()
    try:
        es.create(index=INDEX, id=hashlib.sha256(signature.encode()).hexdigest(),
                  document={"expires_at": expires})
    except ConflictError:
        raise Refused("replayed Slack request") from None
    _purge(es)


def _purge(es: Elasticsearch) -> None:
    """Forget signatures whose window has passed (at most once a minute per process)."""
    global _last_purge
    if time.monotonic() - _last_purge < _PURGE_EVERY:
        return
    _last_purge = time.monotonic()
    # A replay older than the window fails the timestamp check already: nothing to remember.
    # (Search and delete rather than _delete_by_query: the embedded node has no reindex module.)
    old = es.search(index=INDEX, size=1000, source=False,
                    query={"range": {"expires_at": {"lt": "now-1m"}}})["hits"]["hits"]
    if old:
        es.bulk(operations=[{"delete": {"_index": INDEX, "_id": h["_id"]}} for h in old])
