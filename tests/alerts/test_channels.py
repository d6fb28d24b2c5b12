"""The channel registry: a new channel is one class, registered through the public API alone.

The webhook here is a throw-away channel that exists only in this module: registering it must
give `regwatch subscribe` a flag, its own target check, and alerts posted to it by a dispatch.
"""
from __future__ import annotations

import json
import threading
import urllib.request
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from alerts import channels
from alerts import subscriptions as subs
from alerts.dispatch import dispatch
from alerts.errors import DeliveryError, SubscriptionError
from alerts.render import Batch
from connectors import store
from records.notice import Notice
from regwatch.cli import build_parser, main
from tests.connectors.test_store import make_notice

DRAFT = make_notice("https://www.miit.gov.cn/hook.html", "《区块链 智能合约安全技术要求》（征求意见稿）")


class Webhook(channels.Channel[dict[str, Any]]):
    """POST each alert as JSON to an http(s) URL."""

    name = "webhook"
    metavar = "URL"

    def check_target(self, target: str) -> None:
        if urlsplit(target).scheme not in ("http", "https") or not urlsplit(target).hostname:
            raise SubscriptionError(f"invalid webhook URL: {target!r}")

    def alert(self, notice: Notice, subscription: subs.Subscription, thread: str | None = None, *,
              days_left: int | None = None, today: date | None = None) -> dict[str, Any]:
        return {"subscription": subscription.id, "notices": [notice.id], "title": notice.title}

    def batch(self, batch: Batch, subscription: subs.Subscription, *,
              today: date | None = None) -> dict[str, Any]:
        return {"subscription": subscription.id, "notices": [n.id for n in batch.notices],
                "title": batch.title}

    def send(self, target: str, message: dict[str, Any]) -> None:
        request = urllib.request.Request(target, data=json.dumps(message).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError as exc:
            raise DeliveryError(f"webhook {target}: {exc}") from None


class Receiver(ThreadingHTTPServer):
    """A loopback HTTP server that keeps the path and JSON body of every POST."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[tuple[str, Any]] = []


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append((self.path, json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook() -> Iterator[None]:
    channels.register(Webhook)
    yield
    channels.CHANNELS.pop("webhook")


def test_only_registered_channels_have_a_subscribe_flag(capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["subscribe", "--console", "--webhook", "http://127.0.0.1/x"])
    assert "unrecognized arguments: --webhook" in capsys.readouterr().err
    with pytest.raises(SubscriptionError, match="unknown channel kind: 'webhook'"):
        subs.make("webhook", "http://127.0.0.1/x", subs.Filters(), known_sources=[])


def test_a_registered_channel_is_subscribed_checked_and_alerted(es, hook: Receiver, webhook, capsys) -> None:
    url = f"http://127.0.0.1:{hook.server_port}/regwatch"
    with pytest.raises(SystemExit):
        main(["subscribe", "--help"])
    assert "(--slack CHANNEL | --email ADDRESS | --console | --webhook URL)" in capsys.readouterr().out
    assert main(["subscribe", "--webhook", "ftp://127.0.0.1/x"]) == 2
    assert capsys.readouterr().err == "regwatch subscribe: error: invalid webhook URL: 'ftp://127.0.0.1/x'\n"
    assert subs.list_all(es) == []
    assert main(["subscribe", "--webhook", url, "--stage", "draft"]) == 0
    [sub] = subs.list_all(es)
    assert (sub.channel, sub.target) == ("webhook", url)
    assert f"subscribed {sub.id}: webhook {url} (instant)" in capsys.readouterr().out
    store.upsert_notices(es, [DRAFT])
    result = dispatch(es, [DRAFT.id])
    assert result.sent == [(sub.id, DRAFT.id)] and not result.failed
    assert hook.posts == [("/regwatch", {"subscription": sub.id, "notices": [DRAFT.id],
                                         "title": DRAFT.title})]
    again = dispatch(es, [DRAFT.id])  # the ledger knows the webhook's alert like any other
    assert not again.sent and again.skipped == [(sub.id, DRAFT.id)] and len(hook.posts) == 1
