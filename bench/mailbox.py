"""A real SMTP server on loopback that timestamps every message it receives."""
from __future__ import annotations

import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.servers import free_port


class _Stamp:
    def __init__(self) -> None:
        self.received: list[tuple[float, EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.received.append((time.time(), message))
        return "250 OK"


class Mailbox:
    """Start with `start()`; `first_with(text)` is when a message mentioning `text` arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self._handler = _Stamp()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> Mailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def first_with(self, text: str) -> float | None:
        """Arrival time of the first message whose subject or text body contains `text`."""
        for at, message in list(self._handler.received):
            part = message.get_body(("plain", "html"))
            body = part.get_content() if part is not None else ""
            if text in str(message.get("Subject", "")) or text in body:
                return at
        return None

    @property
    def count(self) -> int:
        return len(self._handler.received)
