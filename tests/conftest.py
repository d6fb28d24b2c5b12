"""Shared fixtures: one real Elasticsearch node for the session, loopback publishers and SMTP."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEST_CATALOG = Path(__file__).with_name("catalog.yaml")
FIXTURES = REPO / "tests" / "fixtures"  # the recorded publishers (infra/replay.py serves them)
# Airflow reads its configuration when first imported: point it at a throw-away home first.
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="regwatch-airflow-"))
os.environ.update({
    "AIRFLOW_HOME": str(AIRFLOW_HOME), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME}/airflow.db",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
})

import pytest  # noqa: E402

from connectors import store
from infra import local_es
from infra.replay import ReplayServer
from tests.servers import ScriptedServer, SmtpSink
from tests.slack_server import SlackServer

# Several test sessions may run side by side: each port gets its own node folder.
_TEST_PORT = int(os.environ.get("REGWATCH_TEST_ES_PORT", "9250"))
TEST_NODE = local_es.Node(name=f"test-{_TEST_PORT}", port=_TEST_PORT)
# Tests are marked from the fixtures they use (directly or through another fixture):
# `services` when they start Elasticsearch or Airflow, `airflow` when Airflow's database or
# scheduler. `make test` runs all but the `airflow` ones a second time with the clock moved a
# year ahead (faketime); the Elasticsearch node keeps the real clock (it is started with a clean
# environment), so a test reading the node's date math builds its dates from the node's clock.
AIRFLOW_FIXTURES = {"airflow_db", "stack"}
SERVICE_FIXTURES = {"es_url", "es", "secured_node", "secured", *AIRFLOW_FIXTURES}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "services: starts Elasticsearch or Airflow (set from the fixtures)")
    config.addinivalue_line("markers", "airflow: needs Airflow's database or scheduler (set from the fixtures)")
    config.addinivalue_line("markers", "realclock: relies on timed waits, which libfaketime stops from "
                                       "ever expiring (slack_sdk's Socket Mode runner)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SERVICE_FIXTURES:
            item.add_marker(pytest.mark.services)
        if used & AIRFLOW_FIXTURES:
            item.add_marker(pytest.mark.airflow)


@pytest.fixture(scope="session")
def es_url() -> str:
    """Start a fresh local node for the whole session (never the demo's node)."""
    local_es.stop(TEST_NODE)
    local_es.wipe(TEST_NODE)
    local_es.start(TEST_NODE)
    yield TEST_NODE.url
    local_es.stop(TEST_NODE)


@pytest.fixture
def es(es_url: str, monkeypatch: pytest.MonkeyPatch):
    """A client on the test node with every regwatch index empty."""
    monkeypatch.setenv("ES_URL", es_url)
    for var in ("ES_API_KEY", "ES_USERNAME", "ES_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    client = store.connect(es_url)
    for index in store.INDICES.values():
        client.options(ignore_status=404).indices.delete(index=index)
    store.ensure_indices(client)
    yield client
    client.close()


@pytest.fixture
def two_publishers(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pipeline tests run over a fixed catalogue of two publishers (MIIT jpaas and NIST RSS)."""
    monkeypatch.setenv("REGWATCH_CATALOG", str(TEST_CATALOG))
    return TEST_CATALOG


@pytest.fixture
def replay():
    server = ReplayServer(FIXTURES).start()
    yield server
    server.stop()


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch):
    """A fake Slack Web API on loopback, pointed at by the environment."""
    server = SlackServer()
    monkeypatch.setenv("SLACK_BOT_TOKEN", server.token)
    monkeypatch.setenv("SLACK_API_URL", server.base_url)
    yield server
    server.stop()


@pytest.fixture
def scripted():
    server = ScriptedServer()
    yield server
    server.stop()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch):
    sink = SmtpSink().start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(sink.port))
    monkeypatch.setenv("SMTP_FROM", "regwatch@example.org")
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Migrate the session's SQLite metadata database (for dag.test())."""
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=dict(os.environ),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return AIRFLOW_HOME
