"""
### Publisher health

Every 30 minutes, judges each enabled publisher from `regwatch-sources` and its notices:
**stale** for one of two reasons — `no-success` (no successful poll for 3 × its schedule's
interval) or `quiet` (polls succeed but no new notice for 3 × its cadence: `expect_every` in the
catalogue, else the median gap between its notices, at least a week) — **blocked** (anti-bot
page), **changed** (the page or API no longer has the expected shape, or a list that had items
went empty), **unavailable**, or back to **ok**. Each verdict is written to the publisher's
document (`state`, `state_reason`: Kibana's "Publishers by state"). Operators are told through
the `regwatch_ops` Connection (Slack or SMTP, via the providers' notifiers) once per change of
state or stale reason, not on every run.
"""
from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from regwatch.dagkit import DEFAULT_ARGS, START


@dag(
    schedule=timedelta(minutes=30),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["regwatch", "operations"],
    doc_md=__doc__,
)
def publisher_health() -> None:
    @task
    def report(**context) -> list[dict]:
        from regwatch import tasks
        from regwatch.ops import OpsNotifier

        tasks.apply_connections()
        changes = tasks.health_changes()
        if changes:
            subject, body = tasks.health_message(changes)
            OpsNotifier(subject=subject, message=body).notify(context)
            tasks.mark_reported(changes)
        return changes

    report()


publisher_health()
