"""What the DAG files share: the notices Asset and task defaults. Light to import."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import Asset

from regwatch.ops import task_failed

# Updated by poll_publishers with the ids of new and stage-changed notices in `extra`.
NOTICES = Asset(name="regwatch_notices", uri="x-regwatch://notices/new")

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
DEFAULT_ARGS = {
    "owner": "regwatch",
    "retries": 2,
    # Tests shorten the delay; operators keep the default.
    "retry_delay": timedelta(seconds=float(os.environ.get("REGWATCH_RETRY_DELAY_SECONDS", "30"))),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "on_failure_callback": [task_failed()],
}
