"""Two cycles at once: nothing crashes, nothing is sent twice (real processes, ES, SMTP, Slack)."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from alerts import ledger
from alerts import subscriptions as subs
from alerts.dispatch import dispatch
from connectors import store
from infra.airflow_stack import Stack
from tests.servers import SmtpSink, free_port

BIN = Path(sys.executable).with_name("regwatch")
KNOWN = ["miit-yjzj", "nist-csrc"]


def run_once(env: dict[str, str], replay: str) -> subprocess.Popen:
    return subprocess.Popen([str(BIN), "run", "--once", "--replay", replay], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def delivered(stdout: str) -> int:
    return int(re.search(r"alerts: (\d+) delivered", stdout).group(1))


def subscribe_email(es) -> None:
    subs.save(es, subs.make("email", "analyst@example.org", subs.Filters(), known_sources=KNOWN,
                            backfill_days=36500))  # the recordings are history: opt in


@pytest.fixture
def env(es, two_publishers) -> dict[str, str]:
    """The environment of a `regwatch` subprocess, but for the mail server's port."""
    return {**os.environ, "ES_URL": os.environ["ES_URL"], "SMTP_HOST": "127.0.0.1",
            "REGWATCH_CATALOG": str(two_publishers)}


def test_two_runs_started_together_both_succeed_and_alert_once(es, env, smtp, replay, slack) -> None:
    env = {**env, "SMTP_PORT": str(smtp.port), "SLACK_BOT_TOKEN": slack.token,
           "SLACK_API_URL": slack.base_url}
    subscribe_email(es)
    subs.save(es, subs.make("slack", "#standards", subs.Filters(), known_sources=KNOWN, backfill_days=36500))
    procs = [run_once(env, replay.base) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert sum(delivered(out) for out, _ in outs) == 8
    subjects = [m["Subject"] for m in smtp.messages]
    assert len(subjects) == 4 and len(set(subjects)) == 4
    texts = [m.text for m in slack.messages]
    assert len(texts) == 4 and len(set(texts)) == 4
    assert es.count(index=store.NOTICES)["count"] == 10


def pending_claims(es) -> int:
    es.indices.refresh(index=ledger.INDEX)
    return es.count(index=ledger.INDEX, query={"term": {"status": "pending"}})["count"]


def test_a_dispatcher_killed_holding_its_claims_is_replaced_after_the_lease(es, env, smtp, replay) -> None:
    subscribe_email(es)
    with socket.socket() as stalled:  # a mail server that never answers: the send hangs
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(8)
        proc = run_once({**env, "SMTP_PORT": str(stalled.getsockname()[1])}, replay.base)
        try:
            deadline = time.monotonic() + 120
            while pending_claims(es) < 4 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
            assert pending_claims(es) == 4, proc.communicate()
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    killed_at = datetime.now(timezone.utc)
    ids = [h["_id"] for h in es.search(index=store.NOTICES, size=100, source=False)["hits"]["hits"]]
    # Before the lease runs out, nobody sends what the dead dispatcher held...
    early = dispatch(es, ids, clock=lambda: killed_at + ledger.lease() - timedelta(seconds=5))
    assert early.sent == [] and len(early.skipped) == 4 and smtp.messages == []
    # ...after it, the next dispatch (named no notices: the ledger finds them) sends each once.
    later = killed_at + ledger.lease() + timedelta(seconds=1)
    assert len(dispatch(es, [], clock=lambda: later).sent) == 4
    assert dispatch(es, ids, clock=lambda: later + timedelta(hours=1)).sent == []
    subjects = [m["Subject"] for m in smtp.messages]
    assert len(subjects) == 4 and len(set(subjects)) == 4 and ledger.sent_count(es) == 4


@pytest.fixture
def slow_smtp(monkeypatch: pytest.MonkeyPatch):
    """A mail server that takes a second per message, so two dispatchers overlap."""
    sink = SmtpSink(delay=1.0).start()
    monkeypatch.setenv("SMTP_PORT", str(sink.port))
    yield sink
    sink.stop()


@pytest.fixture
def stack(tmp_path, es, env, slow_smtp, replay):
    env = {"ES_URL": os.environ["ES_URL"], "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(slow_smtp.port),
           "REGWATCH_REPLAY": replay.base, "REGWATCH_CATALOG": env["REGWATCH_CATALOG"],
           "REGWATCH_POLL_SCHEDULE": "none", "REGWATCH_RETRY_DELAY_SECONDS": "1"}
    running = Stack(tmp_path / "airflow", port=free_port(), env=env).start()
    yield running
    running.stop()


def finished_after(stack: Stack, dag_id: str, after: str) -> bool:
    return any((r.get("queued_at") or "") >= after and r["state"] in ("success", "failed")
               for r in stack.runs(dag_id))


def test_the_cli_beside_an_airflow_dispatch_alerts_once(stack, es, env, slow_smtp, replay) -> None:
    subscribe_email(es)
    stack.wait_for_dags(["poll_publishers", "dispatch_alerts"])
    started = datetime.now(timezone.utc).isoformat()
    poll = stack.wait_for_run("poll_publishers", run_id=stack.trigger("poll_publishers"), timeout=240)
    assert poll["state"] == "success"
    # The notices are indexed, not yet announced: run the CLI until Airflow's dispatch is done.
    cli_runs = []
    while not cli_runs or not finished_after(stack, "dispatch_alerts", started):
        proc = run_once({**env, "SMTP_PORT": str(slow_smtp.port)}, replay.base)
        out, err = proc.communicate(timeout=300)
        cli_runs.append(out)
        assert proc.returncode == 0, out + err
    # Each host's event may start its own dispatch run: wait for all of them.
    dispatches = stack.wait_for_dispatches(poll["dag_run_id"], timeout=240)
    assert dispatches and all(d["state"] == "success" for d in dispatches)
    subjects = [m["Subject"] for m in slow_smtp.messages]
    assert len(subjects) == 4 and len(set(subjects)) == 4 and ledger.sent_count(es) == 4
    assert dispatch(es, []).sent == [] and len(slow_smtp.messages) == 4
