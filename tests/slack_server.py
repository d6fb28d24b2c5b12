"""A real loopback HTTP server speaking the Slack Web API methods regwatch calls.

It answers ``auth.test`` and ``chat.postMessage`` as Slack does: a bearer token is required
(``invalid_auth`` otherwise), unknown channels get ``channel_not_found``, a thread_ts must be a
message of that channel, and blocks over Slack's limits get ``invalid_blocks``. Tests can queue
raw replies (429 with Retry-After, 500) that are served before the normal handling.

It also stands in for the ``response_url`` Slack gives with a slash command or a button click
(``/actions/…``, ``/commands/…``): it records the JSON posted there in ``responses``.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Posted:
    channel: str
    text: str | None
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    reply_broadcast: bool
    ts: str


@dataclass
class Raw:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class SlackServer(ThreadingHTTPServer):
    """Slack's Web API on 127.0.0.1, one workspace with a few channels."""

    daemon_threads = True

    def __init__(self, token: str = "xoxb-test-0000-secret",
                 channels: dict[str, str] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.token = token
        self.channels = channels or {"#standards": "C0STANDARD1", "#compliance": "C0COMPLY002"}
        self.messages: list[Posted] = []
        self.calls: list[tuple[str, float, int]] = []  # (method, monotonic time, HTTP status)
        self.queued: list[Raw] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (path, JSON) posted to response URLs
        # Socket Mode: apps.connections.open, with the app-level token, hands out this WebSocket URL.
        self.app_token = "xapp-1-A0REGWATCH-test-secret"
        self.socket_url: str | None = None
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/"

    def response_url(self, name: str = "1") -> str:
        """A response_url as Slack gives one with a button click, answered by this server."""
        return f"http://127.0.0.1:{self.server_address[1]}/actions/T0REGWATCH/{name}/hook-secret"

    def queue(self, *replies: Raw) -> None:
        """Serve these raw replies to the next requests, before answering normally."""
        with self._lock:
            self.queued += replies

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_call(self, method: str, auth: str, args: dict[str, Any]) -> tuple[int, dict[str, Any] | Raw]:
        with self._lock:
            if self.queued:
                return 0, self.queued.pop(0)
            if method == "apps.connections.open":
                if auth != f"Bearer {self.app_token}" or not self.socket_url:
                    return 200, {"ok": False, "error": "invalid_auth" if self.socket_url else "not_allowed"}
                return 200, {"ok": True, "url": self.socket_url}
            if auth != f"Bearer {self.token}":
                return 200, {"ok": False, "error": "not_authed" if not auth else "invalid_auth"}
            if method == "auth.test":
                return 200, {"ok": True, "url": "https://regwatch-test.slack.com/", "team": "regwatch-test",
                             "user": "regwatch", "team_id": "T0REGWATCH", "user_id": "U0REGWATCH"}
            if method == "chat.postMessage":
                return 200, self._post(args)
            return 404, {"ok": False, "error": "unknown_method"}

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        cid = self.channels.get(channel) or self.channels.get(f"#{channel}") or (
            channel if channel in self.channels.values() else None)
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        blocks = args.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if not args.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        if problem := _check_blocks(blocks):
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        thread = args.get("thread_ts")
        if thread and not any(m.ts == thread and self.channels.get(m.channel, m.channel) == cid
                              for m in self.messages):
            return {"ok": False, "error": "thread_not_found"}
        ts = f"{1767225600 + len(self.messages)}.{len(self.messages) + 1:06d}"
        self.messages.append(Posted(channel, args.get("text"), blocks, thread,
                                    bool(args.get("reply_broadcast")), ts))
        return {"ok": True, "channel": cid, "ts": ts, "message": {"text": args.get("text"), "ts": ts}}


def _check_blocks(blocks: list[dict[str, Any]]) -> str | None:
    """Slack's own limits (the SDK does not check them when blocks are plain dicts)."""
    if len(blocks) > 50:
        return "no more than 50 items allowed [json-pointer:/blocks]"
    for i, block in enumerate(blocks):
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "header" and (len(text) > 150 or block["text"].get("type") != "plain_text"):
            return f"must be plain_text of at most 150 characters [json-pointer:/blocks/{i}/text]"
        if len(text) > 3000:
            return f"must be less than 3001 characters [json-pointer:/blocks/{i}/text]"
        if len(block.get("fields") or []) > 10 or any(len(f.get("text", "")) > 2000
                                                      for f in block.get("fields") or []):
            return f"invalid fields [json-pointer:/blocks/{i}/fields]"
        if block.get("type") == "actions" and (problem := _check_actions(block.get("elements") or [])):
            return f"{problem} [json-pointer:/blocks/{i}/elements]"
    return None


def _check_actions(elements: list[dict[str, Any]]) -> str | None:
    """Slack's limits for buttons: 1-25 of them, unique action_ids, short labels and values."""
    if not 1 <= len(elements) <= 25:
        return "must have 1-25 elements"
    ids = [e.get("action_id") for e in elements]
    if len(set(ids)) != len(ids):
        return "action_id must be unique"
    for e in elements:
        text = e.get("text") or {}
        if e.get("type") != "button" or text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 75:
            return "button text must be plain_text of 1-75 characters"
        if len(e.get("value") or "") > 2000 or len(e.get("action_id") or "") > 255:
            return "value or action_id too long"
        if e.get("style") not in (None, "primary", "danger"):
            return "invalid style"
    return None


class _Handler(BaseHTTPRequestHandler):
    server: SlackServer

    def do_POST(self) -> None:  # noqa: N802
        method = self.path.split("?")[0].rsplit("/", 1)[-1]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if self.path.startswith(("/actions/", "/commands/")):
            return self._response_url(raw)
        if "json" in (self.headers.get("Content-Type") or ""):
            args = json.loads(raw or "{}")
        else:
            args = dict(parse_qsl(raw))
        status, reply = self.server.handle_call(method, self.headers.get("Authorization", ""), args)
        if isinstance(reply, Raw):
            status, body, headers = reply.status, reply.body, reply.headers
        else:
            body, headers = json.dumps(reply).encode(), {"Content-Type": "application/json; charset=utf-8"}
        self.server.calls.append((method, time.monotonic(), status))
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _response_url(self, raw: str) -> None:
        # Slack answers a response_url with 200 "ok", or 400 for a body that is not a message.
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        ok = isinstance(message, dict) and bool(message.get("text") or message.get("blocks"))
        if ok:
            self.server.responses.append((self.path, message))
        body = b"ok" if ok else b"invalid_payload"
        self.send_response(200 if ok else 400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass
