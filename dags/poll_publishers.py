"""
### Poll publishers

Polls the enabled publishers of the catalogue (`connectors/sources.yaml`, or `$REGWATCH_CATALOG`),
**one mapped task per publisher**, so a broken or blocked publisher fails only its own task
(retried with exponential backoff) while the others complete. A scheduled run polls the
publishers whose own `schedule` ticked since their last attempt; a manual run polls them all.
Each task fetches, normalises and upserts its notices into Elasticsearch and records the
publisher's health in `regwatch-sources`.

The last task updates the `regwatch_notices` Asset with the ids of new and stage-changed
notices in the event's `extra`; `dispatch_alerts` is scheduled on that Asset.
"""
from __future__ import annotations

import os

from airflow.sdk import dag, task

from regwatch.dagkit import DEFAULT_ARGS, NOTICES, START

# "none" leaves polling to manual triggers (the demo triggers one cycle itself).
_SCHEDULE = os.environ.get("REGWATCH_POLL_SCHEDULE", "*/5 * * * *")


@dag(
    schedule=None if _SCHEDULE.lower() == "none" else _SCHEDULE,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["regwatch", "publishers"],
    doc_md=__doc__,
)
def poll_publishers() -> None:
    @task
    def due_sources(*, dag_run=None) -> list[str]:
        from regwatch import tasks

        tasks.apply_connections()
        return tasks.due_sources(manual=dag_run.run_type != "scheduled")

    # Bounded concurrency keeps fetching polite when many publishers share a host.
    @task(max_active_tis_per_dagrun=8, map_index_template="{{ source_id }}")
    def poll(source_id: str) -> dict:
        from regwatch import tasks

        tasks.apply_connections()
        return tasks.poll(source_id)

    @task(outlets=[NOTICES], trigger_rule="all_done")
    def announce(outcomes: list[dict], *, outlet_events=None) -> list[str]:
        from regwatch import tasks

        ids = tasks.alertable_ids(outcomes)
        outlet_events[NOTICES].extra = {"notice_ids": ids}
        return ids

    announce(poll.expand(source_id=due_sources()))


poll_publishers()
