"""The bodies of the Airflow tasks, importable and testable without a scheduler."""
from __future__ import annotations

import os
from typing import Any, Iterable, Mapping

from connectors import store
from connectors.catalog import load_catalog
from connectors.errors import ConnectorError
from regwatch.pipeline import poll_source
from alerts.dispatch import dispatch


class PublisherFailed(ConnectorError):
    """Raised by a poll task so Airflow marks (and retries) that publisher's task only."""


def poll(source_id: str) -> dict[str, Any]:
    """Poll one catalogued publisher; raise if it failed (after recording its health)."""
    source = {s.id: s for s in load_catalog()}[source_id]
    es = store.connect()
    store.ensure_indices(es)
    outcome = poll_source(es, source, replay=os.environ.get("REGWATCH_REPLAY") or None)
    if outcome.error:
        raise PublisherFailed(f"{source_id}: {outcome.error}")
    return outcome.to_dict()


def alertable_ids(outcomes: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """Collect new and stage-changed ids from the poll tasks that succeeded."""
    ids: list[str] = []
    for outcome in outcomes:
        if outcome:
            ids += [*outcome.get("created", []), *outcome.get("stage_changed", [])]
    return list(dict.fromkeys(ids))


def ids_from_events(events: Mapping[Any, Iterable[Any]] | None, conf: Mapping[str, Any] | None) -> list[str]:
    """Notice ids named by the triggering Asset events, or by a manual run's conf."""
    ids: list[str] = list((conf or {}).get("notice_ids", []))
    for asset_events in (events or {}).values():
        for event in asset_events:
            ids += (event.extra or {}).get("notice_ids", [])
    return list(dict.fromkeys(ids))


def deliver(notice_ids: list[str]) -> dict[str, int]:
    """Match and deliver; raise DeliveryError if any alert failed (the retry sends only those)."""
    es = store.connect()
    store.ensure_indices(es)
    result = dispatch(es, notice_ids)
    result.raise_for_failures()
    return {"notices": len(notice_ids), "sent": len(result.sent), "skipped": len(result.skipped)}
