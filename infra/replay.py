"""Replay recorded publisher fixtures over real HTTP on loopback (tests, the demo, `regwatch replay`).

The fixture root is always passed in: an installed package has no recordings of its own (a
checkout keeps them in ``tests/fixtures/``). Each folder ``<root>/<source_id>/`` holds a
``routes.yaml``: a list of ``{path, file, method?, content_type?, status?, headers?, query?,
require_headers?}``.
The server answers ``GET /<source_id><path>`` (or POST, with ``method: POST``) with the file;
``query`` lists parameters the real site requires, in the query string or a form or JSON body (a
request without them gets 400, as a changed API would). ``require_headers`` maps a request header
to a regular expression its value must match; a request that fails one gets 403, as sites that
refuse bare scripted requests answer (MIIT without a browser-like User-Agent and a Referer). ETag and If-None-Match work as on a real
server, so conditional GET is exercised too.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml


@dataclass(frozen=True)
class Route:
    path: str
    file: Path
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    require_headers: dict[str, str] = field(default_factory=dict)


def load_routes(root: Path) -> dict[str, list[Route]]:
    """Read every source folder's routes.yaml into '/<source_id><path>' -> routes."""
    table: dict[str, list[Route]] = {}
    for manifest in sorted(root.glob("*/routes.yaml")):
        folder = manifest.parent
        for entry in yaml.safe_load(manifest.read_text(encoding="utf-8")) or []:
            route = Route(**{**entry, "file": folder / entry["file"]})
            table.setdefault(f"/{folder.name}{route.path}", []).append(route)
    return table


class _Handler(BaseHTTPRequestHandler):
    server: ReplayServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer("GET", {})

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        if "json" in (self.headers.get("Content-Type") or ""):
            body = json.loads(raw or "{}")
            fields = {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
        else:
            fields = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        self._answer("POST", fields)

    def _answer(self, method: str, fields: dict[str, str]) -> None:
        self.server.requests.append(self.path)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()} | fields
        routes = [r for r in self.server.routes.get(parts.path, []) if r.method == method]
        route = next((r for r in routes if all(query.get(k) == str(v) for k, v in r.query.items())), None)
        if route is None:
            self._send(400 if routes else 404, b"no such recorded page", "text/plain")
            return
        if any(not re.search(rx, self.headers.get(name) or "") for name, rx in route.require_headers.items()):
            self._send(403, b"<html><body>403 Forbidden</body></html>", "text/html")
            return
        body = route.file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", route.content_type, {"ETag": etag})
            return
        self._send(route.status, body, route.content_type, {"ETag": etag, **route.headers})

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class ReplayServer(ThreadingHTTPServer):
    """A loopback HTTP server for a fixture root; `base` is what `--replay` takes."""

    daemon_threads = True

    def __init__(self, root: Path, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.routes = load_routes(Path(root))
        self.requests: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> ReplayServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
