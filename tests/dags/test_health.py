"""Publisher health: due, stale, blocked, changed — and operators told once per change."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from connectors.catalog import parse_entry
from regwatch import health

NOW = datetime(2026, 11, 29, 10, 7, tzinfo=timezone.utc)
HOURLY = parse_entry({"id": "hourly", "kind": "rss", "url": "https://x.org/f", "schedule": "0 * * * *"}, 1)


def ago(minutes: int) -> str:
    return (NOW - timedelta(minutes=minutes)).isoformat()


@pytest.mark.parametrize("doc, due", [
    (None, True),
    ({"last_attempt": ago(3)}, False),    # polled at 10:04, next tick 11:00
    ({"last_attempt": ago(10)}, True),    # polled at 09:57, 10:00 ticked since
])
def test_due(doc, due) -> None:
    assert health.is_due(HOURLY, doc, NOW) is due


@pytest.mark.parametrize("doc, state", [
    (None, "never"),
    ({"status": "ok", "last_success": ago(30)}, "ok"),
    ({"status": "ok", "last_success": ago(60 * 3 + 5)}, "stale"),   # 3 x hourly
    ({"status": "blocked", "last_error": "SourceBlocked: WZWS"}, "blocked"),
    ({"status": "changed", "last_error": "SourceChanged: no script tag"}, "changed"),
])
def test_assess(doc, state) -> None:
    assert health.assess(HOURLY, doc, NOW).state == state


def test_changes_are_reported_once_per_state() -> None:
    docs = {"hourly": {"status": "blocked", "last_error": "x"}}
    [change] = health.changes([HOURLY], docs, NOW)
    assert change.state == "blocked"
    docs["hourly"]["reported_state"] = "blocked"
    assert health.changes([HOURLY], docs, NOW) == []
    docs["hourly"].update(status="ok", last_success=ago(5))
    assert [c.state for c in health.changes([HOURLY], docs, NOW)] == ["ok"]  # recovery is news too


def test_health_dag_tells_operators_once(airflow_db, es, smtp, two_publishers, monkeypatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from connectors import store

    monkeypatch.setenv("AIRFLOW_CONN_REGWATCH_OPS", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": smtp.port,
        "extra": {"to": "ops@example.org", "disable_ssl": True, "disable_tls": True}}))
    store.record_health(es, "miit-yjzj", {"status": "changed", "last_error": "SourceChanged: no script tag",
                                          "last_attempt": datetime.now(timezone.utc).isoformat()})
    store.record_health(es, "nist-csrc", {"status": "ok", "last_success": datetime.now(timezone.utc).isoformat()})
    dag = DagBag(dag_folder=str(two_publishers.parents[1] / "dags")).dags["publisher_health"]
    assert dag.test().state == "success"
    [message] = smtp.messages
    assert message["To"] == "ops@example.org" and "changed" in message["Subject"]
    assert "miit-yjzj: changed" in message.get_body(("html",)).get_content()
    assert dag.test().state == "success"
    assert len(smtp.messages) == 1  # the same state is not reported again
