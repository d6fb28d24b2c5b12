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

from alerts import subscriptions as subs
from connectors import store
from infra import local_es
from tests.servers import free_port
from tests.slack_server import SlackServer

TOKEN = "xoxb-4242-secret-token-do-not-log"
SMTP_PASSWORD = "smtp-Pa55-do-not-log"
ES_PASSWORD = "es-Pa55word-do-not-log"
BIN = Path(sys.executable).with_name("regwatch")


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
    node = local_es.Node(name=f"test-secured-{port}", port=port, security=True, password=ES_PASSWORD)
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
