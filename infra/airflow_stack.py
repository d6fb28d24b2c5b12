"""The embedded Airflow stack: api-server, scheduler, dag-processor and triggerer on loopback.

LocalExecutor with SQLite under a git-ignored folder, as `airflow standalone` would run, but
with our configuration (no examples, DAGs unpaused, a known login) and a clean stop. Used by
`make demo`, `make up` and the end-to-end test, which talk to it through the REST API.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
PROCESSES = ("api-server", "scheduler", "dag-processor", "triggerer")
USER = "admin"
# Four processes and their task processes share one SQLite file. Python's default 5 s busy
# timeout is too short when the CPU is shared (CI), and a write then fails with "database is
# locked"; Airflow reads these connect args for every engine it creates.
SQLITE_CONNECT_ARGS = {"timeout": 60}


class StackError(RuntimeError):
    """The Airflow stack did not start or a run did not finish in time; one-line message."""


@dataclass
class Stack:
    """One embedded Airflow installation; `env` is passed on to every task it runs."""

    home: Path
    port: int = 8080
    password: str = "regwatch-demo"
    env: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """The process environment: Airflow's configuration plus regwatch's own settings."""
        cfg = {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            # plugins/regwatch_web.py mounts the subscriber web app on the API server (/regwatch).
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home}/airflow.db",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "infra.airflow_stack.SQLITE_CONNECT_ARGS",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC": "infra.airflow_stack.SQLITE_CONNECT_ARGS",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            # Tasks reach the API server's execution API: it must follow the port we chose.
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        }
        return {**os.environ, **cfg, **self.env}

    def start(self, timeout: float = 240) -> Stack:
        """Migrate the database, start the four processes, wait until the API answers."""
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({USER: self.password}))
        env = self.environment()
        migrate = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env,
                                 capture_output=True, text=True, timeout=600)
        if migrate.returncode != 0:
            raise StackError(f"airflow db migrate failed: {migrate.stderr.strip().splitlines()[-1:]}")
        logs = self.home / "logs"
        logs.mkdir(exist_ok=True)
        for name in PROCESSES:
            out = open(logs / f"{name}.out", "ab")
            self.procs.append(subprocess.Popen([sys.executable, "-m", "airflow", name], env=env,
                                               stdout=out, stderr=subprocess.STDOUT,
                                               start_new_session=True))
        (self.home / "stack.pids").write_text(" ".join(str(p.pid) for p in self.procs))
        self._wait(lambda: self._get("/api/v2/monitor/health").status_code == 200, timeout, "API server")
        return self

    def stop(self, timeout: float = 30) -> None:
        """Stop every process this stack started (and their children)."""
        for proc in self.procs:
            _signal_group(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc.pid, signal.SIGKILL)  # task processes left in the group
        self.procs.clear()
        (self.home / "stack.pids").unlink(missing_ok=True)

    def token(self) -> str:
        r = httpx.post(f"{self.url}/auth/token", json={"username": USER, "password": self.password},
                       timeout=30)
        if r.status_code not in (200, 201):
            raise StackError(f"login refused: HTTP {r.status_code}")
        return r.json()["access_token"]

    def _get(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return httpx.get(f"{self.url}{path}", timeout=10, **kwargs)
        except httpx.HTTPError:
            return httpx.Response(599)

    def api(self, method: str, path: str, attempts: int = 5, **kwargs: Any) -> Any:
        """Call the REST API (v2) with a bearer token; return the JSON answer.

        A "Database error" answer is a transaction SQLite rolled back (a lock it could not
        take while another process wrote), so repeating the call cannot apply it twice; a GET
        changes nothing, so any 500 of one is asked again (a loaded machine gave a bare 500 on
        /assets/events once).
        """
        headers = {"Authorization": f"Bearer {self.token()}"}
        for attempt in range(1, attempts + 1):
            r = httpx.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=90,
                              **kwargs)
            retry = method == "GET" or "Database error" in r.text
            if r.status_code != 500 or not retry or attempt == attempts:
                break
            time.sleep(attempt)
        if r.status_code >= 400:
            raise StackError(f"{method} {path}: HTTP {r.status_code}: {r.text[:200]}")
        return r.json()

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 180) -> None:
        """Wait until the dag-processor has parsed these DAGs into the database."""
        def ready() -> bool:
            try:
                known = {d["dag_id"] for d in self.api("GET", "/dags", params={"limit": 100})["dags"]}
            except (StackError, httpx.HTTPError):
                return False
            return set(dag_ids) <= known
        self._wait(ready, timeout, f"DAGs {', '.join(dag_ids)}")

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """Start a manual run now; return its run id."""
        run = self.api("POST", f"/dags/{dag_id}/dagRuns",
                       json={"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns", params={"order_by": "-run_after",
                                                                    "limit": 50})["dag_runs"]

    def wait_for_run(self, dag_id: str, *, run_id: str | None = None, after: str | None = None,
                     timeout: float = 300) -> dict[str, Any]:
        """Wait for a run (by id, or the first one queued after a time) to finish."""
        found: dict[str, Any] = {}

        def finished() -> bool:
            for run in self.runs(dag_id):
                if (run_id and run["dag_run_id"] == run_id) or (
                        not run_id and after and (run.get("queued_at") or "") >= after):
                    found.update(run)
                    return run["state"] in ("success", "failed")
            return False
        self._wait(finished, timeout, f"a finished run of {dag_id}")
        return found

    def wait_for_dispatches(self, run_id: str, *, producer: str = "poll_publishers",
                            consumer: str = "dispatch_alerts", last_task: str = "announce_stranded",
                            timeout: float = 300) -> list[dict[str, Any]]:
        """Wait until a `consumer` run that started after the run's `last_task` (which follows
        every write of the run) has finished and none is queued or running; return the consumer
        runs that started since the producer run did.

        Each host task of poll_publishers emits its own event, so one poll triggers several
        dispatch runs, and Airflow may hand an event to none of them: the dispatch after the
        last task alerts whatever is still unannounced (regwatch.tasks.deliver).
        """
        found: list[dict[str, Any]] = []

        def done() -> bool:
            tis = {t["task_id"]: t for t in self.task_states(producer, run_id)}
            last, started = (tis.get(last_task) or {}).get("start_date"), min(
                (t["start_date"] for t in tis.values() if t.get("start_date")), default=None)
            runs = self.runs(consumer)
            if not last or any(r["state"] in ("queued", "running") for r in runs):
                return False
            found[:] = [r for r in runs if r.get("start_date") and started and r["start_date"] >= started]
            return any(r["start_date"] > last and r["state"] in ("success", "failed") for r in found)
        self._wait(done, timeout, f"a {consumer} run after {last_task} of {producer} {run_id}")
        return found

    def task_states(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                        params={"limit": 1000})["task_instances"]

    def _wait(self, check: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [p for p in self.procs if p.poll() is not None]
            if dead:
                raise StackError(f"airflow {PROCESSES[self.procs.index(dead[0])]} exited "
                                 f"(code {dead[0].returncode}); see {self.home / 'logs'}")
            if check():
                return
            time.sleep(1)
        raise StackError(f"timed out after {timeout:.0f}s waiting for {what}; see {self.home / 'logs'}")


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def stop_pids(pids: list[int], timeout: float = 30) -> None:
    """SIGTERM each process group, then SIGKILL what is left after `timeout`."""
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for pid in pids:
        while time.monotonic() < deadline and _signal_group(pid, 0):
            time.sleep(0.2)
        _signal_group(pid, signal.SIGKILL)


def stop_recorded(home: Path) -> bool:
    """Stop a stack started by another process (`make down`); return whether one was running."""
    pids_file = home / "stack.pids"
    if not pids_file.exists():
        return False
    stop_pids([int(p) for p in pids_file.read_text().split()])
    pids_file.unlink(missing_ok=True)
    return True
