"""
### Publisher health

Every 30 minutes, judges each enabled publisher from `regwatch-sources`: **stale** (no
successful poll for 3 × its schedule's interval), **blocked** (anti-bot page), **changed**
(the page or API no longer has the expected shape, or a list that had items went empty),
**unavailable**, or back to **ok**. Operators are told through the `regwatch_ops` Connection
(Slack or SMTP, via the providers' notifiers) once per state change, not on every run.
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
