"""One small ASGI app: `regwatch serve` runs it, the Airflow API server can mount it as a plugin."""
from __future__ import annotations

from typing import Iterator

from elasticsearch import Elasticsearch
from fastapi import FastAPI

from connectors import store


def es_client() -> Iterator[Elasticsearch]:
    """FastAPI dependency: a client on ES_URL for one request (tests override it)."""
    client = store.connect()
    try:
        yield client
    finally:
        client.close()


def create_app() -> FastAPI:
    """Build the app: Slack endpoints (alerts.web.slack_app) and subscriber pages (alerts.web.pages)."""
    from alerts.web import pages, slack_app

    # No generated docs: the app faces subscribers and Slack, not API clients.
    app = FastAPI(title="regwatch", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(slack_app.router)
    app.include_router(pages.router)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
