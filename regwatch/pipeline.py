"""One poll of one publisher, and one full cycle: the functions the DAGs and the CLI share."""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence, TypeVar

from elasticsearch import Elasticsearch

from alerts.dispatch import DispatchResult, dispatch
from connectors import store
from connectors.catalog import Source
from connectors.errors import ConnectorError
from connectors.http import HttpClient, HttpOptions
from connectors.registry import kinds
from transforms.normalise import SourceMeta, normalise

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class PollOutcome:
    """What polling one publisher did; small and JSON-serialisable (it travels in XCom)."""

    source_id: str
    status: str = "ok"
    error: str | None = None
    seen: int = 0
    created: list[str] = field(default_factory=list)
    stage_changed: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    # Notices whose detail page failed: tried again next poll, or given up on in this one.
    details_pending: list[str] = field(default_factory=list)
    details_given_up: list[str] = field(default_factory=list)
    updated: int = 0
    warnings: int = 0
    latency_ms: int = 0
    bytes: int = 0
    # Seconds the publisher asked us to stay away (a Retry-After longer than we wait).
    retry_after: float | None = None

    @property
    def alertable(self) -> list[str]:
        """New and stage-changed notices, and any an earlier failed attempt left unannounced."""
        return list(dict.fromkeys(self.created + self.stage_changed + self.pending))

    def to_dict(self) -> dict:
        return asdict(self)


def rebase_for(source: Source, replay: str | None) -> dict[str, str]:
    """Map the publisher's origin to the replay server's folder for it, when replaying."""
    return {source.origin: f"{replay.rstrip('/')}/{source.id}"} if replay else {}


def poll_source(es: Elasticsearch, source: Source, *, replay: str | None = None,
                clock: Clock = utcnow, options: HttpOptions | None = None) -> PollOutcome:
    """Fetch, normalise and index one publisher; its failure is recorded, not raised."""
    outcome, start = PollOutcome(source.id), time.monotonic()
    started_at, before = clock(), store.source_state(es, source.id)
    options = replace(options or HttpOptions(), allow_private=source.allow_private)
    cache = before.get("http_cache") or {}
    with HttpClient(options, rebase=rebase_for(source, replay), cache=cache) as http:
        try:
            items = kinds()[source.kind].fetch(
                source, http, lambda urls: store.known_urls(es, source.id, urls))
        except ConnectorError as exc:
            outcome.status, outcome.error = exc.category, f"{type(exc).__name__}: {exc}"
            outcome.retry_after = exc.retry_after
            items = []
        outcome.bytes = http.bytes_received
    if not items and not outcome.error and (before.get("items_seen") or 0) > 0:
        # A list that had items and now parses to none has changed shape; it is not quiet.
        outcome.status = "changed"
        outcome.error = f"SourceChanged: the list parsed to no items (it had {before['items_seen']})"
    # Every answer came from the conditional-GET cache: the notices are the ones indexed last time.
    # (A detail page that failed without a byte is no answer: its attempt must still be counted.)
    unchanged = (outcome.bytes == 0 and before.get("items_seen") == len(items)
                 and not any(i.detail_failed for i in items))
    meta = SourceMeta(source.id, source.issuer, source.jurisdiction, source.zone, source.hints)
    notices = [] if unchanged else [normalise(i, meta, started_at) for i in items if not i.partial]
    result = store.upsert_notices(es, notices)
    outcome.seen, outcome.updated = len(items), len(result.updated)
    outcome.created, outcome.stage_changed = result.created, result.stage_changed
    outcome.pending = store.unannounced_ids(es, source.id)
    outcome.details_pending, outcome.details_given_up = result.detail_pending, result.detail_given_up
    if result.detail_given_up:
        log.warning("%s: gave up on the detail pages of %d notices after %d failed polls: %s",
                    source.id, len(result.detail_given_up), store.DETAIL_ATTEMPTS,
                    ", ".join(result.detail_given_up))
    outcome.warnings = sum(len(n.warnings) for n in notices)
    outcome.latency_ms = int((time.monotonic() - start) * 1000)
    _record(es, source, outcome, started_at, cache, before)
    return outcome


def _record(es: Elasticsearch, source: Source, outcome: PollOutcome, when: datetime,
            cache: dict[str, Any], before: dict[str, Any]) -> None:
    doc = {"kind": source.kind, "status": outcome.status, "last_attempt": when.isoformat(),
           "latency_ms": outcome.latency_ms, "bytes": outcome.bytes, "items_seen": outcome.seen,
           "items_new": len(outcome.created), "last_error": outcome.error,
           "error_class": None if outcome.error is None else outcome.status, "http_cache": cache,
           # Given-up detail pages add up: a notice given up on is never tried again.
           "details_pending": len(outcome.details_pending),
           "details_given_up": (before.get("details_given_up") or 0) + len(outcome.details_given_up),
           # Polls before this time would only prolong the ban (regwatch.health.is_due skips them).
           "blocked_until": None if outcome.retry_after is None
           else (when + timedelta(seconds=outcome.retry_after)).isoformat()}
    if outcome.error is None:
        doc["last_success"] = when.isoformat()
    store.record_health(es, source.id, doc)


@dataclass
class CycleSummary:
    polls: list[PollOutcome]
    delivery: DispatchResult

    @property
    def alertable(self) -> list[str]:
        return [i for p in self.polls for i in p.alertable]


R = TypeVar("R")


def per_host(sources: Sequence[Source], fn: Callable[[Source], R], workers: int) -> list[R]:
    """Apply `fn` to every source, hosts side by side but one source of a host at a time.

    Results come back in the order of `sources`.
    """
    by_host: dict[str, list[Source]] = defaultdict(list)
    for source in sources:
        by_host[source.host].append(source)

    def one_host(group: list[Source]) -> list[tuple[str, R]]:
        return [(s.id, fn(s)) for s in group]

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(by_host)))) as pool:
        found = dict(pair for pairs in pool.map(one_host, by_host.values()) for pair in pairs)
    return [found[s.id] for s in sources]


def run_cycle(es: Elasticsearch, sources: Sequence[Source], *, replay: str | None = None,
              clock: Clock = utcnow, workers: int = 16,
              options: HttpOptions | None = None) -> CycleSummary:
    """Poll every enabled publisher (a broken one never stops the others), then alert.

    Publishers are polled concurrently, but those on one host (`Source.host`, as the poll DAG
    groups them) one after another, so a ministry serving several columns never sees more than
    one of our requests at a time.
    """
    store.ensure_indices(es)
    polls = poll_sources(es, [s for s in sources if s.enabled], replay=replay, clock=clock,
                         workers=workers, options=options)
    ids = [i for p in polls for i in p.alertable]
    return CycleSummary(polls, dispatch(es, ids, clock=clock))


def poll_sources(es: Elasticsearch, sources: Sequence[Source], *, replay: str | None = None,
                 clock: Clock = utcnow, workers: int = 16,
                 options: HttpOptions | None = None) -> list[PollOutcome]:
    """Poll these publishers (hosts side by side, one request at a time per host) and record
    each one's health; alert no one. Outcomes come back in the order of `sources`.

    The one entry point for every poller: `run_cycle` (the CLI) and the Airflow host tasks.
    """
    return per_host(list(sources),
                    lambda s: poll_source(es, s, replay=replay, clock=clock, options=options), workers)
