"""One poll of one publisher, and one full cycle: the functions the DAGs and the CLI share."""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Sequence, TypeVar

from elasticsearch import Elasticsearch

from alerts.dispatch import DispatchResult, dispatch
from connectors import store
from connectors.catalog import Source
from connectors.errors import ConnectorError
from connectors.http import HostGates, HttpClient, HttpOptions, Unchanged
from connectors.registry import kinds
from records.settings import positive
from regwatch.writer import CycleWriter, Polled
from transforms import gloss
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
    return poll_sources(es, [source], replay=replay, clock=clock, options=options)[0]


def _fetch(es: Elasticsearch, source: Source, before: dict[str, Any], *, replay: str | None,
           clock: Clock, options: HttpOptions | None, gates: HostGates) -> Polled:
    """Fetch and normalise one publisher (the part that waits on its host); write nothing."""
    outcome, start, started_at = PollOutcome(source.id), time.monotonic(), clock()
    kind, cache = kinds()[source.kind], before.get("http_cache") or {}
    with HttpClient(_options(options, source, before), rebase=rebase_for(source, replay),
                    cache=cache, gates=gates, stop_if_unchanged=kind.one_list and _clean(before)) as http:
        items, unchanged = [], False
        try:
            items = kind.fetch(source, http, lambda urls: store.known_urls(es, source.id, urls))
        except Unchanged:
            unchanged = True  # its one list answered 304: the items are those of the last poll
        except ConnectorError as exc:
            outcome.status, outcome.error = exc.category, f"{type(exc).__name__}: {exc}"
            outcome.retry_after = exc.retry_after
        outcome.bytes, cache_changed = http.bytes_received, http.cache_changed
    outcome.seen = before["items_seen"] if unchanged else len(items)
    if not unchanged and not items and not outcome.error and (before.get("items_seen") or 0) > 0:
        # A list that had items and now parses to none has changed shape; it is not quiet.
        outcome.status = "changed"
        outcome.error = f"SourceChanged: the list parsed to no items (it had {before['items_seen']})"
    # Every answer came from the conditional-GET cache: the notices are the ones indexed last time.
    # (A detail page that failed without a byte is no answer: its attempt must still be counted.)
    unchanged = unchanged or (outcome.bytes == 0 and before.get("items_seen") == len(items)
                              and not any(i.detail_failed for i in items))
    meta = SourceMeta(source.id, source.issuer, source.jurisdiction, source.zone, source.hints)
    notices = [] if unchanged else [normalise(i, meta, started_at) for i in items if not i.partial]
    outcome.warnings = sum(len(n.warnings) for n in notices)
    outcome.latency_ms = int((time.monotonic() - start) * 1000)
    # An unchanged cache is not sent back: the health update merges, so the stored one stays.
    return Polled(source, outcome, notices, started_at, cache if cache_changed else None, before)


def _clean(before: dict[str, Any]) -> bool:
    """Whether the last poll left nothing to redo: then an unchanged list means unchanged items."""
    return (before.get("status") == "ok" and not before.get("details_pending")
            and (before.get("items_seen") or 0) > 0)


def _options(options: HttpOptions | None, source: Source, before: dict[str, Any]) -> HttpOptions:
    options = replace(options or HttpOptions(), allow_private=source.allow_private)
    if before.get("status") == "unavailable":
        # Half-open circuit: a publisher that was down (5xx, timeouts) at its last poll gets one
        # attempt, not three with back-off between: a server still down costs one request and
        # no waiting, and one back up answers it. The price: a publisher that failed by chance
        # twice in a row waits for the next cycle rather than for a retry a second later.
        options = replace(options, attempts=1)
    return options


@dataclass
class CycleSummary:
    polls: list[PollOutcome]
    delivery: DispatchResult

    @property
    def alertable(self) -> list[str]:
        return [i for p in self.polls for i in p.alertable]


R = TypeVar("R")
# Threads polling at once: REGWATCH_POLL_WORKERS (256). Each waits on its host's answer almost
# all the time, so a cycle goes as fast as its slowest host only if every host is in flight: 16
# (the old default) left 300 hosts in 19 waves. One request at a time per host holds whatever
# this is (connectors.http.HostGates).
# Publishers of one host polled side by side: while one normalises, waits for the writer or
# backs off after a 500, the next one's request goes out (the gate still admits one at a time).
# 5, not 2: with two, a host's last publishers were first asked only once the ones before had
# been normalised, so a publisher answering 500 began its retries late and the cycle waited on
# them with nothing left to do (300 publishers on 60 hosts: 6.6-6.7 s -> 4.9-6.1 s a cycle).
LANES_PER_HOST = 5


