"""The bodies of the Airflow tasks, importable and testable without a scheduler."""
from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from alerts.dispatch import dispatch
from connectors import store
from connectors.catalog import load_catalog
from connectors.errors import ConnectorError
from records.settings import replay_url
from regwatch import health
from regwatch.pipeline import poll_source

# Airflow Connection -> the environment variables the rest of regwatch reads. Credentials live
# in Connections (AIRFLOW_CONN_* in development); an explicit environment variable still wins,
# and a field the Connection leaves out keeps regwatch's default (records/settings.py).
CONNECTIONS = {
    # extra `hosts` lists a cluster's nodes ("http://a:9200,http://b:9200"): see store.connect.
    "regwatch_es": lambda c: {"ES_URL": _hosts(c) or _url(c, "http", 9200), "ES_USERNAME": c.login,
                              "ES_PASSWORD": c.password, "ES_API_KEY": c.extra_dejson.get("api_key")},
    "regwatch_smtp": lambda c: {"SMTP_HOST": c.host, "SMTP_PORT": _text(c.port),
                                "SMTP_USER": c.login, "SMTP_PASSWORD": c.password,
                                "SMTP_STARTTLS": _text(c.extra_dejson.get("starttls")),
                                "SMTP_FROM": c.extra_dejson.get("from_email")},
    "regwatch_slack": lambda c: {"SLACK_BOT_TOKEN": c.password,
                                 "SLACK_API_URL": c.extra_dejson.get("base_url"),
                                 "SLACK_SIGNING_SECRET": c.extra_dejson.get("signing_secret")},
    "regwatch_links": lambda c: {"REGWATCH_LINK_KEY": c.password,
                                 "REGWATCH_PUBLIC_URL": c.extra_dejson.get("public_url")},
}

log = logging.getLogger(__name__)


class PublisherFailed(ConnectorError):
    """Raised by a poll task so Airflow marks (and retries) that publisher's task only."""


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _url(conn: Any, scheme: str, port: int) -> str:
    return f"{conn.schema or scheme}://{conn.host}:{conn.port or port}"


def _hosts(conn: Any) -> str | None:
    hosts = conn.extra_dejson.get("hosts")
    return ",".join(hosts) if isinstance(hosts, list) else _text(hosts)


def apply_connections() -> None:
    """Fill regwatch's settings from Airflow Connections where the environment has none."""
    from airflow.sdk import BaseHook

    for conn_id, settings in CONNECTIONS.items():
        try:
            conn = BaseHook.get_connection(conn_id)
        except Exception:  # noqa: BLE001 — an absent connection means "use the defaults"
            continue
        for name, value in settings(conn).items():
            if value and not os.environ.get(name):
                os.environ[name] = value


def due_sources(manual: bool, hosts: Iterable[str], now: datetime | None = None) -> dict[str, list[str]]:
    """Enabled publishers to poll now, by host slug: all on a manual run, else those whose
    schedule ticked. Every host of the parsed DAG gets a key (an empty list skips its task)."""
    sources = [s for s in load_catalog() if s.enabled]
    es = _es()  # once per run, for every poll task after it
    if not manual:
        docs = store.source_health(es)
        now = now or datetime.now(timezone.utc)
        sources = [s for s in sources if health.is_due(s, docs.get(s.id), now)]
    due: dict[str, list[str]] = {host: [] for host in hosts}
    for source in sources:
        if source.host_slug in due:
            due[source.host_slug].append(source.id)
        else:
            log.warning("%s: host not yet in the parsed DAG; it is polled after the next parse", source.id)
    return due


def poll(source_id: str) -> dict[str, Any]:
    """Poll one catalogued publisher; raise if it failed (after recording its health)."""
    source = {s.id: s for s in load_catalog()}[source_id]
    # due_sources, upstream in the same run, installed the templates: no need per publisher.
    outcome = poll_source(_es(ensure=False), source, replay=replay_url())
    if outcome.error:
        raise PublisherFailed(f"{source_id}: {outcome.error}")
    return outcome.to_dict()


def alertable_ids(outcomes: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """Collect new and stage-changed ids from the poll tasks that succeeded."""
    ids: list[str] = []
    for outcome in outcomes:
        if outcome:
            ids += [*outcome.get("created", []), *outcome.get("stage_changed", []),
                    *outcome.get("pending", [])]
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
    result = dispatch(_es(), notice_ids)
    result.raise_for_failures()
    return {"notices": len(notice_ids), "sent": len(result.sent), "skipped": len(result.skipped)}


def digests(now: datetime | None = None) -> dict[str, int]:
    """Send the daily digests that are due; raise if any failed (the retry sends only those)."""
    from alerts.digest import send_digests

    result = send_digests(_es(), now or datetime.now(timezone.utc))
    result.raise_for_failures()
    return {"sent": len(result.sent), "skipped": len(result.skipped)}


def reminders(now: datetime | None = None) -> dict[str, int]:
    """Send the comment-deadline reminders that are due."""
    from alerts.reminders import send_reminders

    result = send_reminders(_es(), now or datetime.now(timezone.utc))
    result.raise_for_failures()
    return {"sent": len(result.sent), "skipped": len(result.skipped)}


def health_changes(now: datetime | None = None) -> list[dict[str, str]]:
    """Record every publisher's state (Kibana charts it) and return those whose state changed
    since operators were last told."""
    es, now = _es(), now or datetime.now(timezone.utc)
    docs, sources = store.source_health(es), {s.id: s for s in load_catalog()}
    history = {sid: health.dates(values) for sid, values in store.published_history(es).items()}
    assessed = health.assess_all(sources.values(), docs, now, history=history)
    for h in assessed:
        if h.state == "never":
            continue  # a health document is what says a publisher was polled: write none yet
        published = history.get(h.source_id, [])
        store.record_health(es, h.source_id, health.state_doc(h, sources[h.source_id], published, now))
    return [{"source_id": h.source_id, "state": h.state, "detail": h.detail, "reason": h.reason}
            for h in health.unreported(assessed, docs)]


def mark_reported(changes: Iterable[Mapping[str, str]]) -> None:
    """Remember what operators were told, so each state change is reported once."""
    es = _es()
    for change in changes:
        store.record_health(es, change["source_id"], {"reported_state": change["state"],
                                                      "reported_reason": change.get("reason") or None})


def health_message(changes: list[Mapping[str, str]]) -> tuple[str, str]:
    """Subject and body of the operators' report."""
    states = sorted({c["state"] for c in changes})
    subject = f"[regwatch] {len(changes)} publishers changed state: {', '.join(states)}"
    body = "\n".join(f"{c['source_id']}: {_state(c)}" + (f" — {c['detail']}" if c["detail"] else "")
                     for c in changes)
    return subject, body + "\n\nSee `regwatch sources` or the regwatch-sources index in Kibana."


def _state(change: Mapping[str, str]) -> str:
    return f"{change['state']} ({change['reason']})" if change.get("reason") else change["state"]


def _es(ensure: bool = True) -> Any:
    es = store.connect()
    if ensure:
        store.ensure_indices(es)
    return es
