"""infra/slack/manifest.yaml names the endpoints the app serves and the scopes it needs."""
from __future__ import annotations

from urllib.parse import urlsplit

import yaml

from alerts.web.app import create_app
from tests.conftest import REPO


def test_the_manifest_points_at_the_apps_own_routes() -> None:
    manifest = yaml.safe_load((REPO / "infra" / "slack" / "manifest.yaml").read_text())
    routes = {getattr(r, "path", None) for r in create_app().routes}
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/regwatch"
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    for url in (command["url"], interactivity["request_url"]):
        assert urlsplit(url).scheme == "https" and urlsplit(url).path in routes, url
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {"chat:write", "commands"}
    assert manifest["settings"]["socket_mode_enabled"] is False  # HTTP mode; infra/README.md: Socket Mode
