"""
### Poll publishers

Polls the enabled publishers of the catalogue (`connectors/sources.yaml`, or `$REGWATCH_CATALOG`)
with **one task per host** (`poll_www_miit_gov_cn`, …): each polls its host's due publishers
one after another (the politeness limit: one request at a time per server) while hosts run in
parallel. A scheduled run polls the publishers whose own `schedule` ticked since their last
attempt (decided inside the task: no upstream scheduling level); a manual run polls them all.
Each publisher's notices are upserted into Elasticsearch and its health recorded in
`regwatch-sources`.

**A failed publisher** fails its host's task with one line naming each failed publisher and
its error (the task log and the operators' failure message show it; `regwatch sources` and
the `regwatch-sources` index have the details). The Airflow retry polls only the host's
publishers not yet polled successfully in this run: one that succeeded is never fetched twice.

**Alerts:** each host task alerts its own new and stage-changed notices itself, right after
writing them, when they are no more than the flood limit (REGWATCH_FLOOD_LIMIT, default 5):
the usual case of a scheduled poll, and the Asset hop below (a dispatch run created, queued and
started in a new process) cost seconds of every alert's latency (regwatch.tasks.alert_now; the
ledger's claims keep two dispatchers from sending an alert twice). Then, when it succeeds, it
emits its own event on the `regwatch_notices` Asset naming in `extra` the notices it left to
`dispatch_alerts`: more than the flood limit (so one summary can cover several hosts), or those
whose delivery failed (none when nothing is left: the dispatch it triggers then only sweeps up
what is unannounced). `dispatch_alerts` is scheduled on the Asset, so a slow host never holds
back another host's alerts. Not through an AssetAlias, which could
leave out the event when nothing is new: Airflow 3.3.2 records an alias's first use with an
INSERT that races when several host tasks finish at once, and on PostgreSQL the losers were
set to failed, their notices unannounced (seen in `make scaleout`). Airflow emits events only for
tasks that succeed, so when a host task fails for good, `announce_stranded` (run only then)
announces the notices its healthy publishers found.

**Why one task per host, not one per publisher:** a task instance costs about 1–3 s of
scheduling and start-up (queueing, a new process, parsing this file, imports), more than
polling a publisher that has not changed, so the run's cost now grows with hosts, not
publishers. Trade-offs: a failed publisher is named in its host task's error rather than by a
mapped instance of its own, and a retry or a manual "clear" re-runs the host task (which skips
what already succeeded in the run). Static tasks rather than a task mapped over hosts: each
host has its own row in the grid and can be cleared by name, and nothing upstream has to
compute the list; a host added to the catalogue appears after the next parse (its publishers
are not polled until then).
"""
from __future__ import annotations

from airflow.sdk import dag, task

from records.settings import setting
from regwatch.dagkit import DEFAULT_ARGS, NOTICES, START, catalogue_hosts

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
    @task(outlets=[NOTICES])
    def poll(host: str, *, dag_run=None, outlet_events=None) -> dict:
        from regwatch import tasks

        tasks.apply_connections(only=["regwatch_es"])
        done = tasks.poll_host(host, manual=dag_run.run_type != "scheduled", run_start=dag_run.start_date)
        left = tasks.alert_now(done.notice_ids)  # before a failure is raised: alert what was found
        outlet_events[NOTICES].extra = {"notice_ids": left}
        failure = done.failure()
        if failure:
            raise tasks.PublisherFailed(failure)
        return {**done.summary(), "alerted_here": len(done.notice_ids) - len(left)}

    @task(outlets=[NOTICES])
    def announce_stranded(*, dag_run=None, outlet_events=None) -> list[str]:
        from regwatch import tasks

        tasks.apply_connections(only=["regwatch_es"])
        ids = tasks.stranded_ids(dag_run.start_date)
        outlet_events[NOTICES].extra = {"notice_ids": ids}
        return ids

    polls = [poll.override(task_id=f"poll_{host}")(host) for host in catalogue_hosts()]
    # Always last, whatever the hosts did: its event comes after every notice of the run was
    # written, so a dispatch run starts after it and alerts whatever is still unannounced
    # (regwatch.tasks.deliver) — Airflow may hand a host's event to no dispatch run when it
    # lands while a queued dispatch run is being created.
    polls >> announce_stranded.override(trigger_rule="all_done")()

poll_publishers()
