"""
### Dispatch alerts

Runs whenever `poll_publishers` updates the `regwatch_notices` Asset. It matches exactly the
notices named in the triggering events (new or stage-changed) against every subscription, in
Elasticsearch, and delivers each alert once: the `regwatch-deliveries` ledger makes a retried or
re-run task skip what was already sent. A manual run may pass `{"notice_ids": [...]}` as conf.
"""
from __future__ import annotations

from airflow.sdk import dag, task

from regwatch.dagkit import DEFAULT_ARGS, NOTICES, START


@dag(
    schedule=[NOTICES],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["regwatch", "alerts"],
    doc_md=__doc__,
)
def dispatch_alerts() -> None:
    @task
    def deliver(*, triggering_asset_events=None, dag_run=None) -> dict:
        from regwatch import tasks

        tasks.apply_connections()
        ids = tasks.ids_from_events(triggering_asset_events, dag_run.conf if dag_run else None)
        return tasks.deliver(ids)

    deliver()


dispatch_alerts()
