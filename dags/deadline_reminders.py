"""
### Deadline reminders

Every day at 08:30 Asia/Shanghai, reminds the subscriptions that asked for it of drafts whose
comment deadline falls within their chosen number of days (default 3): once per
subscription, notice and deadline, recorded in the delivery ledger.
"""
from __future__ import annotations

from airflow.sdk import dag, task

from regwatch.dagkit import DEFAULT_ARGS, START_SHANGHAI


@dag(
    schedule="30 8 * * *",
    start_date=START_SHANGHAI,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["regwatch", "alerts"],
    doc_md=__doc__,
)
def deadline_reminders() -> None:
    @task
    def remind() -> dict:
        from regwatch import tasks

        tasks.apply_connections()
        return tasks.reminders()

    remind()


deadline_reminders()
