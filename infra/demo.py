"""`make demo` / `make up` / `make down`: regwatch on embedded defaults, on the real scheduler.

The local Elasticsearch node, the recorded publishers replayed on loopback, a local mailbox
(real SMTP into a Maildir) and Airflow (api-server, scheduler, dag-processor, triggerer;
LocalExecutor on SQLite). `demo` triggers one polling cycle, waits for the asset-triggered
dispatch, prints a summary and stops what it started; `up` keeps it all running.
"""
from __future__ import annotations

import argparse
import mailbox
import os
import secrets
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

from alerts import policy, render, subscriptions
from alerts.deliver import flood_limit
from connectors import store
from connectors.catalog import load_catalog
from infra import local_es
from infra.airflow_stack import Stack, StackError, stop_pids, stop_recorded
from infra.replay import ReplayServer
from records.notice import Notice
from records.settings import positive, setting
from regwatch.commands.services import public_url

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".data"
AIRFLOW_HOME = DATA / "airflow"
MAILDIR = DATA / "mailbox"
FIXTURES = REPO / "tests" / "fixtures"  # the demo runs from a checkout: the recorded publishers
ANALYST = "analyst@example.org"
# The recorded publishers are history (2018 onwards): by the alerting policy a first sight of them
# alerts nothing, so the demo's subscriptions opt in to a century, as `--backfill 36500` would.
DEMO_BACKFILL_DAYS = 36500


def _services(schedule: str, live: bool = False) -> tuple[Stack, ReplayServer | None, Controller]:
    node = local_es.start(local_es.Node())
    es = store.connect(node.url)
    store.ensure_indices(es)
    replay = None if live else ReplayServer(FIXTURES, port=int(positive("REGWATCH_REPLAY_PORT"))).start()
    smtp_port = int(positive("REGWATCH_MAILBOX_PORT"))
    DATA.mkdir(exist_ok=True)
    smtp = Controller(Mailbox(str(MAILDIR)), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    known = [s.id for s in load_catalog()]
    for channel, target in (("email", ANALYST), ("console", "console")):
        subscriptions.save(es, subscriptions.make(channel, target, subscriptions.Filters(),
                                                  known_sources=known, backfill_days=DEMO_BACKFILL_DAYS))
    env = {"ES_URL": node.url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
           "SMTP_FROM": "regwatch@localhost", "REGWATCH_REPLAY": replay.base if replay else "",
           "REGWATCH_POLL_SCHEDULE": schedule, "REGWATCH_OPS_EMAIL": "operators@example.org",
           "AIRFLOW_CONN_REGWATCH_SMTP": f"smtp://127.0.0.1:{smtp_port}",
           "REGWATCH_LINK_KEY": _link_key()}
    port = int(positive("REGWATCH_AIRFLOW_PORT"))
    return Stack(AIRFLOW_HOME, port=port, env=env), replay, smtp


def _link_key() -> str:
    """The demo's link key: the environment's, else one made once and kept in .data (so the
    links in the demo's earlier e-mails keep working)."""
    given = os.environ.get("REGWATCH_LINK_KEY")
    if given:
        return given
    path = DATA / "link.key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _mail_count() -> int:
    return len(mailbox.Maildir(str(MAILDIR), create=True))


def demo() -> int:
    """Run one cycle through the scheduler and print what happened."""
    started = datetime.now(timezone.utc)
    print("== Starting Elasticsearch, the publisher replay, the local mailbox and Airflow", flush=True)
    stack, replay, smtp = _services(schedule="none")
    mails_before = _mail_count()
    try:
        stack.start()
        stack.wait_for_dags(["poll_publishers", "dispatch_alerts"])
        print(f"== Triggering poll_publishers on the scheduler ({stack.url})", flush=True)
        run_id = stack.trigger("poll_publishers")
        poll = stack.wait_for_run("poll_publishers", run_id=run_id, timeout=300)
        dispatches = stack.wait_for_dispatches(run_id, timeout=300)
        tasks = [t for t in stack.task_states("poll_publishers", run_id) if t["task_id"].startswith("poll_")]
    except StackError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        replay.stop()
        smtp.stop()
    ok = _summary(started, tasks, poll, dispatches, _mail_count() - mails_before, stack)
    local_es.stop(local_es.Node())
    return 0 if ok else 1


def _summary(started: datetime, tasks: list[dict], poll: dict, dispatches: list[dict], new_mail: int,
             stack: Stack) -> bool:
    es = store.connect(local_es.Node().url)
    sent = es.search(index="regwatch-deliveries", size=100, query={"bool": {"filter": [
        {"term": {"status": "sent"}}, {"range": {"sent_at": {"gte": started.isoformat()}}}]}})
    delivered = [h["_source"] for h in sent["hits"]["hits"]]
    notices = {n.id: n for n in store.get_notices(es, [d["notice_id"] for d in delivered])}
    print("\n== Alerts delivered in this cycle")
    if not delivered:
        print("  none new: a notice alerted by an earlier run is never sent again "
              "(`make clean-data` starts over)")
    for d in delivered:
        if d["channel"] == "console" and d["notice_id"] in notices:
            sub = subscriptions.get(es, d["subscription_id"])
            print("  " + render.console(notices[d["notice_id"]], sub,
                                        today=policy.local_today(datetime.now(timezone.utc), sub))
                  if sub else "")
    failed = [t["task_id"] for t in tasks if t["state"] != "success"]
    store.refresh_health(es)
    polled = [doc for doc in store.source_health(es).values()
              if (doc.get("last_attempt") or "") >= started.isoformat()]
    ok = sum(doc.get("status") == "ok" for doc in polled)
    hosts = f"{len(tasks)} host tasks" + (f", failed: {', '.join(failed)}" if failed else "")
    indexed = es.count(index=store.NOTICES)["count"]
    drafts = es.count(index=store.NOTICES, query={"bool": {"filter": [
        {"term": {"blockchain": True}}, {"term": {"stage": "draft"}}]}})["count"]
    print(f"""
== Summary
Publishers polled:    {len(polled)} ({ok} ok) by {hosts} — Airflow run {poll.get('dag_run_id')}: {poll['state']}
Alert dispatch:       {len(dispatches)} dispatch_alerts run(s) triggered by the hosts' events on the notices asset: {', '.join(d['state'] for d in dispatches) or 'none (nothing new)'}
Notices indexed:      {indexed} in all, {drafts} of them blockchain drafts (Elasticsearch {local_es.Node().url})
History:              {_history(list(notices.values()))}
Alerts delivered:     {len(delivered)} this cycle; {sum(d['channel'] == 'email' for d in delivered)} by email, arriving as {new_mail} message(s) in {MAILDIR.relative_to(REPO)}/new
                      (more than {flood_limit()} alerts at once for one subscriber become one summary message)

Where to look next:
  make up                                   # keep it running: Airflow UI {stack.url} (login admin / {stack.password})
  .venv/bin/regwatch es start && .venv/bin/regwatch search 区块链
  .venv/bin/regwatch sources                # each publisher's health
  make demo                                 # again: it alerts nothing new
""")
    return poll["state"] == "success" and all(d["state"] == "success" for d in dispatches)


def _history(alerted: list[Notice]) -> str:
    """Say that the demo alerts recorded history only because its subscriptions opted in."""
    default = subscriptions.Subscription("default", "console", "console")
    days = policy.default_backfill_days()
    old = sum(policy.is_history(n, default, days) for n in alerted)
    dates = sorted(n.published_at[:10] for n in alerted if n.published_at)
    span = f"published {dates[0]} to {dates[-1]}" if dates else "recorded notices"
    return (f"the recordings are past notices ({span}) and the demo subscribes with --backfill "
            f"{DEMO_BACKFILL_DAYS}:\n                      {old} of these {len(alerted)} alerts were published more "
            f"than {days} days before regwatch first saw them; without --backfill they are not alerted")


def start_web(env: dict[str, str], port: int, log: Path, timeout: float = 60) -> subprocess.Popen[bytes]:
    """Start `regwatch serve` on loopback beside the stack; return once it answers /healthz."""
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "regwatch.cli", "serve", "--port", str(port)],
                                env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"regwatch serve exited (code {proc.returncode}); see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_pids([proc.pid])
    raise StackError(f"regwatch serve did not answer within {timeout:.0f}s; see {log}")


