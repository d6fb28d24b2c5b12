"""Worst days: Elasticsearch restarting mid-cycle, a half-written poll, a crash mid-send."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from elasticsearch import ConnectionError as EsConnectionError

from alerts import ledger
from alerts import subscriptions as subs
from alerts.dispatch import dispatch
from connectors import store
from connectors.catalog import load_catalog
from infra import local_es
from regwatch.pipeline import poll_source, run_cycle
from tests.conftest import TEST_NODE


def subscribe_all(es) -> None:
    subs.save(es, subs.make("email", "analyst@example.org", subs.Filters(blockchain_only=False, kinds=()),
                            known_sources=["miit-yjzj", "nist-csrc"], backfill_days=36500))  # recordings


def test_a_poll_that_failed_half_way_loses_nothing_on_retry(es, smtp, replay, two_publishers) -> None:
    """The retry of a poll whose bulk write failed part-way still alerts every notice, once."""
    subscribe_all(es)
    miit = {s.id: s for s in load_catalog()}["miit-yjzj"]
    first = poll_source(es, miit, replay=replay.base)
    # Simulate the attempt that indexed its notices and then died before announcing them.
    for notice_id in first.created[3:]:
        es.delete(index=store.NOTICES, id=notice_id, refresh=True)
    retry = poll_source(es, miit, replay=replay.base)
    assert sorted(retry.created) == sorted(first.created[3:])
    assert sorted(retry.alertable) == sorted(first.created)  # the first three were never announced
    result = dispatch(es, retry.alertable)
    # Six alerts for one subscription are more than the flood limit (5): one summary carries all.
    [summary] = smtp.messages
    assert summary["Subject"] == "[regwatch] 6 new notices"
    assert result.messages == 1 and len(result.sent) == 6 and ledger.sent_count(es) == 6
    again = poll_source(es, miit, replay=replay.base)
    assert again.alertable == [] and dispatch(es, again.alertable).sent == []


def test_elasticsearch_restarting_mid_cycle(es, smtp, replay, two_publishers) -> None:
    """The cycle fails while Elasticsearch is down; the retry indexes and alerts each notice once."""
    subscribe_all(es)
    sources = load_catalog()
    local_es.stop(TEST_NODE)
    try:
        with pytest.raises(EsConnectionError):
            run_cycle(store.connect(TEST_NODE.url), sources, replay=replay.base)
    finally:
        local_es.start(TEST_NODE)
    client = store.connect(TEST_NODE.url)
    start = time.monotonic()
    summary = run_cycle(client, sources, replay=replay.base)
    assert time.monotonic() - start < 60
    assert client.count(index=store.NOTICES)["count"] == 10
    assert ledger.sent_count(client) == 10 and not summary.delivery.failed
    assert run_cycle(client, sources, replay=replay.base).delivery.sent == []


KILLER = """
import os, signal, sys
from alerts.dispatch import dispatch
from connectors import store
from alerts import channels, email
@channels.register
class SendThenDie(email.Mail):  # replaces the email channel in this process only
    def send(self, target, message):
        super().send(target, message)
        os.kill(os.getpid(), signal.SIGKILL)   # the channel accepted it; the ledger never hears
dispatch(store.connect(), sys.argv[1:])
"""


def test_killed_between_send_and_record_resends_at_most_once(es, smtp, replay, two_publishers) -> None:
    subscribe_all(es)
    miit = {s.id: s for s in load_catalog()}["miit-yjzj"]
    ids = poll_source(es, miit, replay=replay.base).alertable[:3]
    env = {**os.environ, "REGWATCH_FLOOD_LIMIT": "100"}
    killed = subprocess.run([sys.executable, "-c", KILLER, *ids], env=env, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert len(smtp.messages) == 1 and ledger.sent_count(es) == 0
    # The dead dispatcher's claims hold until their lease runs out...
    assert dispatch(es, ids, flood_limit=100).sent == [] and len(smtp.messages) == 1
    later = datetime.now(timezone.utc) + ledger.lease() + timedelta(seconds=1)
    dispatch(es, ids, flood_limit=100, clock=lambda: later)
    # ...then the alert that was in flight is sent once more (the documented window); the rest once.
    subjects = [m["Subject"] for m in smtp.messages]
    assert len(subjects) == 4 and len(set(subjects)) == 3
    dispatch(es, ids, flood_limit=100, clock=lambda: later)
    assert len(smtp.messages) == 4 and ledger.sent_count(es) == 3
