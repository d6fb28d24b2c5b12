"""regwatch's subscriber web app, mounted on the Airflow 3 API server (a plugin's `fastapi_apps`).

A deployment then runs no server of its own: Slack's request URLs are
``<api server>/regwatch/slack/commands`` and ``…/regwatch/slack/interactions`` (set
REGWATCH_PUBLIC_URL to ``<api server>/regwatch``). The API server loads this file from the plugins
folder (AIRFLOW__CORE__PLUGINS_FOLDER: ``plugins/`` of this checkout, /opt/regwatch/plugins in the
image). Airflow's login does not guard these routes - Slack cannot log in; every Slack request is
verified by its signature instead.

Settings come from the environment, else from the Connections the tasks use (regwatch.tasks:
regwatch_es; regwatch_slack, whose extra ``signing_secret`` verifies Slack's requests), read when
the first request needs them, so a Connection made after the API server started is found.
"""
from __future__ import annotations

from typing import Iterator

from airflow.plugins_manager import AirflowPlugin
from elasticsearch import Elasticsearch
from fastapi import FastAPI

from alerts.web import app as web
from alerts.web import slack_app

URL_PREFIX = "/regwatch"


def _connections() -> None:
    from regwatch.tasks import apply_connections

    apply_connections()  # fills only what the environment leaves unset


def _es() -> Iterator[Elasticsearch]:
    _connections()
    yield from web.es_client()


def _signing_secret() -> str | None:
    _connections()
    return slack_app.slack_verify.signing_secret()


def create_app() -> FastAPI:
    """regwatch's app, reading its settings from Airflow's Connections where the environment has none."""
    app = web.create_app()
    app.dependency_overrides[web.es_client] = _es
    app.dependency_overrides[slack_app.signing_secret] = _signing_secret
    return app


class RegwatchWebPlugin(AirflowPlugin):
    name = "regwatch"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "regwatch"}]
