"""Bring indexed notices up to today's transforms without refetching or alerting anyone.

After an upgrade, notices indexed by the old version keep their old understanding (stage, kind,
English title, typed attachments …) until the publisher changes them: a poll rewrites a notice
only when its content hash moves. `reprocess` re-derives them from what is stored.

It never alerts: only the derived fields are written (a partial update), so `announced_at`
stays as it was. A notice already handled by a dispatch keeps its mark and is not due again,
even when its stage changes; one still due stays due. `fetched_at` and `first_seen_at` keep
their meaning (when the poll last changed it, when regwatch first saw it), so digests and the
first-run policy see nothing new. Storing today's stage also means the next poll compares the
publisher's next change against today's understanding, not the old one: a classifier change
alone never looks like a stage change.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence

from elasticsearch import Elasticsearch

from connectors import store
from connectors.catalog import Source
from connectors.registry import kinds
from transforms.normalise import SourceMeta
from transforms.reprocess import rederive

# Examples of changes kept for --dry-run's listing.
EXAMPLES = 5
# Rounds of read-derive-write before a notice that keeps changing under us is an error.
ROUNDS = 5


@dataclass(frozen=True)
class Origin:
    """What re-deriving a source's notices needs: its facts, and the fields its kind states."""

    meta: SourceMeta
    stated: tuple[str, ...] = ()

    @classmethod
    def of(cls, source: Source) -> Origin:
        meta = SourceMeta(source.id, source.issuer, source.jurisdiction, source.zone, source.hints)
        return cls(meta, kinds()[source.kind].stated)


@dataclass(frozen=True)
class Change:
    """The derived fields of one notice that differ, with the version they were read at."""

    id: str
    version: tuple[int, int]
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class ReprocessReport:
    scanned: int = 0
    changed: int = 0
    unchanged: int = 0
    # Notices of a source no longer in the catalogue: its hints are unknown, so re-deriving
    # would lose what they said; they keep their stored understanding.
    skipped: int = 0
    # Notices a concurrent write changed between our read and our write (re-read and redone).
    retried: int = 0
    by_field: Counter[str] = field(default_factory=Counter)
    examples: list[Change] = field(default_factory=list)

    def line(self, *, dry_run: bool = False) -> str:
        fields = ", ".join(f"{name} {n}" for name, n in sorted(self.by_field.items(),
                                                             key=lambda kv: (-kv[1], kv[0])))
        verb = "would change" if dry_run else "changed"
        return (f"reprocess: scanned {self.scanned}, {verb} {self.changed}"
                f"{f' (by field: {fields})' if fields else ''}, unchanged {self.unchanged}, "
                f"skipped {self.skipped} (source not in the catalogue)"
                f"{f', retried {self.retried} (changed meanwhile)' if self.retried else ''}"
                f"{'; dry run: nothing written' if dry_run else ''}")


def plan(hit: Mapping[str, Any], origins: Mapping[str, Origin], now: datetime) -> Change | None:
    """The change re-deriving this hit brings (None: its source is unknown); pure."""
    doc = hit["_source"]
    origin = origins.get(doc.get("source_id", ""))
    if origin is None:
        return None
    after = rederive(doc, origin.meta, now, origin.stated)
    return Change(hit["_id"], (hit["_seq_no"], hit["_primary_term"]),
                  {k: doc.get(k) for k in after}, after)


def reprocess(es: Elasticsearch, sources: Sequence[Source], *, only: Sequence[str] = (),
              dry_run: bool = False, page_size: int = 500,
              clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> ReprocessReport:
    """Re-derive every notice (of the `only` sources, if given) and write back those that changed.

    `sources` is the catalogue: a notice of a source not in it is counted as skipped.
    """
    origins = {s.id: Origin.of(s) for s in sources}
    query: dict[str, Any] = {"terms": {"source_id": list(only)}} if only else {"match_all": {}}
    report, now = ReprocessReport(), clock()
    for page in store.scan_notices(es, query, page_size=page_size):
        report.scanned += len(page)
        changes = _tally([plan(h, origins, now) for h in page], report)
        if changes and not dry_run:
            apply(es, changes, origins, now, report)
    return report


def _tally(planned: Sequence[Change | None], report: ReprocessReport) -> list[Change]:
    changes = [c for c in planned if c is not None and c.after]
    report.skipped += sum(1 for c in planned if c is None)
    report.unchanged += sum(1 for c in planned if c is not None and not c.after)
    report.changed += len(changes)
    for change in changes:
        report.by_field.update(list(change.after))  # the names, not the values
        if len(report.examples) < EXAMPLES:
            report.examples.append(change)
    return changes


def apply(es: Elasticsearch, changes: Sequence[Change], origins: Mapping[str, Origin],
          now: datetime, report: ReprocessReport) -> None:
    """Write the changes, each only onto the version it was derived from.

    A notice a poll rewrote meanwhile is read again and re-derived from what the poll wrote
    (which may already be today's understanding): the poll's write is never overwritten.
    """
    todo = list(changes)
    for _ in range(ROUNDS):
        lost = store.update_notices(es, {c.id: (c.version, c.after) for c in todo})
        if not lost:
            return
        report.retried += len(lost)
        fresh = [plan(h, origins, now) for h in store.read_notices(es, sorted(lost))]
        todo = [c for c in fresh if c is not None and c.after]
        if not todo:
            return
    raise store.StoreError(f"{len(todo)} notices kept changing while reprocessing, first: {todo[0].id}")
