#!/usr/bin/env bash
# `make demo`: the main job on embedded defaults. The local Elasticsearch node, the recorded
# publishers replayed on loopback, alerts to the console and to a local mailbox (real SMTP).
# Everything it starts, it stops; the node's data and the mailbox are kept in .data/.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
REPLAY_PORT=${REGWATCH_REPLAY_PORT:-8765}
export SMTP_HOST=127.0.0.1 SMTP_PORT=${REGWATCH_MAILBOX_PORT:-8025} SMTP_FROM=regwatch@localhost
unset ES_URL ES_API_KEY ES_USERNAME ES_PASSWORD
MAILBOX=.data/mailbox
mkdir -p .data
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  $BIN/regwatch es stop >/dev/null || true
}
trap cleanup EXIT

count_mail() { if [ -d "$MAILBOX/new" ]; then find "$MAILBOX/new" -type f | wc -l; else echo 0; fi; }

wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "demo: nothing answered on port $1" >&2
  exit 1
}

echo "== Starting the local Elasticsearch node, the publisher replay and the local mailbox"
$BIN/regwatch es start
$BIN/regwatch replay --port "$REPLAY_PORT" >.data/replay.log 2>&1 & pids+=($!)
$BIN/regwatch mailbox --port "$SMTP_PORT" --path "$MAILBOX" >.data/mailbox.log 2>&1 & pids+=($!)
wait_port "$REPLAY_PORT"
wait_port "$SMTP_PORT"

echo "== Subscribing a mailbox and the console to blockchain standards and drafts"
$BIN/regwatch subscribe --email analyst@example.org
$BIN/regwatch subscribe --console
mails_before=$(count_mail)

echo "== One cycle: poll, normalise, index, alert"
status=0
$BIN/regwatch run --once --replay "http://127.0.0.1:$REPLAY_PORT" >.data/last-run.txt || status=$?
grep '^ALERT' .data/last-run.txt || true
grep -v '^ALERT' .data/last-run.txt > .data/last-summary.txt || true
cat .data/last-summary.txt
mails_after=$(count_mail)

indexed=$($BIN/python -c "from connectors import store; print(store.connect().count(index=store.NOTICES)['count'])")
drafts=$($BIN/python -c "from connectors import store; print(store.connect().count(index=store.NOTICES, query={'bool': {'filter': [{'term': {'blockchain': True}}, {'term': {'stage': 'draft'}}]}})['count'])")
cat <<EOF

== Summary
This run:              $(head -n1 .data/last-summary.txt | sed 's/^regwatch run: //')
Publishers:            replayed from tests/fixtures on 127.0.0.1:$REPLAY_PORT
Notices in the index:  $indexed, of which $drafts blockchain drafts (Elasticsearch http://127.0.0.1:9200, alias regwatch-notices)
Emails received:       $((mails_after - mails_before)) this run in $MAILBOX/new ($mails_after in all); console alerts are the ALERT lines above

Where to look next:
  .venv/bin/regwatch es start && .venv/bin/regwatch search 区块链
  .venv/bin/regwatch sources              # each publisher's health
  .venv/bin/regwatch subscriptions        # who hears about what
  ls .data/mailbox/new                   # the delivered emails (Maildir)
  make demo                              # again: it alerts nothing new
EOF
exit $status
