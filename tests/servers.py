"""Real loopback servers for tests: a scripted HTTP server and an SMTP sink."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float = 0.0     # seconds between body bytes: a server that never quite times out
    reset: bool = False   # drop the connection without answering


class ScriptedServer(ThreadingHTTPServer):
    """Answers each path with the next scripted Reply (the last one repeats)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)
        self.script: dict[str, list[Reply] | Callable[[], Reply]] = {}
        self.hits: dict[str, int] = {}
        self.request_headers: list[dict[str, str]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def next_reply(self, path: str) -> Reply:
        self.hits[path] = self.hits.get(path, 0) + 1
        script = self.script.get(path.split("?")[0])
        if script is None:
            return Reply(404, b"not found")
        if callable(script):
            return script()
        return script[min(self.hits[path], len(script)) - 1]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _ScriptedHandler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def do_GET(self) -> None:  # noqa: N802
        self.server.request_headers.append(dict(self.headers))
        reply = self.server.next_reply(self.path)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            return
        self.send_response(reply.status)
        headers = {"Content-Length": str(len(reply.body)), **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            if not reply.drip:
                self.wfile.write(reply.body)
            for i in range(len(reply.body) if reply.drip else 0):
                self.wfile.write(reply.body[i:i + 1])
                self.wfile.flush()
                time.sleep(reply.drip)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


class _Collect:
    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived: list[float] = []  # wall-clock time of each message (the latency benchmark)
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        await asyncio.sleep(self.delay)
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content,
                                                policy=policy.default))
        self.arrived.append(time.time())
        return "250 OK"


class SmtpSink:
    """A real SMTP server on loopback that keeps every message it receives.

    `delay`: seconds before it accepts each message, as a slow mail server does.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self._handler = _Collect(delay)
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self._handler.messages

    def first_with(self, text: str) -> float | None:
        """Arrival time of the first message whose subject or text body contains `text`."""
        for at, message in zip(list(self._handler.arrived), list(self._handler.messages)):
            part = message.get_body(("plain", "html"))
            if text in str(message.get("Subject", "")) or (part is not None and text in part.get_content()):
                return at
        return None

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
