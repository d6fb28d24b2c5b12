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
    # A Retry-After beyond our patience: not due until it has passed, whatever the schedule.
    ({"last_attempt": ago(10), "blocked_until": ago(-20)}, False),
    ({"last_attempt": ago(70), "blocked_until": ago(1)}, True),
    ({"last_attempt": ago(10), "blocked_until": None}, True),
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


# --- stale is a state: the publisher's cadence ------------------------------------------------

DAY = timedelta(days=1)
WEEKLY = parse_entry({"id": "weekly", "kind": "rss", "url": "https://x.org/f", "schedule": "0 * * * *",
                      "expect_every": "7d"}, 1)


def days_ago(*days: float) -> list[datetime]:
    return [NOW - d * DAY for d in days]


@pytest.mark.parametrize("published, cadence", [
    ([], None),
    (days_ago(0, 10, 20, 30), None),                    # four notices: too few to learn from
    (days_ago(0, 10, 20, 30, 40), 10 * DAY),            # the median gap
    (days_ago(0, 10, 20, 30, 40, 400), 10 * DAY),       # one long silence does not move the median
    (days_ago(0, 1, 2, 3, 4, 5), 7 * DAY),              # a daily publisher gets the week floor
    (days_ago(0, 0, 0, 0, 0, 30), None),                # the same date five times is one date
    (days_ago(40, 30, 0, 20, 10), 10 * DAY),            # order does not matter
])
def test_learned_cadence(published, cadence) -> None:
    assert health.learned_cadence(published) == cadence


@pytest.mark.parametrize("entry, expected", [
    ({"expect_every": "30d"}, timedelta(days=30)),
    ({"expect_every": "12h"}, timedelta(hours=12)),
    ({"expect_every": "2w"}, timedelta(weeks=2)),
    ({}, None),
])
def test_expect_every_in_the_catalogue(entry, expected) -> None:
    source = parse_entry({"id": "feed", "kind": "rss", "url": "https://x.org/f", **entry}, 1)
    assert source.expected_every == expected


@pytest.mark.parametrize("value", ["30", "30 days", "0d", "1m", "d", 30])
def test_a_bad_expect_every_names_the_entry(value) -> None:
    from connectors.catalog import CatalogError

    with pytest.raises(CatalogError, match=r"^source feed: expect_every: .*(cadence like|string)"):
        parse_entry({"id": "feed", "kind": "rss", "url": "https://x.org/f", "expect_every": value}, 1)


POLLED = {"status": "ok", "last_success": ago(30)}


@pytest.mark.parametrize("source, published, state, reason", [
    (WEEKLY, days_ago(20), "ok", ""),                               # 20 days < 3 x 7
    (WEEKLY, days_ago(21), "ok", ""),                               # the limit itself is not stale
    (WEEKLY, days_ago(22, 30), "stale", health.QUIET),
    (WEEKLY, [], "ok", ""),                                         # nothing indexed: nothing to judge
    (HOURLY, days_ago(31, 41, 51, 61, 71), "stale", health.QUIET),  # learned: every 10 days
    (HOURLY, days_ago(30, 40, 50, 60, 70), "ok", ""),
    (HOURLY, days_ago(22, 32, 42, 52), "ok", ""),                   # too few to learn a cadence
])
def test_quiet_publishers_are_stale(source, published, state, reason) -> None:
    got = health.assess(source, POLLED, NOW, published=published)
    assert (got.state, got.reason) == (state, reason)


def test_no_successful_poll_is_its_own_reason_and_comes_first() -> None:
    doc = {"status": "ok", "last_success": ago(60 * 3 + 5)}
    got = health.assess(WEEKLY, doc, NOW, published=days_ago(60))
    assert (got.state, got.reason) == ("stale", health.NO_SUCCESS)
    quiet = health.assess(WEEKLY, POLLED, NOW, published=days_ago(60))
    assert quiet.detail == f"no new notice since {(NOW - 60 * DAY).date()} (more than 3 × 7 days, its catalogued cadence)"


