"""The subscriber-facing app (alerts.web.app) served by uvicorn on loopback, on the test node."""
from __future__ import annotations

import threading
import time

import httpx
import uvicorn
from elasticsearch import Elasticsearch

from alerts.web.app import create_app, es_client
from tests.servers import free_port


class WebServer:
    """A real HTTP server running the app in a thread; its requests use the given ES client (none
    given: the app's own, on ES_URL, as a deployment's)."""

    def __init__(self, es: Elasticsearch | None = None) -> None:
        app = create_app()
        if es is not None:
            app.dependency_overrides[es_client] = lambda: es
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> WebServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the web app did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def post(self, path: str, body: str, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", content=body.encode(), headers=headers, timeout=30)
