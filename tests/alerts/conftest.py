"""Fixtures of the people edge: a fake Slack Web API on loopback, pointed at by the environment."""
from __future__ import annotations

import pytest

from tests.slack_server import SlackServer


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch):
    server = SlackServer()
    monkeypatch.setenv("SLACK_BOT_TOKEN", server.token)
    monkeypatch.setenv("SLACK_API_URL", server.base_url)
    yield server
    server.stop()
