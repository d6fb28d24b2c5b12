"""The poll cycle's one writer to Elasticsearch: many publishers' notices and health per request.

Polling a publisher used to cost five round trips of its own (state, known URLs, upsert with a
refresh, unannounced ids, health), each waited for by the thread that should have been
fetching the next list. Now the fetching threads hand each polled publisher to this writer
and move on; it writes what has queued up since its last request — notices of many
publishers in one mget and one bulk, the health of the publishers settled before riding along
in the same bulk — and the cycle refreshes once at the end (dispatch must see the notices).

Memory stays flat however many publishers a cycle has: the queue is bounded (a fetching
thread waits when the writer is behind) and a batch holds at most BATCH notices.
Failure stays per publisher: a notice Elasticsearch refuses fails its publisher's poll (status
"error", the reason in its health), never the others' in the batch.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from connectors import store
from connectors.catalog import Source
from records.notice import Notice

if TYPE_CHECKING:
    from regwatch.pipeline import PollOutcome

log = logging.getLogger(__name__)
BATCH = 1000    # notices per batch: one mget and one bulk request (bulk chunked at 5 MB)
DEPTH = 64      # polled publishers waiting for the writer before a fetching thread waits too
LINGER = 0.25   # seconds a batch waits for more publishers: requests grow with time, not publishers


@dataclass
class Polled:
    """One publisher fetched and normalised, waiting to be written."""

    source: Source
    outcome: PollOutcome
    notices: list[Notice]
    started_at: datetime
    cache: dict[str, Any] | None  # None: unchanged, not written again
    before: dict[str, Any] = field(default_factory=dict)


class CycleWriter:
    """Write polled publishers in batches from one thread; `close` flushes and refreshes."""

    def __init__(self, es: Elasticsearch, *, batch: int = BATCH, linger: float = LINGER) -> None:
        self.es, self.batch, self.linger = es, batch, linger
        self._queue: queue.Queue[Polled | None] = queue.Queue(maxsize=DEPTH)
        self._health: list[tuple[Polled, dict[str, Any]]] = []  # settled, not yet sent
        self._wrote = False
        self._thread = threading.Thread(target=self._run, name="regwatch-writer", daemon=True)
        self._thread.start()

    def submit(self, polled: Polled) -> None:
        """Queue a polled publisher (waits while the writer is DEPTH publishers behind)."""
        self._queue.put(polled)

    def close(self) -> None:
        """Write everything queued, then refresh: raise StoreError if Elasticsearch is gone."""
        self._queue.put(None)
        self._thread.join()
        if self._health:
            pending, self._health = self._health, []
            try:
                written = store.write_notices(self.es, [], also=[_action(p, d) for p, d in pending])
            except (ApiError, TransportError) as exc:
                raise store.StoreError(store.describe(exc)) from None
            _health_refused(pending, written.also_rejected)
        if self._wrote:
            self.es.indices.refresh(index=store.NOTICES)

    def _run(self) -> None:
        done = False
        while not done:
            batch, done = self._take()
            if batch:
                try:
                    self._write(batch)
                except Exception as exc:  # noqa: BLE001 — a bug here must not hang the pollers
                    log.exception("writing %d polled publishers failed", len(batch))
                    self._failed(batch, f"{type(exc).__name__}: {exc}")

    def _take(self) -> tuple[list[Polled], bool]:
        """The next batch: what is queued, waiting up to `linger` for more; and whether it ends."""
        first = self._queue.get()
        if first is None:
            return [], True
        batch, size, until = [first], len(first.notices), time.monotonic() + self.linger
        while size < self.batch:
            try:
                polled = self._queue.get(timeout=max(0.0, until - time.monotonic()))
            except queue.Empty:
                break
            if polled is None:
                return batch, True
            batch.append(polled)
            size += len(polled.notices)
        return batch, False

    def _write(self, batch: list[Polled]) -> None:
        # A publisher with nothing to write is settled already: its health rides in this bulk.
        riding = self._health + [(p, health_doc(p)) for p in batch if not p.notices]
        writing, self._health = [p for p in batch if p.notices], []
        try:
            written = store.write_notices(self.es, [n for p in writing for n in p.notices],
                                          also=[_action(p, d) for p, d in riding])
        except (ApiError, TransportError, store.StoreError) as exc:
            self._health = riding  # tried again with the next batch, or at close
            self._failed(writing, f"StoreError: {_describe(exc)}")
            return
        self._wrote |= written.wrote
        _health_refused(riding, written.also_rejected)
        for polled in writing:
            _settle(polled, written)
            self._health.append((polled, health_doc(polled)))

    def _failed(self, batch: list[Polled], error: str) -> None:
        for polled in batch:
            polled.outcome.status, polled.outcome.error = "error", error
            polled.outcome.created, polled.outcome.stage_changed = [], []
            self._health.append((polled, health_doc(polled)))


def _settle(polled: Polled, written: store.Written) -> None:
    """Fill a publisher's outcome from the batch's write: its notices, its refusals."""
    outcome, ids = polled.outcome, [n.id for n in polled.notices]
    refused = [i for i in dict.fromkeys(ids) if i in written.rejected]
    if refused:
        outcome.status = "error"
        outcome.error = (f"StoreError: {len(refused)} notices refused by Elasticsearch, first: "
                         f"{refused[0]}: {written.rejected[refused[0]]}")
    result = written.result(ids)
    outcome.updated = len(result.updated)
    outcome.created, outcome.stage_changed = result.created, result.stage_changed
    outcome.details_pending, outcome.details_given_up = result.detail_pending, result.detail_given_up
    if result.detail_given_up:
        log.warning("%s: gave up on the detail pages of %d notices after %d failed polls: %s",
                    outcome.source_id, len(result.detail_given_up), store.DETAIL_ATTEMPTS,
                    ", ".join(result.detail_given_up))


def health_doc(polled: Polled) -> dict[str, Any]:
    """The publisher's health document after this poll (merged into the stored one)."""
    outcome, when, before = polled.outcome, polled.started_at, polled.before
    doc = {"kind": polled.source.kind, "status": outcome.status, "last_attempt": when.isoformat(),
           "latency_ms": outcome.latency_ms, "bytes": outcome.bytes, "items_seen": outcome.seen,
           "items_new": len(outcome.created), "last_error": outcome.error,
           "error_class": None if outcome.error is None else outcome.status,
           # Given-up detail pages add up: a notice given up on is never tried again.
           "details_pending": len(outcome.details_pending),
           "details_given_up": (before.get("details_given_up") or 0) + len(outcome.details_given_up),
           # Polls before this time would only prolong the ban (regwatch.health.is_due skips them).
           "blocked_until": None if outcome.retry_after is None
           else (when + timedelta(seconds=outcome.retry_after)).isoformat()}
    if outcome.error is None:
        doc["last_success"] = when.isoformat()
    if polled.cache is not None:
        doc["http_cache"] = polled.cache
    return doc


def _action(polled: Polled, doc: dict[str, Any]) -> dict[str, Any]:
    return store.health_action(polled.source.id, doc)


def _health_refused(pending: list[tuple[Polled, dict[str, Any]]], refused: dict[str, str]) -> None:
    for polled, _ in pending:
        if polled.source.id in refused:
            outcome = polled.outcome
            outcome.status = "error"
            outcome.error = outcome.error or f"StoreError: health not recorded: {refused[polled.source.id]}"


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, store.StoreError) else store.describe(exc)
