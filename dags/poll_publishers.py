"""
### Poll publishers

Polls the enabled publishers of the catalogue (`connectors/sources.yaml`, or `$REGWATCH_CATALOG`):
**one task per host** (`poll_www_miit_gov_cn`, …), **mapped over that host's publishers**, so a
broken or blocked publisher fails only its own mapped instance (retried with exponential
backoff) while the others complete. Instances of one host run one at a time — a per-host limit
that needs no setup — while different hosts are polled in parallel. A scheduled run polls the
publishers whose own `schedule` ticked since their last attempt; a manual run polls them all.
Each task fetches, normalises and upserts its notices into Elasticsearch and records the
publisher's health in `regwatch-sources`.

The last task updates the `regwatch_notices` Asset with the ids of new and stage-changed
notices in the event's `extra`; `dispatch_alerts` is scheduled on that Asset.
"""
from __future__ import annotations

from airflow.sdk import dag, task

from regwatch.dagkit import DEFAULT_ARGS, NOTICES, START, catalogue_hosts
from regwatch.settings import setting

# "none" leaves polling to manual triggers (the demo triggers one cycle itself).
_SCHEDULE = setting("REGWATCH_POLL_SCHEDULE")


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
    hosts = catalogue_hosts()

    @task
    def due_sources(*, dag_run=None) -> dict[str, list[str]]:
        from regwatch import tasks

        tasks.apply_connections()
        return tasks.due_sources(manual=dag_run.run_type != "scheduled", hosts=hosts)

    # Airflow maps only over a task's whole return value, so each host picks its own list.
    @task
    def due_on(due: dict[str, list[str]], host: str) -> list[str]:
        return due.get(host, [])

    # Not an Airflow pool per host: a task whose pool does not exist is never scheduled, so
    # a catalogue edit adding a host would stall every poll until someone created its pool.
    @task(max_active_tis_per_dagrun=1, map_index_template="{{ source_id }}")
    def poll(source_id: str) -> dict:
        from regwatch import tasks

        tasks.apply_connections()
        return tasks.poll(source_id)

    @task(outlets=[NOTICES], trigger_rule="all_done")
    def announce(by_host: list[list[dict]], *, outlet_events=None) -> list[str]:
        from regwatch import tasks

        ids = tasks.alertable_ids(outcome for outcomes in by_host for outcome in outcomes)
        outlet_events[NOTICES].extra = {"notice_ids": ids}
        return ids

    due = due_sources()
    announce([poll.override(task_id=f"poll_{host}").expand(
        source_id=due_on.override(task_id=f"due_{host}")(due, host)) for host in hosts])


poll_publishers()