def up(live: bool = False) -> int:
    """Keep the stack running (polling on its schedule) until interrupted."""
    stack, replay, smtp = _services(setting("REGWATCH_POLL_SCHEDULE"), live)
    web: subprocess.Popen[bytes] | None = None
    try:
        stack.start()
        port = int(positive("REGWATCH_WEB_PORT"))
        web = start_web(stack.env, port, DATA / "web.log")
        print(f"regwatch is up. Airflow UI: {stack.url} (login admin / {stack.password}); "
              f"mailbox: {MAILDIR}; subscriber web app: http://127.0.0.1:{port} (Slack request URLs "
              f"{public_url('127.0.0.1', port)}/slack/commands and …/slack/interactions); "
              "Ctrl-C (or `make down`) stops it.", flush=True)
        while all(p.poll() is None for p in [*stack.procs, web]):
            time.sleep(2)
        print("an Airflow process or the web app exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except StackError as exc:
        print(f"up: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if web is not None:
            stop_pids([web.pid])
        stack.stop()
        if replay:
            replay.stop()
        smtp.stop()
        local_es.stop(local_es.Node())


def down() -> int:
    """Stop a stack left running by `make up` in another terminal."""
    stopped = stop_recorded(AIRFLOW_HOME)
    es_stopped = local_es.stop(local_es.Node())
    print(f"Airflow {'stopped' if stopped else 'was not running'}; "
          f"Elasticsearch {'stopped' if es_stopped else 'was not running'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=("demo", "up", "down"), nargs="?", default="demo")
    parser.add_argument("--live", action="store_true", help="up: poll the real publishers")
    args = parser.parse_args()
    return up(args.live) if args.action == "up" else {"demo": demo, "down": down}[args.action]()


if __name__ == "__main__":
    sys.exit(main())
