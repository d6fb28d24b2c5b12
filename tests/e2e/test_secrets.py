"""Secrets (Slack token, SMTP password, Elasticsearch password) never appear in output or the index."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from connectors import store
from infra import local_es
from tests.servers import free_port
from tests.slack_server import SlackServer

TOKEN = "xoxb-4242-secret-token-do-not-log"
SMTP_PASSWORD = "smtp-Pa55-do-not-log"
ES_PASSWORD = "es-Pa55word-do-not-log"
BIN = Path(sys.executable).with_name("regwatch")
# What an operator grants regwatch: its own indices and templates, nothing else.
ROLES = """
regwatch_writer:
  cluster: [monitor, manage_index_templates]
  indices:
    - names: ["regwatch-*"]
      privileges: [all]
regwatch_reader:
  cluster: [monitor]
  indices:
    - names: ["regwatch-*"]
      privileges: [read, view_index_metadata]
"""


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.count += 1
        return "250 OK"


def _login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=auth_data.login == b"regwatch" and auth_data.password == SMTP_PASSWORD.encode())


@pytest.fixture(scope="module")
def secured():
    port = int(os.environ.get("REGWATCH_TEST_ES_PORT", "9250")) + 20
    node = local_es.Node(name=f"test-secured-{port}", port=port, security=True, password=ES_PASSWORD,
                         users=(("rw_writer", "writer-Pa55", "regwatch_writer"),
                                ("rw_reader", "reader-Pa55", "regwatch_reader")), roles=ROLES)
    local_es.stop(node)
    local_es.wipe(node)
    local_es.start(node)
    yield node
    local_es.stop(node)


def test_secrets_stay_out_of_output_logs_and_index(secured, replay, two_publishers, monkeypatch) -> None:
    sink = _Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port(), authenticator=_login,
                      auth_require_tls=False)
    smtp.start()
    slack = SlackServer(token=TOKEN)
    env = {**os.environ, "ES_URL": secured.url, "ES_USERNAME": secured.username, "ES_PASSWORD": ES_PASSWORD,
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_USER": "regwatch",
           "SMTP_PASSWORD": SMTP_PASSWORD, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.base_url,
           "REGWATCH_CATALOG": str(two_publishers)}
    outputs = []
    try:
        def run(*args: str, **extra: str) -> subprocess.CompletedProcess:
            done = subprocess.run([str(BIN), *args], env={**env, **extra}, capture_output=True,
                                  text=True, timeout=300)
            outputs.append(done.stdout + done.stderr)
            return done

        assert run("subscribe", "--email", "analyst@example.org").returncode == 0
        assert run("subscribe", "--slack", "#standards").returncode == 0
        assert run("subscribe", "--slack", "#no-such-channel").returncode == 0
        first = run("run", "--once", "--replay", replay.base)
        assert sink.count >= 1 and slack.messages  # both channels really authenticated
        assert "channel_not_found" in first.stdout  # a failure is reported …
        run("run", "--once", "--replay", replay.base, SMTP_PASSWORD="wrong-" + SMTP_PASSWORD)
        run("sources")
        run("search", "区块链", ES_PASSWORD="wrong-" + ES_PASSWORD)  # … and so is a refused login
        monkeypatch.setenv("ES_USERNAME", secured.username)
        monkeypatch.setenv("ES_PASSWORD", ES_PASSWORD)
        client = store.connect(secured.url)
        client.indices.refresh(index="regwatch-*")
        docs = client.search(index="regwatch-*", size=1000, query={"match_all": {}})["hits"]["hits"]
        indexed = json.dumps(docs, ensure_ascii=False)
    finally:
        smtp.stop()
        slack.stop()
    logs = "".join(p.read_text(errors="replace") for p in (secured.dir / "logs").glob("*.log"))
    for secret in (TOKEN, SMTP_PASSWORD, ES_PASSWORD):
        for where, text in (("command output", "".join(outputs)), ("index", indexed),
                            ("Elasticsearch logs", logs)):
            assert secret not in text, f"{secret} leaked into {where}"
    assert any("401" in o or "authentication" in o.lower() for o in outputs)


def test_least_privilege_user_works_and_a_missing_privilege_is_one_clear_line(
        secured, replay, two_publishers) -> None:
    base = {**os.environ, "ES_URL": secured.url, "REGWATCH_CATALOG": str(two_publishers)}
    admin = store.Elasticsearch(secured.url, basic_auth=(secured.username, ES_PASSWORD))
    admin.options(ignore_status=400).indices.create(index="payroll")

    def run(user: str, password: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=300,
                              env={**base, "ES_USERNAME": user, "ES_PASSWORD": password})

    writer = run("rw_writer", "writer-Pa55", "run", "--once", "--replay", replay.base)
    # (Deliveries to the first test's subscriptions may fail here: no Slack token in this env.)
    assert "2 publishers polled (2 ok, 0 failed)" in writer.stdout, writer.stdout + writer.stderr
    assert run("rw_writer", "writer-Pa55", "search", "区块链").returncode == 0
    limited = store.Elasticsearch(secured.url, basic_auth=("rw_writer", "writer-Pa55"))
    assert limited.options(ignore_status=403).search(index="payroll").meta.status == 403
    reader = run("rw_reader", "reader-Pa55", "run", "--once", "--replay", replay.base)
    assert reader.returncode == 2 and reader.stdout == ""
    [line] = reader.stderr.strip().splitlines()
    assert line.startswith("regwatch run: error: Elasticsearch refused the request (HTTP 403)")
    assert "rw_reader" in line and "Traceback" not in reader.stderr
