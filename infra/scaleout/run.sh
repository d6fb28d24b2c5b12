#!/usr/bin/env bash
# Scale-out on one machine, broken on purpose: the regwatch DAGs on Airflow's CeleryExecutor with
# two Celery workers, a Redis broker and a PostgreSQL metadata database (Debian packages, started
# here as loopback processes), a 3-node Elasticsearch cluster (every index with one replica; the
# client given all three nodes), polling N loopback publishers. During the first poll it SIGKILLs
# the elected Elasticsearch master and one Celery worker (its whole process group: the worker and
# the tasks it runs); the cycle must still complete through retries. Then it restarts both and
# polls again. It checks that no notice is lost or duplicated and no alert sent twice, and writes
# every figure to infra/scaleout/README.md (infra/scaleout/report.py).
#
#   make scaleout                          # N=200 publishers; REGWATCH_SCALEOUT_PUBLISHERS=…
#
# Heavy (minutes, most of 2 cores): not part of `make test`. Everything it starts, it stops.
# Run as root (apt-get; PostgreSQL and Elasticsearch run as their own unprivileged users).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
N=${REGWATCH_SCALEOUT_PUBLISHERS:-200}
WORK=${REGWATCH_SCALEOUT_DIR:-$REPO/.data/scaleout}
PGDIR=/var/tmp/regwatch-scaleout-pg            # PostgreSQL's own user must reach it
ES_PORT=9478 ES_NODES=3 PG_PORT=5499 REDIS_PORT=6399 FEEDS_PORT=8797 API_PORT=8798 SMTP_PORT_=8026
VENV=$WORK/venv
PY=$VENV/bin/python
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
# The cluster's members answer HTTP on ES_PORT … ES_PORT+2 and transport on ES_PORT+100 … +102.
ES_URLS=$(seq -s, -f "http://127.0.0.1:%g" "$ES_PORT" $((ES_PORT + ES_NODES - 1)))
pids=()
declare -A wpid
log() { printf '%s scaleout: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
# Every figure the report shows, one "key<TAB>value" line each (report.py reads them).
FACTS=$WORK/facts.tsv
fact() { printf '%s\t%s\n' "$1" "$2" >>"$FACTS"; }

cleanup() {
  set +e
  # Workers run in their own process groups (so one can be killed with its tasks): signal groups.
  for pid in "${wpid[@]}"; do kill -- "-$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  # A Celery worker whose broker is gone waits forever in a warm shutdown: give 20 s, then KILL.
  for _ in $(seq 1 20); do
    alive=0; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 1
  done
  for pid in "${wpid[@]}"; do kill -9 -- "-$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "$PGBIN" ] && [ -f "$PGDIR/data/postmaster.pid" ] && \
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null
  "$PY" -m infra.scaleout.faults stop --port "$ES_PORT" --size "$ES_NODES" >/dev/null 2>&1
}
trap cleanup EXIT

rm -rf "$WORK/airflow" "$WORK/mailbox" "$WORK/logs" "$FACTS" "$WORK"/check*.json
mkdir -p "$WORK/airflow" "$WORK/logs"
fact publishers "$N"
fact started "$(date -u '+%Y-%m-%d %H:%M UTC')"
fact load_at_start "$(cut -d' ' -f1-3 /proc/loadavg)"

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

log "3/7 Elasticsearch cluster ($ES_NODES nodes, :$ES_PORT-$((ES_PORT + ES_NODES - 1))), PostgreSQL (:$PG_PORT), Redis (:$REDIS_PORT), $N publishers (:$FEEDS_PORT), SMTP (:$SMTP_PORT_)"
"$PY" -c "from infra import local_es as l; n=l.Node(name='scaleout', port=$ES_PORT); l.stop(n); l.wipe(n)"  # the old single node
fact es_formed "$("$PY" -m infra.scaleout.faults start --port "$ES_PORT" --size "$ES_NODES")"
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
# A killed worker: the task instances it was running stop heartbeating, and the scheduler fails
# them (then retries them) after task_instance_heartbeat_timeout — 300 s by default, 30 s here;
# a live task heartbeats every few seconds, so 30 s still tolerates a busy machine. Messages
# the worker had taken from Redis but not acknowledged (Airflow's Celery tasks ack late) go back
# to the queue after the visibility timeout — 6 h by default, 60 s here, still far longer than
# one poll task (a few seconds), so a running task is never handed to a second worker.
export AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT=30
export AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL=5
export AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT=60
# Task instances the dead worker had reserved but not started stay "queued" in Airflow (a run
# here found two that Redis had not handed back after two minutes): the scheduler re-queues
# what has been queued longer than task_queued_timeout — 600 s by default, 45 s here (a healthy
# task waits for a slot a few seconds), checked every 10 s.
export AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT=45 AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL=10
export ES_URL=$ES_URLS REGWATCH_ES_REPLICAS=1 REGWATCH_CATALOG=$WORK/catalog.yaml REGWATCH_POLL_SCHEDULE=none
export REGWATCH_RETRY_DELAY_SECONDS=5 REGWATCH_FLOOD_LIMIT=1000000   # one message per alert: countable
export SMTP_HOST=127.0.0.1 SMTP_PORT=$SMTP_PORT_ SMTP_FROM=regwatch@localhost SMTP_STARTTLS=false
unset ES_API_KEY ES_USERNAME ES_PASSWORD REGWATCH_REPLAY
for _ in $(seq 1 100); do [ -s "$WORK/catalog.yaml" ] && break; sleep 0.2; done

log "4/7 Airflow metadata database, api-server, scheduler, dag-processor, two Celery workers"
"$PY" -m airflow db migrate >"$WORK/logs/db-migrate.log" 2>&1
"$PY" -m airflow api-server >"$WORK/logs/api-server.log" 2>&1 & pids+=($!)
"$PY" -m airflow scheduler >"$WORK/logs/scheduler.log" 2>&1 & pids+=($!)
"$PY" -m airflow dag-processor >"$WORK/logs/dag-processor.log" 2>&1 & pids+=($!)
# setsid: each worker leads its own process group, so killing the group kills the worker and
# every task it runs at once, as when its machine dies.
start_worker() {
  setsid "$PY" -m airflow celery worker --celery-hostname "worker$1@%h" --skip-serve-logs \
    >>"$WORK/logs/worker$1.log" 2>&1 & wpid[$1]=$!
  disown  # its SIGKILL is on purpose: no "Killed" job notice from bash
}
for w in 1 2; do start_worker $w; done
sql() { "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U airflow -d airflow -Atc "$1"; }
for _ in $(seq 1 120); do
  [ "$(sql "select count(*) from dag where dag_id in ('poll_publishers','dispatch_alerts')")" = 2 ] && break
  sleep 2
done
"$PY" -m regwatch.cli --catalog "$WORK/catalog.yaml" subscribe --email analyst@example.org

es_get() { curl -sf "http://127.0.0.1:$ES_PORT/$1" 2>/dev/null || curl -sf "http://127.0.0.1:$((ES_PORT + 1))/$1"; }
fact replicas "$(es_get '_cat/indices/regwatch-*?h=index,rep,health&s=index' | awk '{printf "%s%s %s %s", sep, $1, $2, $3; sep="; "}')"

# Wait until the newest run of a DAG after id $2 has finished; print its id.
wait_run() {
  local dag=$1 after=$2 state=""
  for _ in $(seq 1 900); do
    state=$(sql "select state from dag_run where dag_id='$dag' and id > $after order by id desc limit 1")
    case "$state" in success|failed) break ;; esac
    sleep 2
  done
  sql "select id from dag_run where dag_id='$dag' and id > $after order by id desc limit 1"
}
executed() { grep -c 'Executing workload in Celery' "$WORK/logs/worker$1.log" || true; }
# Run one cycle (poll, then the dispatch it triggers); with "fault", kill one Elasticsearch node and
# one worker once a quarter of the poll task instances have succeeded (others then running).
cycle() {
  local c=$1 fault=${2:-} before_poll poll_id dispatch_id run_id w1 w2 t0="" t_trig
  before_poll=$(sql "select coalesce(max(id),0) from dag_run where dag_id='poll_publishers'")
  w1=$(executed 1) w2=$(executed 2)
  t_trig=$(date +%s.%N)
  "$PY" -m airflow dags trigger poll_publishers >/dev/null
  if [ -n "$fault" ]; then
    for _ in $(seq 1 1200); do
      run_id=$(sql "select run_id from dag_run where dag_id='poll_publishers' and id > $before_poll limit 1")
      # A quarter of the run's poll tasks (one per host) done, the rest running or queued.
      [ -n "$run_id" ] && [ "$(sql "select 4 * count(*) filter (where state='success') >= count(*) and count(*) > 0 from task_instance where run_id='$run_id' and task_id like 'poll\_%'")" = t ] && break
      sleep 0.5
    done
    fact c${c}_running_at_kill "$(sql "select count(*) from task_instance where run_id='$run_id' and state='running'")"
    fact c${c}_done_at_kill "$(sql "select count(*) from task_instance where run_id='$run_id' and state='success'")"
    t0=$(date +%s.%N)
    "$PY" -m infra.scaleout.faults kill --port "$ES_PORT" --size "$ES_NODES" >"$WORK/kill.json" & local killer=$!
    kill -9 -- "-${wpid[1]}"
    log "   $(date -u +%H:%M:%S): SIGKILL worker1 (process group ${wpid[1]}) and the Elasticsearch master"
    wait $killer
    fact es_kill "$(cat "$WORK/kill.json")"
    log "   Elasticsearch: $(cat "$WORK/kill.json")"
  fi
  poll_id=$(wait_run poll_publishers "$before_poll")
  run_id=$(sql "select run_id from dag_run where id=$poll_id")
  # Each host task emits its own event, so one poll triggers several dispatch runs. The cycle is
  # over when a dispatch run that started after announce_stranded (last in the run, after every
  # write) has finished and none is queued or running: it alerted whatever was unannounced.
  local last="select start_date from task_instance where run_id='$run_id' and task_id='announce_stranded'"
  for _ in $(seq 1 900); do
    [ "$(sql "select exists (select 1 from dag_run where dag_id='dispatch_alerts' and state in ('success', 'failed') and start_date > ($last)) and not exists (select 1 from dag_run where dag_id='dispatch_alerts' and state in ('queued', 'running'))")" = t ] && break
    sleep 2
  done
  dispatch_id=$(sql "select coalesce(max(id), 0) from dag_run where dag_id='dispatch_alerts'")
  fact c${c}_poll "$(sql "select state || ' ' || round(extract(epoch from end_date - start_date)) from dag_run where id=$poll_id")"
  fact c${c}_dispatch "$(sql "select state || ' ' || round(extract(epoch from end_date - start_date)) from dag_run where id=$dispatch_id")"
  fact c${c}_wall "$(sql "select round(extract(epoch from d.end_date) - $t_trig) from dag_run d where id=$dispatch_id")"
  fact c${c}_task_instances "$(sql "select count(*) from task_instance where dag_id='poll_publishers' and run_id='$run_id'")"
  fact c${c}_ti_states "$(sql "select string_agg(s || ' ' || c, ', ') from (select state s, count(*) c from task_instance where run_id='$run_id' group by 1 order by 1) t")"
  fact c${c}_retried "$(sql "select count(*) from task_instance where run_id='$run_id' and try_number > 1")"
  fact c${c}_failed_tries "$(sql "select coalesce(string_agg(s || ' ' || c, ', '), 'none') from (select coalesce(state, 'none') s, count(*) c from task_instance_history where run_id='$run_id' group by 1 order by 1) t" 2>/dev/null || echo unknown)"
  fact c${c}_worker1 $(( $(executed 1) - w1 ))
  fact c${c}_worker2 $(( $(executed 2) - w2 ))
  fact c${c}_load "$(cut -d' ' -f1-3 /proc/loadavg)"
  if [ -n "$t0" ]; then
    fact c${c}_detected "$(sql "select coalesce(round(extract(epoch from min(end_date)) - $t0)::text, '?') from task_instance_history where run_id='$run_id' and state='failed'" 2>/dev/null || echo '?')"
    fact c${c}_recovery_poll "$(sql "select round(extract(epoch from end_date) - $t0) from dag_run where id=$poll_id")"
    fact c${c}_recovery_cycle "$(sql "select round(extract(epoch from end_date) - $t0) from dag_run where id=$dispatch_id")"
  fi
  log "   cycle $c: $(grep "^c${c}_" "$FACTS" | tr '\t\n' '= ' )"
}
"$PY" -m airflow dags unpause poll_publishers >/dev/null
"$PY" -m airflow dags unpause dispatch_alerts >/dev/null
ok=0
check() {
  "$PY" -m infra.scaleout.check --publishers "$N" --runs "$1" --faults --mailbox "$WORK/mailbox" \
    --feeds "http://127.0.0.1:$FEEDS_PORT" --out "$WORK/check$1.json" >/dev/null || ok=1
}

log "5/7 first poll of $N publishers; kill an Elasticsearch node and a Celery worker during it"
cycle 1 fault
check 1
log "6/7 restart them; second poll (nothing new: no new notice, no alert again)"
killed=$("$PY" -c "import json; print(json.load(open('$WORK/kill.json'))['node'])")
fact es_restart "$("$PY" -m infra.scaleout.faults restart --port "$ES_PORT" --size "$ES_NODES" --node "$killed")"
start_worker 1
cycle 2
check 2

log "7/7 checks and report"
fact finished "$(date -u '+%Y-%m-%d %H:%M UTC')"
"$PY" -m infra.scaleout.report --facts "$FACTS" --checks "$WORK/check1.json" "$WORK/check2.json" \
  --out infra/scaleout/README.md
log "report: infra/scaleout/README.md ($([ $ok = 0 ] && echo 'checks pass' || echo 'A CHECK FAILED'))"
exit $ok
