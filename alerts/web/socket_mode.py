"""Slack's Socket Mode: the same `/regwatch` command and buttons, for an installation that cannot
expose an HTTP endpoint to Slack (`regwatch serve --socket-mode`).

regwatch opens the connection (slack_sdk's SocketModeClient, authenticated by the app-level token
SLACK_APP_TOKEN with scope connections:write), so there is no request to sign: Slack sends each
slash command or button click as an envelope over the WebSocket, carrying the same payload as over
HTTP, and the handlers of alerts/web/slack_handlers.py answer it. A slash command is answered in
the acknowledgement; a button click is acknowledged at once and answered through its response_url.
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timezone
from typing import Any

from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from alerts.errors import DeliveryError
from alerts.web import slack_handlers
from alerts.web.slack_app import respond
from connectors import store
from records.settings import setting

log = logging.getLogger(__name__)


def client(app_token: str | None = None) -> SocketModeClient:
    """A SocketModeClient for SLACK_APP_TOKEN (xapp-…) answering with our handlers."""
    token = (app_token or os.environ.get("SLACK_APP_TOKEN", "")).strip()
    if not token:
        raise DeliveryError("SLACK_APP_TOKEN is not set (an app-level token with connections:write)")
    web = WebClient(token=os.environ.get("SLACK_BOT_TOKEN") or None, base_url=setting("SLACK_API_URL"))
    socket = SocketModeClient(app_token=token, web_client=web, logger=log)
    socket.socket_mode_request_listeners.append(handle)
    return socket


def handle(socket: BaseSocketModeClient, req: SocketModeRequest) -> None:
    """Acknowledge one envelope, answering it when it is a slash command or one of our buttons."""
    payload: dict[str, Any] = req.payload or {}
    if req.type not in ("slash_commands", "interactive"):
        socket.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
        return
    es = store.connect()
    try:
        now = datetime.now(timezone.utc)
        if req.type == "slash_commands":
            answer = slack_handlers.command(es, {k: str(v) for k, v in payload.items()}, now)
            socket.send_socket_mode_response(SocketModeResponse(req.envelope_id, answer.to_slack()))
            return
        socket.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
        reply = slack_handlers.action(es, payload, now)
        if reply is not None and payload.get("response_url"):
            respond(str(payload["response_url"]), reply.to_slack())
    finally:
        es.close()


def run(stop: threading.Event | None = None) -> int:
    """Connect and answer until interrupted (or until `stop` is set)."""
    socket = client()
    socket.connect()
    print("regwatch: connected to Slack over Socket Mode; Ctrl-C stops", flush=True)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        socket.close()
    return 0
