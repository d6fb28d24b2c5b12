"""Secrets (Slack token, SMTP password, link key, Elasticsearch API key and password) never appear in output,
logs or the index; regwatch works with an API key limited to its own indices."""
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
LINK_KEY = "link-key-0123456789-do-not-log"
BIN = Path(sys.executable).with_name("regwatch")
# What an operator grants regwatch's API key: its own indices and templates, nothing else.
WRITER = {"cluster": ["monitor", "manage_index_templates"],
          "indices": [{"names": ["regwatch-*"], "privileges": ["all"]}]}
READER = {"cluster": ["monitor"],
          "indices": [{"names": ["regwatch-*"], "privileges": ["read", "view_index_metadata"]}]}


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
                         api_keys=True)
    local_es.stop(node)
    local_es.wipe(node)
    local_es.start(node)
    yield node
    local_es.stop(node)


def api_key(node: local_es.Node, name: str, role: dict) -> dict:
    """Mint an API key limited to `role`, as an operator would for regwatch."""
    # The first key creates the .security index: on a busy machine that outlasts the 10 s default.
    admin = store.Elasticsearch(node.url, basic_auth=(node.username, ES_PASSWORD), request_timeout=60)
    return dict(admin.security.create_api_key(name=name, role_descriptors={name: role}))


def test_secrets_stay_out_of_output_logs_and_index(secured, replay, two_publishers, monkeypatch) -> None:
    sink = _Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port(), authenticator=_login,
                      auth_require_tls=False)
    smtp.start()
    slack = SlackServer(token=TOKEN)
    key = api_key(secured, "regwatch-secrets", WRITER)
    env = {**os.environ, "ES_URL": secured.url, "ES_API_KEY": key["encoded"],
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_USER": "regwatch",
           "SMTP_PASSWORD": SMTP_PASSWORD, "REGWATCH_LINK_KEY": LINK_KEY, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.base_url,
           "REGWATCH_CATALOG": str(two_publishers)}
    outputs = []
    try:
        def run(*args: str, **extra: str) -> subprocess.CompletedProcess:
            done = subprocess.run([str(BIN), *args], env={**env, **extra}, capture_output=True,
                                  text=True, timeout=300)
            outputs.append(done.stdout + done.stderr)
            return done

        # The recorded publishers are history (REGWATCH_BACKFILL_DAYS): these opt in to alert it.
        assert run("subscribe", "--email", "analyst@example.org", "--backfill", "36500").returncode == 0
        assert run("subscribe", "--slack", "#standards", "--backfill", "36500").returncode == 0
        assert run("subscribe", "--slack", "#no-such-channel", "--backfill", "36500").returncode == 0
        first = run("run", "--once", "--replay", replay.base)
        assert sink.count >= 1 and slack.messages  # both channels really authenticated
        assert "channel_not_found" in first.stdout  # a failure is reported …
        run("run", "--once", "--replay", replay.base, SMTP_PASSWORD="wrong-" + SMTP_PASSWORD)
        run("sources")
        run("search", "区块链", ES_API_KEY=key["encoded"][:-4] + "AAA=")  # … and so is a refused key
        run("search", "区块链", ES_API_KEY="", ES_USERNAME=secured.username,
            ES_PASSWORD="wrong-" + ES_PASSWORD)  # … and a refused password
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
    for secret in (TOKEN, SMTP_PASSWORD, ES_PASSWORD, LINK_KEY, key["encoded"], key["api_key"]):
        for where, text in (("command output", "".join(outputs)), ("index", indexed),
                            ("Elasticsearch logs", logs)):
            assert secret not in text, f"{secret} leaked into {where}"
    assert sum("HTTP 401" in o for o in outputs) >= 2, outputs[-2:]


def test_an_api_key_limited_to_regwatch_indices_works_and_a_missing_privilege_is_one_clear_line(
        secured, replay, two_publishers) -> None:
    base = {**os.environ, "ES_URL": secured.url, "REGWATCH_CATALOG": str(two_publishers)}
    admin = store.Elasticsearch(secured.url, basic_auth=(secured.username, ES_PASSWORD))
    admin.options(ignore_status=400).indices.create(index="payroll")
    writer, reader = api_key(secured, "regwatch-writer", WRITER), api_key(secured, "regwatch-reader", READER)

    def run(key: dict, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=300,
                              env={**base, "ES_API_KEY": key["encoded"]})

    polled = run(writer, "run", "--once", "--replay", replay.base)
    # (Deliveries to the first test's subscriptions may fail here: no Slack token in this env.)
    assert "2 publishers polled (2 ok, 0 failed)" in polled.stdout, polled.stdout + polled.stderr
    assert run(writer, "search", "区块链").returncode == 0
    limited = store.Elasticsearch(secured.url, api_key=writer["encoded"])
    assert limited.security.authenticate()["authentication_type"] == "api_key"
    assert limited.options(ignore_status=403).search(index="payroll").meta.status == 403
    refused = run(reader, "run", "--once", "--replay", replay.base)
    assert refused.returncode == 2 and refused.stdout == ""
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("regwatch run: error: Elasticsearch refused the request (HTTP 403)")
    assert reader["id"] in line and "Traceback" not in refused.stderr
