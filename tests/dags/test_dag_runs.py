"""The pipeline run through Airflow (dag.test on a migrated SQLite database), against real services."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from alerts import subscriptions as subs
from connectors import store
from infra.replay import ReplayServer
from tests.conftest import FIXTURES, REPO
from tests.servers import Reply


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
    # One event per host, each naming the notices its host task left to dispatch_alerts: NIST's
    # 4 (no more than the flood limit) it alerted itself, MIIT's 6 are more.
    events = [e["notice_ids"] for e in asset_events()[before:]]
    assert sorted(len(ids) for ids in events) == [0, 0, 6]  # announce_stranded: nothing stranded
    ids = [i for e in events for i in e]
    assert len(set(ids)) == 6 and sorted(unannounced(es)) == sorted(ids)
    run = bag.dags["dispatch_alerts"].test(run_conf={"notice_ids": ids})
    assert run.state == "success"
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert len(subjects) == 4 and any("跨链互操作" in s for s in subjects)
    # A second poll finds nothing new: its events name no notice.
    before = len(asset_events())
    assert bag.dags["poll_publishers"].test().state == "success"
    assert [e["notice_ids"] for e in asset_events()[before:]] == [[], [], []]


def test_a_broken_publisher_fails_only_its_own_task(bag, es, tmp_path, monkeypatch) -> None:
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root)
    (root / "miit-yjzj" / "unit.json").write_text('{"data": {"html": "<ul><li>', encoding="utf-8")
    server = ReplayServer(root).start()
    monkeypatch.setenv("REGWATCH_REPLAY", server.base)
    before = len(asset_events())
    try:
        run = bag.dags["poll_publishers"].test()
    finally:
        server.stop()
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {"poll_www_miit_gov_cn": "failed", "poll_csrc_nist_gov": "success",
                      "announce_stranded": "success"}
    health = store.source_health(es)
    assert health["miit-yjzj"]["status"] == "changed"
    assert "malformed JSON" in health["miit-yjzj"]["last_error"]
    assert health["nist-csrc"]["status"] == "ok"
    # The healthy host's 4 notices (no more than the flood limit) were alerted by its own task,
    # so its event names none; the failed host had nothing else (announce_stranded's names none).
    assert sorted(len(e["notice_ids"]) for e in asset_events()[before:]) == [0, 0]
    assert es.count(index=store.NOTICES, query={"term": {"source_id": "nist-csrc"}})["count"] == 4
    assert unannounced(es) == []


def test_one_task_per_host_and_a_host_left_with_no_publisher_polls_nothing(airflow_db, es, replay,
                                                                          tmp_path, monkeypatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import TEST_CATALOG

    parsed = tmp_path / "catalog.yaml"
    parsed.write_text(TEST_CATALOG.read_text(encoding="utf-8") +
                      '\n- {id: gone-feed, kind: rss, url: "https://gone.example.org/feed.xml"}\n',
                      encoding="utf-8")
    monkeypatch.setenv("REGWATCH_CATALOG", str(parsed))
    dag = DagBag(dag_folder=str(REPO / "dags")).dags["poll_publishers"]
    polls = {t.task_id for t in dag.tasks if t.task_id.startswith("poll_")}
    assert polls == {"poll_www_miit_gov_cn", "poll_csrc_nist_gov", "poll_gone_example_org"}
    # The publisher is removed after the DAG was parsed: its host's task has nothing to poll.
    monkeypatch.setenv("REGWATCH_CATALOG", str(TEST_CATALOG))
    monkeypatch.setenv("REGWATCH_REPLAY", replay.base)
    before = len(asset_events())
    run = dag.test()
    tis = {ti.task_id: ti for ti in run.get_task_instances()}
    assert run.state == "success"
    assert {k: ti.state for k, ti in tis.items() if not k.startswith("poll_")} == {
        "announce_stranded": "success"}  # last in every run
    assert tis["poll_gone_example_org"].state == "success"
    assert tis["poll_gone_example_org"].xcom_pull(task_ids="poll_gone_example_org")["polled"] == []
    # MIIT's 6 notices (more than the flood limit) are left to dispatch_alerts; NIST's 4 its task alerted.
    named = [i for e in asset_events()[before:] for i in e["notice_ids"]]
    assert len(named) == 6 and sorted(unannounced(es)) == sorted(named)


def test_a_retry_polls_only_the_publisher_that_failed(bag, es, scripted, tmp_path, monkeypatch) -> None:
    flaky, good = scripted_feeds(scripted, tmp_path, monkeypatch)
    scripted.script[flaky] = [Reply(404, b"gone for a moment"), Reply(200, feed("Flaky draft", "f"))]
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags")).dags["poll_publishers"]
    before = len(asset_events())
    run = dag.test()
    ti = next(ti for ti in run.get_task_instances() if ti.task_id == "poll_127_0_0_1")
    assert run.state == "success" and ti.state == "success" and ti.try_number == 2
    assert scripted.hits == {good: 1, flaky: 2}  # the retry fetched the failed publisher only
    # The failed try alerted the good feed's notice before failing (a failed task emits no
    # event), the retry the flaky one's: both events name nothing left, and nothing is.
    events = asset_events()[before:]
    assert [len(e["notice_ids"]) for e in events] == [0, 0]  # the host's, then announce_stranded's
    assert unannounced(es) == [] and es.count(index=store.NOTICES)["count"] == 2
    assert store.source_health(es)["flaky"]["status"] == "ok"


def test_a_host_failing_for_good_still_announces_its_healthy_publishers(bag, es, scripted, tmp_path,
                                                                         monkeypatch) -> None:
    flaky, good = scripted_feeds(scripted, tmp_path, monkeypatch)
    scripted.script[flaky] = [Reply(404, b"gone")]
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags")).dags["poll_publishers"]
    before = len(asset_events())
    run = dag.test()
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {"poll_127_0_0_1": "failed", "announce_stranded": "success"}
    assert scripted.hits == {good: 1, flaky: 3}  # three tries, the good feed fetched once
    # The good feed's notice was alerted by the host task before it failed; without that (a
    # flood, a failed delivery) announce_stranded would name it (tests/dags/test_host_task.py).
    events = asset_events()[before:]
    assert len(events) == 1 and events[0]["notice_ids"] == []  # announce_stranded's
    assert unannounced(es) == [] and es.count(index=store.NOTICES)["count"] == 1


def unannounced(es) -> list[str]:
    es.indices.refresh(index=store.NOTICES)
    return store.unannounced_ids(es, None)


def feed(title: str, slug: str) -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>{title}</title>'
            f"<link>https://x.example.org/{slug}</link></item></channel></rss>").encode()


def scripted_feeds(scripted, tmp_path, monkeypatch) -> tuple[str, str]:
    """Two RSS publishers on one loopback host (one task): `flaky` and `good`."""
    scripted.script["/good.xml"] = [Reply(200, feed("Good draft", "g"))]
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("".join(f'- {{id: {n}, kind: rss, url: "{scripted.url(f"/{n}.xml")}", allow_private: true}}\n'
                               for n in ("flaky", "good")), encoding="utf-8")
    monkeypatch.setenv("REGWATCH_CATALOG", str(catalog))
    return "/flaky.xml", "/good.xml"
