"""One poll of one publisher, and one full cycle: the functions the DAGs and the CLI share."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Callable, Sequence

from elasticsearch import Elasticsearch

from alerts.dispatch import DispatchResult, dispatch
from connectors import store
from connectors.catalog import Source
from connectors.errors import ConnectorError
from connectors.http import HttpClient
from connectors.registry import kinds
from transforms.normalise import SourceMeta, normalise

Clock = Callable[[], datetime]


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
    updated: int = 0
    warnings: int = 0
    latency_ms: int = 0
    bytes: int = 0

    @property
    def alertable(self) -> list[str]:
        return self.created + self.stage_changed

    def to_dict(self) -> dict:
        return asdict(self)


def rebase_for(source: Source, replay: str | None) -> dict[str, str]:
    """Map the publisher's origin to the replay server's folder for it, when replaying."""
    return {source.origin: f"{replay.rstrip('/')}/{source.id}"} if replay else {}


def poll_source(es: Elasticsearch, source: Source, *, replay: str | None = None,
                clock: Clock = utcnow) -> PollOutcome:
    """Fetch, normalise and index one publisher; its failure is recorded, not raised."""
    outcome, start = PollOutcome(source.id), time.monotonic()
    started_at = clock()
    with HttpClient(rebase=rebase_for(source, replay)) as http:
        try:
            items = kinds()[source.kind].fetch(
                source, http, lambda urls: store.known_urls(es, source.id, urls))
        except ConnectorError as exc:
            outcome.status, outcome.error = exc.category, f"{type(exc).__name__}: {exc}"
            items = []
        outcome.bytes = http.bytes_received
    meta = SourceMeta(source.id, source.issuer, source.jurisdiction)
    notices = [normalise(item, meta, started_at) for item in items if not item.partial]
    result = store.upsert_notices(es, notices)
    outcome.seen, outcome.updated = len(items), len(result.updated)
    outcome.created, outcome.stage_changed = result.created, result.stage_changed
    outcome.warnings = sum(len(n.warnings) for n in notices)
    outcome.latency_ms = int((time.monotonic() - start) * 1000)
    _record(es, source, outcome, started_at)
    return outcome


def _record(es: Elasticsearch, source: Source, outcome: PollOutcome, when: datetime) -> None:
    doc = {"kind": source.kind, "status": outcome.status, "last_attempt": when.isoformat(),
           "latency_ms": outcome.latency_ms, "bytes": outcome.bytes, "items_seen": outcome.seen,
           "items_new": len(outcome.created), "error_class": None if outcome.error is None else outcome.status,
           "last_error": outcome.error}
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


def run_cycle(es: Elasticsearch, sources: Sequence[Source], *, replay: str | None = None,
              clock: Clock = utcnow) -> CycleSummary:
    """Poll every enabled publisher (a broken one never stops the others), then alert."""
    store.ensure_indices(es)
    polls = [poll_source(es, s, replay=replay, clock=clock) for s in sources if s.enabled]
    ids = [i for p in polls for i in p.alertable]
    return CycleSummary(polls, dispatch(es, ids, clock=clock))
