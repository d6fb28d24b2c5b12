"""End to end on the real scheduler: api-server, scheduler, dag-processor and triggerer."""
from __future__ import annotations

import os

import httpx
import pytest

from alerts import subscriptions as subs
from connectors import store
from infra.airflow_stack import Stack
from tests.servers import free_port
from tests.web.test_slack_endpoints import SECRET, signed, slash_body


@pytest.fixture
def stack(tmp_path, es, smtp, replay, two_publishers):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(two_publishers.read_text(encoding="utf-8") +
                       '\n- {id: broken-feed, kind: rss, url: "https://broken.example.org/feed.xml"}\n',
                       encoding="utf-8")
    env = {"ES_URL": os.environ["ES_URL"], "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
           "REGWATCH_REPLAY": replay.base, "REGWATCH_CATALOG": str(catalog),
           "REGWATCH_POLL_SCHEDULE": "none", "REGWATCH_RETRY_DELAY_SECONDS": "1"}
    env["SLACK_SIGNING_SECRET"] = SECRET  # the web app the API server mounts (plugins/regwatch_web.py)
    running = Stack(tmp_path / "airflow", port=free_port(), env=env).start()
    yield running
    running.stop()


def test_poll_and_asset_triggered_dispatch_on_the_scheduler(stack, es, smtp) -> None:
    subs.save(es, subs.make("email", "analyst@example.org", subs.Filters(),
                            known_sources=["miit-yjzj", "nist-csrc"], backfill_days=36500))
    stack.wait_for_dags(["poll_publishers", "dispatch_alerts"])
    run_id = stack.trigger("poll_publishers")
    poll = stack.wait_for_run("poll_publishers", run_id=run_id, timeout=240)
    assert poll["state"] == "success"
    states = {t["task_id"]: (t["state"], t["try_number"]) for t in stack.task_states("poll_publishers", run_id)}
    assert states == {"poll_www_miit_gov_cn": ("success", 1), "poll_csrc_nist_gov": ("success", 1),
                      "poll_broken_example_org": ("failed", 3), "announce_stranded": ("success", 1)}
    # The operator sees which publisher failed, and why, in the host task's log.
    log = stack.api("GET", f"/dags/poll_publishers/dagRuns/{run_id}/taskInstances/"
                           "poll_broken_example_org/logs/3", params={"full_content": "true"})
    assert "1 of 1 publishers on broken_example_org failed: broken-feed: " in str(log)
    dispatches = stack.wait_for_dispatches(run_id, timeout=240)
    assert dispatches and all(d["state"] == "success" for d in dispatches)
    assert es.count(index=store.NOTICES)["count"] == 10
    assert len(smtp.messages) == 4
    assert all(m["To"] == "analyst@example.org" for m in smtp.messages)
    health = store.source_health(es)
    assert health["broken-feed"]["status"] == "unavailable" and "HTTP 404" in health["broken-feed"]["last_error"]
    # Each host emitted its own event on the notices Asset, naming once the notices it left to
    # dispatch_alerts: MIIT's 6 (more than the flood limit); NIST's 4 its host task alerted.
    events = stack.api("GET", "/assets/events", params={"source_dag_id": "poll_publishers", "limit": 100})
    named = [i for e in events["asset_events"] for i in e["extra"]["notice_ids"]]
    assert len(named) == len(set(named)) == 6
    # Nothing new the second time: the events name no notice, and nothing is sent again.
    again_id = stack.trigger("poll_publishers")
    again = stack.wait_for_run("poll_publishers", run_id=again_id, timeout=240)
    assert again["state"] == "success"  # the leaf (announce_stranded) succeeded; the broken host failed again
    stack.wait_for_dispatches(again_id, timeout=240)
    events = stack.api("GET", "/assets/events", params={"source_dag_id": "poll_publishers", "limit": 100})
    second = [e["extra"]["notice_ids"] for e in events["asset_events"] if e["source_run_id"] == again_id]
    assert second and not any(second)
    assert len(smtp.messages) == 4


def test_the_api_server_serves_the_subscriber_web_app(stack, es) -> None:
    base = f"{stack.url}/regwatch"
    assert httpx.get(f"{base}/healthz", timeout=30).json() == {"status": "ok"}
    body = slash_body("subscribe stage=draft")
    assert httpx.post(f"{base}/slack/commands", content=body, timeout=30).status_code == 401
    answer = httpx.post(f"{base}/slack/commands", content=body, headers=signed(body), timeout=60)
    assert answer.status_code == 200 and "subscribed this channel" in answer.json()["text"]
    es.indices.refresh(index=subs.INDEX)
    assert [s.filters.stages for s in subs.list_all(es)] == [("draft",)]
