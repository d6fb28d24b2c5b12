"""A loopback RSS publisher whose feed grows at run time: `add(title)` makes an item appear now."""
from __future__ import annotations

import hashlib
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


class FeedServer(ThreadingHTTPServer):
    """Serves /feed.xml (ETag, If-None-Match) and a small detail page per item."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.items: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    @property
    def feed_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/feed.xml"

    def add(self, title: str) -> float:
        """Publish one item; return the wall-clock time it became visible."""
        with self.lock:
            self.items.append((title, time.time()))
            return self.items[-1][1]

    def body(self) -> bytes:
        with self.lock:
            items = list(enumerate(self.items))
        base = f"http://127.0.0.1:{self.server_address[1]}"
        entries = "".join(
            f"<item><title>{escape(title)}</title><link>{base}/items/{i}.html</link>"
            f"<description>{escape(title)}</description>"
            f"<pubDate>{formatdate(at, usegmt=True)}</pubDate></item>" for i, (title, at) in reversed(items))
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Bench publisher</title><link>{base}/</link>{entries}</channel></rss>").encode()

    def start(self) -> FeedServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/items/"):
            return self._send(200, b"<html><body><p>Notice text.</p></body></html>", "text/html; charset=utf-8")
        if self.path != "/feed.xml":
            return self._send(404, b"", "text/plain")
        body = self.server.body()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", "application/rss+xml", etag)
        self._send(200, body, "application/rss+xml; charset=utf-8", etag)

    def _send(self, status: int, body: bytes, content_type: str, etag: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass
