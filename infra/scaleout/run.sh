#!/usr/bin/env bash
# Scale-out on one machine: the regwatch DAGs on Airflow's CeleryExecutor with two Celery
# workers, a Redis broker and a PostgreSQL metadata database (Debian packages, started here as
# loopback processes), polling N loopback publishers; then a second poll. It checks that no
# notice is lost or duplicated and no alert is sent twice, and prints the figures.
#
#   bash infra/scaleout/run.sh            # N=200 publishers; REGWATCH_SCALEOUT_PUBLISHERS=…
#
# Heavy (minutes, most of 2 cores): not part of `make test`. Everything it starts, it stops.
# Run as root (apt-get; PostgreSQL and Elasticsearch run as their own unprivileged users).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
N=${REGWATCH_SCALEOUT_PUBLISHERS:-200}
WORK=${REGWATCH_SCALEOUT_DIR:-$REPO/.data/scaleout}
PGDIR=/var/tmp/regwatch-scaleout-pg            # PostgreSQL's own user must reach it
ES_PORT=9478 PG_PORT=5499 REDIS_PORT=6399 FEEDS_PORT=8797 API_PORT=8798 SMTP_PORT_=8026
VENV=$WORK/venv
PY=$VENV/bin/python
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pids=()
log() { printf '%s scaleout: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  # A Celery worker whose broker is gone waits forever in a warm shutdown: give 20 s, then KILL.
  for _ in $(seq 1 20); do
    alive=0; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "$PGBIN" ] && [ -f "$PGDIR/data/postmaster.pid" ] && \
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null
  "$PY" -c "from infra import local_es; local_es.stop(local_es.Node(name='scaleout', port=$ES_PORT))" 2>/dev/null
}
trap cleanup EXIT

rm -rf "$WORK/airflow" "$WORK/mailbox" && mkdir -p "$WORK/airflow" "$WORK/logs"

log "1/7 Debian packages: redis-server, postgresql"
if ! command -v redis-server >/dev/null || [ -z "$PGBIN" ] || [ ! -x "$PGBIN/postgres" ]; then
  apt-get install -y --no-install-recommends redis-server postgresql >"$WORK/logs/apt.log" 2>&1 \
    || { apt-get update >>"$WORK/logs/apt.log" 2>&1 \
         && apt-get install -y --no-install-recommends redis-server postgresql >>"$WORK/logs/apt.log" 2>&1; }
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

log "2/7 Celery provider, redis, psycopg2 (-c constraints.txt) in an overlay of .venv"
# An overlay venv sees every package of .venv but installs into its own folder, so the shared
# .venv (and whoever is testing with it) is left exactly as `make setup` made it.
if [ ! -x "$PY" ]; then
  "$(readlink -f .venv/bin/python)" -m venv "$VENV"
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  base=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$base')" >"$site/zz-regwatch-venv.pth"
fi
if ! "$PY" -m pip install -q -r infra/celery-requirements.txt -c constraints.txt \
    >"$WORK/logs/pip.log" 2>&1; then
  log "pip could not install the Celery extras; see $WORK/logs/pip.log"; tail -5 "$WORK/logs/pip.log"; exit 1
fi

log "3/7 Elasticsearch (:$ES_PORT), PostgreSQL (:$PG_PORT), Redis (:$REDIS_PORT), $N publishers (:$FEEDS_PORT), SMTP (:$SMTP_PORT_)"
"$PY" -c "from infra import local_es as l; n=l.Node(name='scaleout', port=$ES_PORT); l.stop(n); l.wipe(n); l.start(n)"
id postgres >/dev/null
rm -rf "$PGDIR" && mkdir -p "$PGDIR" && chown postgres "$PGDIR"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -U airflow --auth=trust >"$WORK/logs/initdb.log"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w start \
  -o "-p $PG_PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U airflow airflow
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  >"$WORK/logs/redis.log" 2>&1 & pids+=($!)
"$PY" -m infra.scaleout.feeds --publishers "$N" --port "$FEEDS_PORT" --catalog "$WORK/catalog.yaml" \
  >"$WORK/logs/feeds.log" 2>&1 & pids+=($!)
"$PY" -m regwatch.cli mailbox --port "$SMTP_PORT_" --path "$WORK/mailbox" >"$WORK/logs/mailbox.log" 2>&1 & pids+=($!)

export AIRFLOW_HOME=$WORK/airflow
export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://airflow@127.0.0.1:$PG_PORT/airflow
export AIRFLOW__CELERY__BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0
export AIRFLOW__CELERY__RESULT_BACKEND=db+postgresql+psycopg2://airflow@127.0.0.1:$PG_PORT/airflow
export AIRFLOW__CELERY__WORKER_CONCURRENCY=4
export AIRFLOW__CORE__DAGS_FOLDER=$REPO/dags AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM=16
export AIRFLOW__API__PORT=$API_PORT AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$API_PORT/execution/
export AIRFLOW__API_AUTH__JWT_SECRET=scaleout-only-secret AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True
export AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK=False AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=30
export ES_URL=http://127.0.0.1:$ES_PORT REGWATCH_CATALOG=$WORK/catalog.yaml REGWATCH_POLL_SCHEDULE=none
export REGWATCH_RETRY_DELAY_SECONDS=5 REGWATCH_FLOOD_LIMIT=1000000   # one message per alert: countable
export SMTP_HOST=127.0.0.1 SMTP_PORT=$SMTP_PORT_ SMTP_FROM=regwatch@localhost SMTP_STARTTLS=false
unset ES_API_KEY ES_USERNAME ES_PASSWORD REGWATCH_REPLAY
for _ in $(seq 1 100); do [ -s "$WORK/catalog.yaml" ] && break; sleep 0.2; done

log "4/7 Airflow metadata database, api-server, scheduler, dag-processor, two Celery workers"
"$PY" -m airflow db migrate >"$WORK/logs/db-migrate.log" 2>&1
"$PY" -m airflow api-server >"$WORK/logs/api-server.log" 2>&1 & pids+=($!)
"$PY" -m airflow scheduler >"$WORK/logs/scheduler.log" 2>&1 & pids+=($!)
"$PY" -m airflow dag-processor >"$WORK/logs/dag-processor.log" 2>&1 & pids+=($!)
for w in 1 2; do
  "$PY" -m airflow celery worker --celery-hostname "worker$w@%h" --skip-serve-logs \
    >"$WORK/logs/worker$w.log" 2>&1 & pids+=($!)
done
sql() { "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U airflow -d airflow -Atc "$1"; }
for _ in $(seq 1 120); do
  [ "$(sql "select count(*) from dag where dag_id in ('poll_publishers','dispatch_alerts')")" = 2 ] && break
  sleep 2
done
"$PY" -m regwatch.cli --catalog "$WORK/catalog.yaml" subscribe --email analyst@example.org

# Wait until the newest run of a DAG has finished; print its state and seconds.
wait_run() {
  local dag=$1 after=$2 state=""
  for _ in $(seq 1 900); do
    state=$(sql "select state from dag_run where dag_id='$dag' and id > $after order by id desc limit 1")
    case "$state" in success|failed) break ;; esac
    sleep 2
  done
  sql "select state, round(extract(epoch from end_date - start_date)) from dag_run where dag_id='$dag' and id > $after order by id desc limit 1"
}
poll_once() {
  local before_poll before_dispatch
  before_poll=$(sql "select coalesce(max(id),0) from dag_run where dag_id='poll_publishers'")
  before_dispatch=$(sql "select coalesce(max(id),0) from dag_run where dag_id='dispatch_alerts'")
  "$PY" -m airflow dags trigger poll_publishers >/dev/null
  log "   poll_publishers: $(wait_run poll_publishers "$before_poll") (state|seconds)"
  log "   dispatch_alerts: $(wait_run dispatch_alerts "$before_dispatch") (state|seconds)"
  log "   task instances by state: $(sql "select string_agg(s || ' ' || c, ', ') from (select state s, count(*) c from task_instance group by 1) t")"
}
"$PY" -m airflow dags unpause poll_publishers >/dev/null
"$PY" -m airflow dags unpause dispatch_alerts >/dev/null

log "5/7 first poll of $N publishers"
poll_once
log "6/7 second poll (nothing new: no new notice, no alert again)"
poll_once

log "7/7 checks"
for w in 1 2; do
  log "   worker$w ran $(grep -c 'Executing workload in Celery' "$WORK/logs/worker$w.log") task instances"
done
"$PY" -m infra.scaleout.check --publishers "$N" --runs 2 --mailbox "$WORK/mailbox" \
  --feeds "http://127.0.0.1:$FEEDS_PORT"
