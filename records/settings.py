"""The environment settings that have a default, and their defaults: the one place they are defined.

infra/.env.example, infra/docker-compose.yml and the README's Configuration table show these
values; tests/infra/test_settings.py checks that they agree. An empty variable counts as unset (an
`.env` line `SMTP_PORT=` means "the default"). Leaf module: everything may import it.
"""
from __future__ import annotations

import os
from typing import Mapping


class SettingError(ValueError):
    """A variable is set to a value regwatch cannot use; the message is one line naming it."""


DEFAULTS: dict[str, str] = {
    "ES_URL": "http://127.0.0.1:9200",  # the local node (`regwatch es start`)
    "SLACK_API_URL": "https://slack.com/api/",
    "SMTP_HOST": "127.0.0.1",  # with SMTP_PORT: the local mailbox `make demo` starts
    "SMTP_PORT": "8025",
    "SMTP_STARTTLS": "false",
    "SMTP_FROM": "regwatch@localhost",
    "REGWATCH_POLL_SCHEDULE": "*/5 * * * *",
    # Sent in our User-Agent, so a publisher's webmaster can see who polls and how to reach them.
    "REGWATCH_CONTACT_URL": "https://github.com/regwatch/regwatch",
    "REGWATCH_FLOOD_LIMIT": "5",
    # Threads of one poll cycle: enough for every host in flight (one request per host at once).
    "REGWATCH_POLL_WORKERS": "256",
    # A notice published longer than this before regwatch first saw it is history: indexed, not
    # alerted (a new publisher, a rebuilt index); a subscription's --backfill DAYS widens it.
    "REGWATCH_BACKFILL_DAYS": "14",
    # Longer than one send with its retries; a claim older than this is its dispatcher's no more.
    "REGWATCH_CLAIM_LEASE_SECONDS": "600",
    "REGWATCH_RETRY_DELAY_SECONDS": "30",
    # Where subscribers reach the web app (`regwatch serve`): the base of the links in e-mails.
    "REGWATCH_PUBLIC_URL": "http://127.0.0.1:8090",
    "REGWATCH_REPLAY_PORT": "8765",
    "REGWATCH_MAILBOX_PORT": "8025",
    "REGWATCH_AIRFLOW_PORT": "8080",
    "REGWATCH_WEB_PORT": "8090",  # `regwatch serve`
    "REGWATCH_ES_PORT": "9200",
    "REGWATCH_ES_VERSION": "9.5.4",
    "REGWATCH_ES_JAVA_OPTS": "-Xms512m -Xmx512m",
    # Copies of each shard on other nodes: 0 keeps a single node green; 1 on a cluster of 2+
    # survives losing a node. Applied to existing indices in place (connectors/es_templates.py).
    "REGWATCH_ES_REPLICAS": "0",
}


def setting(name: str, env: Mapping[str, str] | None = None) -> str:
    """The variable's value from the environment, else its default."""
    return (os.environ if env is None else env).get(name) or DEFAULTS[name]


def positive(name: str, env: Mapping[str, str] | None = None) -> float:
    """A setting that is a positive number (a port, a limit, seconds); else one SettingError line."""
    raw = setting(name, env)
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if value <= 0:
        raise SettingError(f"{name} must be a positive number, not {raw!r}")
    return value


def replay_url(given: str | None = None) -> str | None:
    """The replay server to read publishers from: `--replay`, else $REGWATCH_REPLAY, else none."""
    return given or os.environ.get("REGWATCH_REPLAY") or None
