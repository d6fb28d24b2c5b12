"""
### Send digests

Hourly (on the hour, Asia/Shanghai), sends each `daily` subscription its digest once per local
day, after the hour it asked for: the day's matched notices grouped by stage. The delivery
ledger makes a rerun or retry send nothing twice, and a day the scheduler missed is caught up.
"""
from __future__ import annotations

from airflow.sdk import dag, task

from regwatch.dagkit import DEFAULT_ARGS, START_SHANGHAI


@dag(
    schedule="0 * * * *",
    start_date=START_SHANGHAI,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["regwatch", "alerts"],
    doc_md=__doc__,
)
def send_digests() -> None:
    @task
    def digests() -> dict:
        from regwatch import tasks

        tasks.apply_connections()
        return tasks.digests()

    digests()


send_digests()