def per_host(sources: Sequence[Source], fn: Callable[[Source], R], workers: int,
             lanes: int = 1) -> list[R]:
    """Apply `fn` to every source, hosts side by side, at most `lanes` sources of a host at once.

    Results come back in the order of `sources`.
    """
    by_host: dict[str, deque[Source]] = defaultdict(deque)
    for source in sources:
        by_host[source.host].append(source)
    found: dict[str, R] = {}

    def lane(group: deque[Source]) -> None:
        while True:
            try:
                source = group.popleft()  # atomic: two lanes of a host never take the same source
            except IndexError:
                return
            found[source.id] = fn(source)

    # The busiest hosts first (they take longest), every host's first lane before any second.
    groups = sorted(by_host.values(), key=len, reverse=True)
    tasks = [g for n in range(lanes) for g in groups if len(g) > n]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(tasks)))) as pool:
        for done in [pool.submit(lane, g) for g in tasks]:
            done.result()
    return [found[s.id] for s in sources]


def run_cycle(es: Elasticsearch, sources: Sequence[Source], *, replay: str | None = None,
              clock: Clock = utcnow, workers: int | None = None,
              options: HttpOptions | None = None) -> CycleSummary:
    """Poll every enabled publisher (a broken one never stops the others), then alert.

    Publishers are polled concurrently, never more than one request at a time per host
    (`Source.host`, as the poll DAG groups them), so a ministry serving several columns
    never sees two of our requests at once.
    """
    store.ensure_indices(es)
    polls = poll_sources(es, [s for s in sources if s.enabled], replay=replay, clock=clock,
                         workers=workers, options=options)
    ids = [i for p in polls for i in p.alertable]
    return CycleSummary(polls, dispatch(es, ids, clock=clock))


# Every cycle in this process shares the gates: two at once still send one request per host.
_GATES = HostGates()


def poll_sources(es: Elasticsearch, sources: Sequence[Source], *, replay: str | None = None,
                 clock: Clock = utcnow, workers: int | None = None,
                 options: HttpOptions | None = None) -> list[PollOutcome]:
    """Poll these publishers (hosts side by side, one request at a time per host) and record
    each one's health; alert no one. Outcomes come back in the order of `sources`.

    The one entry point for every poller: `run_cycle` (the CLI) and the Airflow host tasks.
    Elasticsearch work is cycle-wide: one mget reads every publisher's state, a CycleWriter
    batches notices and health of many publishers per request, one refresh and one search for
    unannounced notices end it; a few requests per cycle, not five per publisher.
    """
    sources = list(sources)
    if not sources:
        return []
    states = store.source_states(es, [s.id for s in sources])
    if any(s.id not in states for s in sources):
        # A publisher never polled has new items: load the gloss dictionaries (a second of CPU,
        # 140 MiB) while the first answers are on their way, not after the first one arrived.
        threading.Thread(target=gloss.preload, name="regwatch-gloss", daemon=True).start()
    writer = CycleWriter(es)
    outcomes: dict[str, PollOutcome] = {}

    def poll(source: Source) -> None:
        before = states.pop(source.id, {})
        try:
            polled = _fetch(es, source, before, replay=replay, clock=clock, options=options,
                            gates=_GATES)
        except Exception as exc:  # noqa: BLE001 — a connector's bug fails its publisher, not the cycle
            log.exception("%s: polling failed", source.id)
            failed = PollOutcome(source.id, status="error", error=f"{type(exc).__name__}: {exc}")
            polled = Polled(source, failed, [], clock(), None, before)
        outcomes[source.id] = polled.outcome
        writer.submit(polled)

    try:
        per_host(sources, poll, workers or int(positive("REGWATCH_POLL_WORKERS")), lanes=LANES_PER_HOST)
    finally:
        writer.close()
    pending = store.unannounced_by_source(es, list(outcomes))
    for outcome in outcomes.values():
        outcome.pending = pending.get(outcome.source_id, [])
    return [outcomes[s.id] for s in sources]
