"""Where a poll_publishers run's time goes on the local stack (SQLite + LocalExecutor).

Starts a throw-away Airflow stack (temporary AIRFLOW_HOME, free API port, task logs at INFO),
a replay of the recorded publishers and an Elasticsearch node, triggers `poll_publishers`
`--runs` times (the first finds everything new, the next ones nothing) and prints, per run,
from the metadata database and the task logs:

- the run's wall time, its task instances and how many scheduling levels they form;
- per task instance: scheduled → queued (scheduler), queued → start (executor, process start),
  start → body (task runner start-up and DAG parse), body (our callable), body end → end (XCom,
  outlet events, state update);
- inside the bodies: the publishers' own poll time (health docs' latency_ms) against the rest
  (imports, connections, catalogue, ensure_indices);
- the asset-triggered dispatch_alerts run that followed.

    .venv/bin/python -m bench.airflow_breakdown [--runs 2] [--es-port 9263] [--catalog FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from connectors import store
from infra import local_es
from infra.airflow_stack import Stack
from infra.replay import ReplayServer
from tests.servers import free_port

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def _ts(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=timezone.utc).timestamp()


def _db_rows(db: Path, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, args)]
    finally:
        con.close()


def _log_marks(home: Path, ti: dict[str, Any]) -> dict[str, float]:
    """Timestamps of the task runner's milestones in the task log (JSON lines)."""
    folder = (home / "logs" / f"dag_id={ti['dag_id']}" / f"run_id={ti['run_id']}"
              / f"task_id={ti['task_id']}")
    if ti["map_index"] >= 0:
        folder = folder / f"map_index={ti['map_index']}"
    marks: dict[str, float] = {}
    for path in sorted(folder.glob("attempt=*.log"))[-1:]:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            at = _ts(entry.get("timestamp"))
            event = str(entry.get("event", ""))
            if at is None:
                continue
            marks.setdefault("first", at)
            if event == "Worker startup parse complete":
                marks["parsed"] = at
                marks["parse_ms"] = float(entry.get("dag_file_parse_ms") or 0)
            elif event == "::endgroup::" and "body" not in marks:
                marks["body"] = at
            elif event in ("::group::Post Execute", "Pushing xcom") and "body_end" not in marks:
                marks["body_end"] = at
            marks["last"] = at
    return marks


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2) if values else 0.0


def breakdown(home: Path, run_id: str, latency_ms: dict[str, int]) -> dict[str, Any]:
    """The figures of one finished poll_publishers run, read from the metadata DB and task logs."""
    db = home / "airflow.db"
    run = _db_rows(db, "select * from dag_run where dag_id='poll_publishers' and run_id=?", (run_id,))[0]
    tis = _db_rows(db, "select * from task_instance where dag_id='poll_publishers' and run_id=?", (run_id,))
    rows = []
    for ti in tis:
        sched, queued = _ts(ti["scheduled_dttm"]), _ts(ti["queued_dttm"])
        start, end = _ts(ti["start_date"]), _ts(ti["end_date"])
        if start is None or end is None:
            rows.append({"task": ti["task_id"], "state": ti["state"]})
            continue
        m = _log_marks(home, ti)
        rows.append({"task": ti["task_id"], "map": ti["rendered_map_index"] or ti["map_index"],
                     "state": ti["state"], "try": ti["try_number"],
                     "sched_to_queued": (queued - sched) if queued and sched else None,
                     "queued_to_start": (start - queued) if queued else None,
                     "start_to_body": (m["body"] - start) if "body" in m else None,
                     "parse": m.get("parse_ms", 0) / 1000,
                     "body": (m["body_end"] - m["body"]) if "body" in m and "body_end" in m else None,
                     "after_body": (end - m["body_end"]) if "body_end" in m else None,
                     "total": end - start, "start": start, "end": end, "queued": queued, "sched": sched})
    done = [r for r in rows if "total" in r]
    run_start, run_end = _ts(run["start_date"]), _ts(run["end_date"])
    polls = sum(latency_ms.values()) / 1000

    def col(key: str) -> list[float]:
        return [r[key] for r in done if r.get(key) is not None]

    bodies = sum(col("body"))
    return {
        "run_id": run_id, "state": run["state"],
        "run_wall_s": round((run_end or 0) - (run_start or 0), 1),
        "queued_to_run_start_s": round((run_start or 0) - (_ts(run["queued_at"]) or 0), 1),
        "task_instances": len(tis), "tasks": len({t["task_id"] for t in tis}),
        "levels": _levels(done),
        "median_s": {k: _median(col(k)) for k in ("sched_to_queued", "queued_to_start", "start_to_body",
                                                   "parse", "body", "after_body", "total")},
        "sum_s": {k: round(sum(col(k)), 1) for k in ("queued_to_start", "start_to_body", "body",
                                                      "after_body", "total")},
        "publishers_poll_s": round(polls, 1),
        "bodies_minus_polls_s": round(bodies - polls, 1),
        "rows": done,
    }


