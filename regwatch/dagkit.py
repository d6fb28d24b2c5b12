"""What the DAG files share: the notices Asset and task defaults. Light to import."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pendulum
import yaml
from airflow.sdk import Asset

from connectors.hosts import host_slug
from records.settings import positive
from regwatch.ops import task_failed

# Updated by poll_publishers with the ids of new and stage-changed notices in `extra`.
NOTICES = Asset(name="regwatch_notices", uri="x-regwatch://notices/new")

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
# Cron DAGs whose schedule reads as Beijing time (digests, reminders) start in that zone.
START_SHANGHAI = pendulum.instance(START).in_timezone("Asia/Shanghai")
DEFAULT_ARGS = {
    "owner": "regwatch",
    "retries": 2,
    # Tests shorten the delay; operators keep the default.
    "retry_delay": timedelta(seconds=positive("REGWATCH_RETRY_DELAY_SECONDS")),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "on_failure_callback": [task_failed()],
}


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def catalogue_hosts() -> list[str]:
    """Host slugs of the enabled publishers (one poll task each), read from the raw YAML at parse time.

    Only the URLs are read here (no validation, no connector imports) to keep parsing light;
    the poll run validates the catalogue and fails loudly if it is wrong.
    """
    default = Path(__file__).parents[1] / "connectors" / "sources.yaml"
    path = Path(os.environ.get("REGWATCH_CATALOG") or default)
    try:
        # libyaml's loader when present: every task process parses this file before it runs.
        entries = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 — a safe loader
    except (OSError, yaml.YAMLError):
        return []
    return sorted({host_slug(str(e.get("url", ""))) for e in entries or []
                   if isinstance(e, dict) and e.get("enabled", True) is not False})
