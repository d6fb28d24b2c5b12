"""The web app as an Airflow plugin: Airflow's plugins manager finds it in plugins/, and Airflow's
own API server app, served by uvicorn, answers a signed Slack command under /regwatch with the
signing secret taken from the regwatch_slack Connection."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx

from alerts import subscriptions
from tests.conftest import REPO
from tests.servers import free_port
from tests.web.test_slack_endpoints import SECRET, signed, slash_body

PLUGINS = {"AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
SERVE = """
import sys, uvicorn
from airflow.api_fastapi.app import create_app
uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def test_airflow_plugins_lists_the_app_under_regwatch() -> None:
    done = subprocess.run([sys.executable, "-m", "airflow", "plugins", "--output", "json"],
                          env={**os.environ, **PLUGINS}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    [plugin] = [p for p in json.loads(done.stdout[done.stdout.index("["):]) if p["name"] == "regwatch"]
    assert plugin["source"] == "$PLUGINS_FOLDER/regwatch_web.py"
    assert plugin["fastapi_apps"] == [{"app": "fastapi.applications.FastAPI", "url_prefix": "/regwatch",
                                       "name": "regwatch"}]


def test_the_api_server_answers_slack_with_the_connections_secret(es, two_publishers, tmp_path) -> None:
    port = free_port()
    connection = json.dumps({"conn_type": "slack", "password": "xoxb-unused",
                             "extra": {"signing_secret": SECRET}})
    env = {k: v for k, v in os.environ.items() if k != "SLACK_SIGNING_SECRET"}
    env.update(PLUGINS, AIRFLOW_CONN_REGWATCH_SLACK=connection)
    log = (tmp_path / "api.log").open("w")
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/regwatch"
    try:
        _wait(f"{base}/healthz", proc, tmp_path / "api.log")
        body = slash_body("subscribe stage=draft")
        assert httpx.post(f"{base}/slack/commands", content=body, headers=signed(body, "forged")).status_code == 401
        r = httpx.post(f"{base}/slack/commands", content=body, headers=signed(body), timeout=60)
        assert r.status_code == 200 and "subscribed this channel" in r.json()["text"], r.text
    finally:
        proc.terminate()
        proc.wait(30)
    es.indices.refresh(index=subscriptions.INDEX)
    assert [s.filters.stages for s in subscriptions.list_all(es)] == [("draft",)]
    assert SECRET not in (tmp_path / "api.log").read_text()


def _wait(url: str, proc: subprocess.Popen, log_path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the API server exited: {log_path.read_text()[-2000:]}"
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("the API server app did not answer within 180 s")
