"""Socket Mode (`regwatch serve --socket-mode`): slack_sdk's client against a loopback WebSocket
server speaking Slack's envelope protocol, the handlers answering from the real Elasticsearch."""
from __future__ import annotations

import json
import queue
import threading
from typing import Any, Iterator
from urllib.parse import parse_qsl

import pytest
from websockets.sync.server import ServerConnection, serve

from alerts import subscriptions
from alerts.errors import DeliveryError
from alerts.web import socket_mode
from tests.web.test_slack_endpoints import CHANNEL, slash_body

ENVELOPE = "57d6a792-4d35-4d0b-b6aa-3361493e1caf"
# slack_sdk's client reads the socket in a loop paced by Event.wait(interval): under faketime
# that wait never expires, so the client never reads the envelope (make test's second run skips it).
pytestmark = pytest.mark.realclock


class SocketServer:
    """Slack's side of Socket Mode: hello, then the queued envelopes; records the acknowledgements."""

    def __init__(self, envelopes: list[dict[str, Any]]) -> None:
        self.envelopes, self.acks = envelopes, queue.Queue[dict[str, Any]]()
        self.server = serve(self._session, "127.0.0.1", 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link/?ticket=test"

    def _session(self, ws: ServerConnection) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0REGWATCH"}}))
        for envelope in self.envelopes:
            ws.send(json.dumps(envelope))
        for message in ws:
            self.acks.put(json.loads(message))


@pytest.fixture
def socket_env(es, slack, two_publishers, monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("SLACK_APP_TOKEN", slack.app_token)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)  # nothing to sign over a socket
    yield


def test_a_slash_command_over_socket_mode_is_answered_in_the_ack(es, slack, socket_env) -> None:
    form = dict(parse_qsl(slash_body("subscribe stage=draft lang=zh")))  # the same fields as over HTTP
    server = SocketServer([{"envelope_id": ENVELOPE, "type": "slash_commands", "accepts_response_payload": True,
                            "retry_attempt": 0, "retry_reason": "", "payload": form}])
    slack.socket_url = server.url
    client = socket_mode.client()
    client.connect()
    try:
        ack = server.acks.get(timeout=30)
    finally:
        client.close()
        server.server.shutdown()
    assert ack["envelope_id"] == ENVELOPE
    assert ack["payload"]["response_type"] == "in_channel"
    assert "subscribed this channel" in ack["payload"]["text"]
    es.indices.refresh(index=subscriptions.INDEX)
    [sub] = subscriptions.list_all(es)
    assert (sub.target, sub.lang, sub.filters.stages) == (CHANNEL, "zh", ("draft",))


def test_without_an_app_token_socket_mode_says_so(monkeypatch) -> None:
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    with pytest.raises(DeliveryError, match="^SLACK_APP_TOKEN is not set"):
        socket_mode.client()
