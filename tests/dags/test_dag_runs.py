"""The pipeline run through Airflow (dag.test on a migrated SQLite database), against real services."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from alerts import subscriptions as subs
from connectors import store
from infra.replay import ReplayServer
from tests.conftest import FIXTURES, REPO


@pytest.fixture
def bag(airflow_db, two_publishers, monkeypatch):
    monkeypatch.setenv("REGWATCH_RETRY_DELAY_SECONDS", "0.5")
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def asset_events() -> list[dict]:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        return [e.extra for e in session.scalars(select(AssetEvent).order_by(AssetEvent.id))]


def test_poll_then_dispatch_through_airflow(bag, es, smtp, replay, monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_REPLAY", replay.base)
    subs.save(es, subs.make("email", "analyst@example.org", subs.Filters(), known_sources=["miit-yjzj"],
                            backfill_days=36500))  # the recordings are history: opt in
    before = len(asset_events())
    run = bag.dags["poll_publishers"].test()
    assert run.state == "success"
    assert es.count(index=store.NOTICES)["count"] == 10
    ids = asset_events()[before]["notice_ids"]
    assert len(ids) == 10
    run = bag.dags["dispatch_alerts"].test(run_conf={"notice_ids": ids})
    assert run.state == "success"
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert len(subjects) == 4 and any("跨链互操作" in s for s in subjects)
    # A second poll finds nothing new: the event names no notices and nothing more is sent.
    assert bag.dags["poll_publishers"].test().state == "success"
    assert asset_events()[-1]["notice_ids"] == []


def test_a_broken_publisher_fails_only_its_own_task(bag, es, tmp_path, monkeypatch) -> None:
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root)
    (root / "miit-yjzj" / "unit.json").write_text('{"data": {"html": "<ul><li>', encoding="utf-8")
    server = ReplayServer(root).start()
    monkeypatch.setenv("REGWATCH_REPLAY", server.base)
    try:
        run = bag.dags["poll_publishers"].test()
    finally:
        server.stop()
    states = {ti.task_id: ti.state for ti in run.get_task_instances() if ti.task_id.startswith("poll_")}
    assert states == {"poll_www_miit_gov_cn": "failed", "poll_csrc_nist_gov": "success"}
    health = store.source_health(es)
    assert health["miit-yjzj"]["status"] == "changed"
    assert "malformed JSON" in health["miit-yjzj"]["last_error"]
    assert health["nist-csrc"]["status"] == "ok"
    assert asset_events()[-1]["notice_ids"]  # the healthy publisher's notices still announced
    assert es.count(index=store.NOTICES, query={"term": {"source_id": "nist-csrc"}})["count"] == 4


def test_one_task_per_host_and_a_host_with_nothing_due_is_skipped(airflow_db, es, replay, tmp_path,
                                                                  monkeypatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import TEST_CATALOG

    parsed = tmp_path / "catalog.yaml"
    parsed.write_text(TEST_CATALOG.read_text(encoding="utf-8") +
                      '\n- {id: gone-feed, kind: rss, url: "https://gone.example.org/feed.xml"}\n',
                      encoding="utf-8")
    monkeypatch.setenv("REGWATCH_CATALOG", str(parsed))
    dag = DagBag(dag_folder=str(REPO / "dags")).dags["poll_publishers"]
    polls = {t.task_id: t for t in dag.tasks if t.task_id.startswith("poll_")}
    assert set(polls) == {"poll_www_miit_gov_cn", "poll_csrc_nist_gov", "poll_gone_example_org"}
    assert all(t.max_active_tis_per_dagrun == 1 for t in polls.values())
    # The publisher is removed after the DAG was parsed: its host's task has nothing to poll.
    monkeypatch.setenv("REGWATCH_CATALOG", str(TEST_CATALOG))
    monkeypatch.setenv("REGWATCH_REPLAY", replay.base)
    run = dag.test()
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert run.state == "success"
    assert states["poll_gone_example_org"] == "skipped" and states["poll_csrc_nist_gov"] == "success"
    assert len(asset_events()[-1]["notice_ids"]) == 10