def test_a_change_of_stale_reason_is_reported_once() -> None:
    docs = {"weekly": {"status": "ok", "last_success": ago(60 * 3 + 5)}}
    history = {"weekly": days_ago(60)}
    [first] = health.changes([WEEKLY], docs, NOW, history=history)
    assert (first.state, first.reason) == ("stale", health.NO_SUCCESS)
    docs["weekly"].update(reported_state="stale", reported_reason=health.NO_SUCCESS)
    assert health.changes([WEEKLY], docs, NOW, history=history) == []
    docs["weekly"]["last_success"] = ago(5)       # polls work again, but the publisher is quiet
    [second] = health.changes([WEEKLY], docs, NOW, history=history)
    assert (second.state, second.reason) == ("stale", health.QUIET)
    docs["weekly"].update(reported_reason=health.QUIET)
    assert health.changes([WEEKLY], docs, NOW, history=history) == []
    assert [c.state for c in health.changes([WEEKLY], docs, NOW, history={"weekly": days_ago(1)})] == ["ok"]


def test_a_stale_reported_before_reasons_existed_meant_no_successful_poll() -> None:
    docs = {"weekly": {"status": "ok", "last_success": ago(60 * 3 + 5), "reported_state": "stale"}}
    assert health.changes([WEEKLY], docs, NOW) == []


def test_state_doc_shows_the_cadence_and_newest_notice() -> None:
    judged = health.assess(WEEKLY, POLLED, NOW, published=days_ago(22, 30))
    assert health.state_doc(judged, WEEKLY, days_ago(22, 30), NOW) == {
        "state": "stale", "state_reason": "quiet", "state_detail": judged.detail,
        "assessed_at": NOW.isoformat(), "newest_published": (NOW - 22 * DAY).isoformat(),
        "cadence_days": 7.0}


@pytest.mark.parametrize("values, count", [
    (["2026-11-20T10:00:00+08:00", "2026-11-19"], 1),   # a date without an offset is not comparable
    (["not a date", None, 3], 0),
])
def test_dates_from_the_index(values, count) -> None:
    assert len(health.dates(values)) == count


def _index_notices(es, source_id: str, published: list[datetime]) -> None:
    from connectors import store
    from records.items import FetchedItem
    from transforms.normalise import SourceMeta, normalise

    meta = SourceMeta(source_id, "NIST", "US", "America/New_York", {})
    store.upsert_notices(es, [normalise(FetchedItem(source_id, f"https://x.org/{n}", f"Notice {n}",
                                                    published=when.isoformat()), meta, when)
                              for n, when in enumerate(published)])


def test_quiet_publisher_is_recorded_reported_once_and_shown(es, tmp_path, monkeypatch, capsys) -> None:
    from connectors import store
    from regwatch import cli, tasks

    catalog = tmp_path / "sources.yaml"
    catalog.write_text("- {id: quiet-feed, kind: rss, url: 'https://x.org/f', expect_every: 7d}\n"
                       "- {id: busy-feed, kind: rss, url: 'https://y.org/f'}\n", encoding="utf-8")
    monkeypatch.setenv("REGWATCH_CATALOG", str(catalog))
    now = datetime.now(timezone.utc)  # `regwatch sources` judges at the real time
    for source_id in ("quiet-feed", "busy-feed"):
        store.record_health(es, source_id, {"status": "ok", "last_success": now.isoformat(),
                                            "last_attempt": now.isoformat()})
    _index_notices(es, "quiet-feed", [now - timedelta(days=d) for d in (40, 50)])
    _index_notices(es, "busy-feed", [now - timedelta(days=d) for d in (1, 2, 3, 4, 5)])

    [change] = tasks.health_changes(now)
    assert change == {"source_id": "quiet-feed", "state": "stale", "reason": "quiet",
                      "detail": f"no new notice since {(now - timedelta(days=40)).date()} "
                                "(more than 3 × 7 days, its catalogued cadence)"}
    docs = store.source_health(es)
    assert (docs["quiet-feed"]["state"], docs["quiet-feed"]["state_reason"]) == ("stale", "quiet")
    assert (docs["busy-feed"]["state"], docs["busy-feed"]["cadence_days"]) == ("ok", 7.0)  # the floor
    assert "quiet-feed: stale (quiet) — no new notice" in tasks.health_message([change])[1]
    tasks.mark_reported([change])
    assert tasks.health_changes(now) == []

    assert cli.main(["sources", "--status", "stale"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.split()[:4] == ["quiet-feed", "rss", "stale", "(quiet)"] and "no new notice since" in line
    assert cli.main(["sources", "--json"]) == 0
    rows = {r["id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert (rows["quiet-feed"]["reason"], rows["busy-feed"]["state"]) == ("quiet", "ok")
