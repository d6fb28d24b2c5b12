"""Slack delivery through the Web API (slack-sdk); the token is read here and never printed.

Retries: slack-sdk's RateLimitErrorRetryHandler answers HTTP 429 by sleeping for the
Retry-After the server asked for; tenacity retries 5xx answers and connection errors with a
short backoff. Anything else (``ok: false`` such as channel_not_found or invalid_auth) is
final and becomes a one-line DeliveryError; the ledger lets a later run retry it.
"""
from __future__ import annotations

import os
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from alerts import blocks
from alerts.blocks import SlackMessage
from alerts.channels import Channel, register
from alerts.errors import DeliveryError, SubscriptionError
from records.settings import setting

RATE_LIMIT_RETRIES = 3
ATTEMPTS = 4
_CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9_-]{0,79}|[CGD][A-Z0-9]{8,})$")


def client() -> WebClient:
    """A WebClient for SLACK_BOT_TOKEN at SLACK_API_URL (default Slack's own), with retries."""
    token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
    if not token:
        raise DeliveryError("SLACK_BOT_TOKEN is not set")
    web = WebClient(token=token, base_url=setting("SLACK_API_URL"),
                    timeout=30)
    web.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return web


def send(target: str, message: SlackMessage) -> str:
    """Post one message to a channel (in a thread when asked); return its ts."""
    web = client()
    resp = _call(target, lambda: web.chat_postMessage(
        channel=target, text=message.text, blocks=list(message.blocks),
        thread_ts=message.thread_ts, reply_broadcast=message.reply_broadcast or None,
        unfurl_links=False, unfurl_media=False))
    return str(resp["ts"])


def check() -> str:
    """Ask auth.test who the token belongs to; raise DeliveryError if Slack refuses it."""
    resp = _call("auth.test", client().auth_test)
    return f"{resp.get('team', '?')} as {resp.get('user', '?')}"


def _call(target: str, request: Any) -> Any:
    try:
        for attempt in Retrying(retry=retry_if_exception(_transient), stop=stop_after_attempt(ATTEMPTS),
                                wait=wait_exponential(multiplier=0.25, max=4), reraise=True):
            with attempt:
                return request()
    except SlackApiError as exc:
        raise DeliveryError(f"Slack {target}: {_reason(exc)}") from None
    except OSError as exc:  # URLError, timeouts, refused connections
        raise DeliveryError(f"Slack {target}: cannot reach the Slack API ({type(exc).__name__})") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, SlackApiError):
        return int(exc.response.status_code) >= 500
    return isinstance(exc, OSError)


def _reason(exc: SlackApiError) -> str:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    error = str(data.get("error") or "no error given")[:200].replace("\n", " ")
    return f"{error} (HTTP {exc.response.status_code})"


@register
class Slack(Channel[SlackMessage]):
    """``--slack CHANNEL``: Block Kit messages, later stages replying in the first alert's thread."""

    name = "slack"
    metavar = "CHANNEL"
    alert = staticmethod(blocks.alert)
    batch = staticmethod(blocks.batch)
    send = staticmethod(send)

    def check_target(self, target: str) -> None:
        if not _CHANNEL.match(target):
            raise SubscriptionError(f"invalid Slack channel: {target!r} (use #name or a channel id)")

    def ready(self) -> str:
        """Check the token before saving, so a refused token is found now, not at the first alert."""
        if not os.environ.get("SLACK_BOT_TOKEN", "").strip():
            return "note: SLACK_BOT_TOKEN is not set here; the DAGs post with the regwatch_slack connection"
        try:
            return f"Slack token accepted: {check()}"
        except DeliveryError as exc:
            raise SubscriptionError(f"{exc}; nothing saved") from None
