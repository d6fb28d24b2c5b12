"""One source of defaults (records/settings.py): .env.example, compose and the README agree with it."""
from __future__ import annotations

import re

import pytest

from records.settings import DEFAULTS, SettingError, positive, replay_url, setting
from tests.infra.test_compose import CODE_DIRS, ENV_READ, INFRA, REPO


def _env_example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (INFRA / ".env.example").read_text().splitlines()
             if line.strip() and not line.startswith("#"))
    return {name: value for name, value in pairs}


def _read_by_code() -> set[str]:
    return {name for folder in CODE_DIRS for path in (REPO / folder).rglob("*.py")
            for name in ENV_READ.findall(path.read_text(encoding="utf-8"))}


def test_env_example_shows_every_default_and_invents_none() -> None:
    example = _env_example()
    wrong = {name: example.get(name) for name, value in DEFAULTS.items() if example.get(name) != value}
    assert not wrong, f"infra/.env.example differs from records/settings.py: {wrong}"
    invented = {name: value for name, value in example.items()
                if value and name in _read_by_code() and name not in DEFAULTS}
    assert not invented, f"infra/.env.example shows defaults the code does not have: {invented}"


def test_compose_leaves_regwatch_defaults_to_regwatch() -> None:
    compose = (INFRA / "docker-compose.yml").read_text()
    fallbacks = re.findall(r"\$\{([A-Z][A-Z0-9_]*):-([^}]*)\}", compose)
    assert any(name == "SMTP_PORT" for name, _ in fallbacks), "the compose file no longer passes SMTP_PORT?"
    own = {name: value for name, value in fallbacks if name in DEFAULTS and value}
    assert not own, f"infra/docker-compose.yml sets its own defaults: {own}"


def test_readme_configuration_table_shows_the_defaults() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n#", 1)[0]
    checked = set()
    for row in (line for line in section.splitlines() if line.startswith("| `")):
        names, _, default = (cell.strip() for cell in row.strip("|").split(" | "))
        ours = [n for n in re.findall(r"`([A-Z][A-Z0-9_]*)`", names) if n in DEFAULTS]
        if ours:
            assert set(re.findall(r"`([^`]+)`", default)) == {DEFAULTS[n] for n in ours}, row
            checked.update(ours)
    assert {"ES_URL", "SMTP_PORT", "REGWATCH_POLL_SCHEDULE", "REGWATCH_FLOOD_LIMIT"} <= checked


@pytest.mark.parametrize("env, expected", [({}, "8025"), ({"SMTP_PORT": ""}, "8025"),
                                           ({"SMTP_PORT": "2525"}, "2525")])
def test_a_setting_is_the_environment_else_its_default(env, expected) -> None:
    assert setting("SMTP_PORT", env) == expected


def test_replay_flag_wins_over_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("REGWATCH_REPLAY", raising=False)
    assert replay_url() is None
    monkeypatch.setenv("REGWATCH_REPLAY", "http://127.0.0.1:8765")
    assert replay_url() == "http://127.0.0.1:8765"
    assert replay_url("http://127.0.0.1:9999") == "http://127.0.0.1:9999"


@pytest.mark.parametrize("raw", ["0", "-3", "ten"])
def test_a_number_setting_that_is_not_positive_is_one_line(raw: str) -> None:
    with pytest.raises(SettingError, match=rf"^REGWATCH_FLOOD_LIMIT must be a positive number, not '{raw}'$"):
        positive("REGWATCH_FLOOD_LIMIT", {"REGWATCH_FLOOD_LIMIT": raw})
    assert positive("REGWATCH_FLOOD_LIMIT", {"REGWATCH_FLOOD_LIMIT": ""}) == 5