def _levels(done: list[dict[str, Any]]) -> int:
    """Scheduling waves: task instances whose start follows every earlier wave's end."""
    waves, horizon = 0, float("-inf")
    for r in sorted(done, key=lambda r: r["start"]):
        if r["start"] >= horizon:
            waves += 1
            horizon = max(x["end"] for x in done if x["start"] <= r["start"] + 0.01)
    return waves


def _dispatch_after(home: Path, after: str, poll_end: float) -> dict[str, Any] | None:
    # The database keeps '2026-12-06 15:53:36.535385' where the API answers ISO 8601 with a zone.
    after = after.replace("T", " ")[:26]
    rows = _db_rows(home / "airflow.db", "select * from dag_run where dag_id='dispatch_alerts' "
                    "and queued_at >= ? order by queued_at", (after,))
    if not rows:
        return None
    r = rows[0]
    return {"state": r["state"], "wall_s": round((_ts(r["end_date"]) or 0) - (_ts(r["start_date"]) or 0), 1),
            "queued_after_poll_end_s": round((_ts(r["queued_at"]) or 0) - poll_end, 1), "runs": len(rows)}


def measure(runs: int = 2, es_port: int = 9263, catalog: Path | None = None,
            keep: bool = False) -> list[dict[str, Any]]:
    node = local_es.Node(name=f"breakdown-{es_port}", port=es_port)
    local_es.start(node)
    es = store.connect(node.url)
    for index in store.INDICES.values():
        es.options(ignore_status=404).indices.delete(index=index)
    store.ensure_indices(es)
    replay = ReplayServer(FIXTURES).start()
    tmp = Path(tempfile.mkdtemp(prefix="regwatch-breakdown-"))
    env = {"ES_URL": node.url, "REGWATCH_REPLAY": replay.base, "REGWATCH_POLL_SCHEDULE": "none",
           "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO"}
    if catalog:
        env["REGWATCH_CATALOG"] = str(catalog)
    stack = Stack(tmp / "airflow", port=free_port(), env=env)
    out: list[dict[str, Any]] = []
    try:
        stack.start()
        stack.wait_for_dags(["poll_publishers", "dispatch_alerts"])
        for _ in range(runs):
            run_id = stack.trigger("poll_publishers")
            started = time.monotonic()
            poll = stack.wait_for_run("poll_publishers", run_id=run_id, timeout=600)
            seen_wall = time.monotonic() - started
            health = store.source_health(es)
            # The health docs keep the last attempt: a run's own latency_ms is read right after it.
            latency = {sid: int(doc.get("latency_ms") or 0) for sid, doc in health.items()}
            figures = breakdown(stack.home, run_id, latency)
            figures["trigger_to_seen_done_s"] = round(seen_wall, 1)
            try:
                stack.wait_for_run("dispatch_alerts", after=poll.get("queued_at"), timeout=30)
            except Exception:  # noqa: BLE001 — a run with nothing new may start no dispatch
                pass
            figures["dispatch"] = _dispatch_after(stack.home, poll.get("queued_at") or "",
                                                  _ts(poll.get("end_date")) or 0)
            out.append(figures)
    finally:
        stack.stop()
        replay.stop()
        local_es.stop(node)
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _print(results: list[dict[str, Any]], verbose: bool) -> None:
    for i, r in enumerate(results, 1):
        print(f"== run {i} ({r['run_id']}): {r['state']}, wall {r['run_wall_s']} s "
              f"(trigger→seen done {r['trigger_to_seen_done_s']} s; queued→start {r['queued_to_run_start_s']} s), "
              f"{r['task_instances']} task instances of {r['tasks']} tasks in {r['levels']} waves")
        print("   median per TI (s): " + ", ".join(f"{k} {v}" for k, v in r["median_s"].items()))
        print("   sum over TIs (s):  " + ", ".join(f"{k} {v}" for k, v in r["sum_s"].items()))
        print(f"   publishers' own poll time {r['publishers_poll_s']} s; bodies minus that "
              f"{r['bodies_minus_polls_s']} s; dispatch_alerts: {r['dispatch']}")
        if verbose:
            t0 = min(x["sched"] or x["queued"] or x["start"] for x in r["rows"])
            for x in sorted(r["rows"], key=lambda x: x["start"]):
                fmt = {k: ("-" if x.get(k) is None else f"{x[k]:.2f}") for k in
                       ("sched_to_queued", "queued_to_start", "start_to_body", "parse", "body", "after_body")}
                print(f"   {x['task']:<34} {str(x['map']):<22} {x['state']:<8} +{x['start'] - t0:6.1f}  "
                      + " ".join(f"{k}={v}" for k, v in fmt.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--es-port", type=int, default=int(os.environ.get("REGWATCH_TEST_ES_PORT", "9263")))
    parser.add_argument("--catalog", type=Path)
    parser.add_argument("--verbose", action="store_true", help="one line per task instance")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.runs, args.es_port, args.catalog)
    if args.json:
        print(json.dumps([{k: v for k, v in r.items() if k != "rows"} for r in results], indent=1))
    _print(results, args.verbose)


if __name__ == "__main__":
    main()
