"""The bodies of the Airflow tasks, importable and testable without a scheduler."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from alerts.deliver import flood_limit
from alerts.dispatch import dispatch
from connectors import store
from connectors.catalog import load_catalog
from connectors.errors import ConnectorError
from records.settings import replay_url
from regwatch import health
from regwatch.pipeline import poll_sources

# Airflow Connection -> the environment variables the rest of regwatch reads. Credentials live
# in Connections (AIRFLOW_CONN_* in development); an explicit environment variable still wins,
# and a field the Connection leaves out keeps regwatch's default (records/settings.py).
CONNECTIONS: dict[str, Callable[[Any], dict[str, Any]]] = {
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

# The settings each connection fills: a task whose environment sets them all asks for nothing.
_SETTING_NAMES = {
    "regwatch_es": ("ES_URL", "ES_USERNAME", "ES_PASSWORD", "ES_API_KEY"),
    "regwatch_smtp": ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS", "SMTP_FROM"),
    "regwatch_slack": ("SLACK_BOT_TOKEN", "SLACK_API_URL", "SLACK_SIGNING_SECRET"),
    "regwatch_links": ("REGWATCH_LINK_KEY", "REGWATCH_PUBLIC_URL"),
}
log = logging.getLogger(__name__)


class PublisherFailed(ConnectorError):
    """Raised by a host's poll task, naming each publisher that failed, so Airflow marks the
    task failed (and retries it: the retry polls only those publishers)."""


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _url(conn: Any, scheme: str, port: int) -> str:
    return f"{conn.schema or scheme}://{conn.host}:{conn.port or port}"


def _hosts(conn: Any) -> str | None:
    hosts = conn.extra_dejson.get("hosts")
    return ",".join(hosts) if isinstance(hosts, list) else _text(hosts)


def apply_connections(only: Iterable[str] | None = None) -> None:
    """Fill regwatch's settings from Airflow Connections where the environment has none.

    `only` names the connections a task needs: each lookup is a round trip to the API server
    (and a 404 for an absent one), so a poll task asks for Elasticsearch's alone.
    """
    from airflow.sdk import BaseHook

    for conn_id in only or CONNECTIONS:
        settings = CONNECTIONS[conn_id]
        if all(os.environ.get(name) for name in _SETTING_NAMES[conn_id]):
            continue  # the environment already sets everything this connection could
        try:
            conn = BaseHook.get_connection(conn_id)
        except Exception:  # noqa: BLE001 — an absent connection means "use the defaults"
            continue
        for name, value in settings(conn).items():
            if value and not os.environ.get(name):
                os.environ[name] = value


@dataclass
class HostPoll:
    """What one host task did in one try: which publishers it polled, skipped and lost."""

    host: str
    polled: list[str] = field(default_factory=list)
    # Polled successfully by an earlier try of this run: a retry never fetches them again.
    done_earlier: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    notice_ids: list[str] = field(default_factory=list)

    def failure(self) -> str | None:
        """One line naming each failed publisher and its error (None: none failed)."""
        if not self.failed:
            return None
        names = "; ".join(f"{sid}: {error}" for sid, error in self.failed.items())
        return f"{len(self.failed)} of {len(self.polled)} publishers on {self.host} failed: {names}"

    def summary(self) -> dict[str, Any]:
        return {"host": self.host, "polled": self.polled, "done_earlier": self.done_earlier,
                "failed": sorted(self.failed), "notices": len(self.notice_ids)}


def poll_host(host: str, *, manual: bool, run_start: datetime, now: datetime | None = None) -> HostPoll:
    """Poll this host's due publishers (one at a time) and record each one's health.

    Due: every enabled publisher on a manual run, else those whose own schedule ticked. A
    publisher that already succeeded since `run_start` (an earlier try of this run) is not
    fetched again, but its notices that no event announced yet are; one attempted in this run
    that failed is tried again whether or not its schedule still says it is due.
    """
    sources = [s for s in load_catalog() if s.enabled and s.host_slug == host]
    result = HostPoll(host)
    if not sources:
        return result
    es, now = _ready_es(), now or datetime.now(timezone.utc)
    docs = _health_docs(es, [s.id for s in sources])
    todo = []
    for source in sources:
        doc = docs.get(source.id)
        if _since(doc, "last_success", run_start):
            result.done_earlier.append(source.id)
        elif manual or _since(doc, "last_attempt", run_start) or health.is_due(source, doc, now):
            todo.append(source)
    outcomes = poll_sources(es, todo, replay=replay_url(), workers=1) if todo else []
    ids = [i for sid in result.done_earlier for i in store.unannounced_ids(es, sid)]
    for outcome in outcomes:
        result.polled.append(outcome.source_id)
        if outcome.error:
            result.failed[outcome.source_id] = outcome.error
        else:
            ids += outcome.alertable
    result.notice_ids = list(dict.fromkeys(ids))
    return result


def alert_now(notice_ids: list[str]) -> list[str]:
    """Alert a host task's own new notices from the host task itself; return the ids left to
    `dispatch_alerts` (named in the task's event): all of them when there are more than the
    flood limit or the dispatch raised, those whose delivery failed otherwise.

    Why here: the Asset hop (the scheduler creating a dispatch run, queueing it, a new task
    process) was most of fetch -> alert. Why only up to the flood limit: more notices than one
    subscription may get one by one (a first round, a publisher's backlog) go to
    `dispatch_alerts`, which also takes every other unannounced notice, so one summary covers
    several hosts' notices as before. Trade-off: several hosts each finding a few notices in
    the same minute now send them one by one (each host up to the limit) where a dispatch run
    could have summarised them together (before, that depended on how Airflow batched the
    events into dispatch runs). Two dispatchers at once (this, a dispatch run, the CLI) are
    safe: each alert is claimed in the ledger before it is sent (alerts/ledger.py).
    """
    if not notice_ids or len(notice_ids) > flood_limit():
        return notice_ids
    try:
        apply_connections()
        result = dispatch(_ready_es(), notice_ids, retry_unfinished=False)
    except Exception as exc:  # noqa: BLE001 — the poll succeeded: dispatch_alerts gets them all
        log.warning("alerting %d new notices from the poll task failed (%s); dispatch_alerts will",
                    len(notice_ids), type(exc).__name__)
        return notice_ids
    return list(dict.fromkeys(nid for _, nid, _ in result.failed))


def stranded_ids(run_start: datetime) -> list[str]:
    """Notices a failed host task could not announce: those of its publishers that succeeded in
    this run, on every host where a publisher still failed at the run's end.

    A host task announces only when it succeeds (Airflow emits asset events on success only),
    so without this a publisher broken for days would hold back its host's other alerts.
    """
    sources = [s for s in load_catalog() if s.enabled]
    es = _ready_es()
    docs = _health_docs(es, [s.id for s in sources])
    failed_hosts = {s.host_slug for s in sources if _since(docs.get(s.id), "last_attempt", run_start)
                    and not _since(docs.get(s.id), "last_success", run_start)}
    ids = [i for s in sources if s.host_slug in failed_hosts
           and _since(docs.get(s.id), "last_success", run_start)
           for i in store.unannounced_ids(es, s.id)]
    return list(dict.fromkeys(ids))


def _since(doc: Mapping[str, Any] | None, key: str, start: datetime) -> bool:
    value = (doc or {}).get(key)
    return bool(value) and datetime.fromisoformat(value) >= start


def _health_docs(es: Any, source_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The health documents of these publishers, read in real time (a retry's earlier try has
    just written them: a search would not see them before the next refresh)."""
    if not source_ids:
        return {}
    found = es.mget(index="regwatch-sources", ids=source_ids)["docs"]
    return {d["_id"]: d["_source"] for d in found if d.get("found")}


def _indices_current(es: Any) -> bool:
    """Every regwatch index exists and has every top-level field of its mapping file."""
    from connectors import es_templates

    live = es.indices.get_mapping(index=list(store.INDICES.values()), ignore_unavailable=True)
    for alias, index in store.INDICES.items():
        have = live.get(index, {}).get("mappings", {}).get("properties")
        if have is None or not set(es_templates.spec(alias)["mappings"]["properties"]) <= set(have):
            return False
    return True


def _ready_es() -> Any:
    """A client for the frequent tasks (host polls, dispatch): the indices are installed only
    when one is missing or lacks a field of its mapping file.

    ensure_indices is a dozen requests; every host task paying them each run is most of a quiet
    poll. The check here is one request; publisher_health (every 30 min), `regwatch run` and
    `regwatch es` still run the full ensure_indices (new subfields of an analysis plugin too).
    """
    es = store.connect()
    if not _indices_current(es):
        store.ensure_indices(es)
    return es


def ids_from_events(events: Mapping[Any, Iterable[Any]] | None, conf: Mapping[str, Any] | None) -> list[str]:
    """Notice ids named by the triggering Asset events, or by a manual run's conf."""
    ids: list[str] = list((conf or {}).get("notice_ids", []))
    for asset_events in (events or {}).values():
        for event in asset_events:
            ids += (event.extra or {}).get("notice_ids", [])
    return list(dict.fromkeys(ids))


def deliver(notice_ids: list[str]) -> dict[str, int]:
    """Match and deliver these notices and any other still unannounced; raise DeliveryError if
    any alert failed (the retry sends only those).

    Any notice not yet announced is due: an event Airflow never handed to a dispatch run (in
    `make scaleout`, an event registered while a queued dispatch run was being created was in
    no run) or a host task that failed after writing must not wait for that publisher's next
    poll. The ledger keeps a notice two runs both pick up from being sent twice.
    """
    es = _ready_es()
    result = dispatch(es, list(dict.fromkeys([*notice_ids, *store.unannounced_ids(es, None)])))
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
