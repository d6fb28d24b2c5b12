#!/usr/bin/env bash
# The compose stack's one-shot setup (service `setup`): safe to run again at any time.
#  1. give Kibana's built-in user its password (Kibana waits for it, so it cannot come first)
#  2. install the index templates and indices      (regwatch init)
#  3. import the Kibana saved objects               (regwatch kibana import, once Kibana answers)
#  4. create the Airflow connections from the environment
set -euo pipefail

: "${ES_URL:?}" "${ES_USERNAME:?}" "${ES_PASSWORD:?}" "${KIBANA_URL:?}" "${KIBANA_SYSTEM_PASSWORD:?}"

echo "setup: kibana_system password"
until curl -fsS -u "$ES_USERNAME:$ES_PASSWORD" -H 'Content-Type: application/json' \
    -X POST "$ES_URL/_security/user/kibana_system/_password" \
    -d "{\"password\":\"$KIBANA_SYSTEM_PASSWORD\"}" >/dev/null; do
  sleep 5
done

echo "setup: index templates"
regwatch init

echo "setup: waiting for Kibana at $KIBANA_URL"
for _ in $(seq 1 120); do
  if curl -fsS -u "$KIBANA_USERNAME:$KIBANA_PASSWORD" "$KIBANA_URL/api/status" \
      | grep -q '"level":"available"'; then
    break
  fi
  sleep 5
done
regwatch kibana import --url "$KIBANA_URL" ${KIBANA_SPACE:+--space "$KIBANA_SPACE"}

echo "setup: Airflow connections"
# delete + add: `connections add` refuses an existing id, and the values may have changed.
add_connection() {
  airflow connections delete "$1" >/dev/null 2>&1 || true
  airflow connections add "$1" --conn-json "$2"
}
# The ids and fields regwatch.tasks.CONNECTIONS reads (an explicit environment variable wins).
# An empty field, or a null port, leaves regwatch's default (records/settings.py).
es_host=${ES_URL#*://}
add_connection regwatch_es "$(printf '{"conn_type":"generic","host":"%s","port":%s,"login":"%s","password":"%s","schema":"%s"}' \
  "${es_host%:*}" "${es_host##*:}" "$ES_USERNAME" "$ES_PASSWORD" "${ES_URL%%://*}")"
if [ -n "${SLACK_BOT_TOKEN:-}" ]; then
  add_connection regwatch_slack "$(printf '{"conn_type":"slack","password":"%s","extra":{"base_url":"%s","signing_secret":"%s"}}' \
    "$SLACK_BOT_TOKEN" "${SLACK_API_URL:-}" "${SLACK_SIGNING_SECRET:-}")"
fi
if [ -n "${SMTP_HOST:-}" ]; then
  add_connection regwatch_smtp "$(printf '{"conn_type":"smtp","host":"%s","port":%s,"login":"%s","password":"%s","extra":{"from_email":"%s","starttls":"%s"}}' \
    "$SMTP_HOST" "${SMTP_PORT:-null}" "${SMTP_USER:-}" "${SMTP_PASSWORD:-}" "${SMTP_FROM:-}" \
    "${SMTP_STARTTLS:-}")"
fi
if [ -n "${REGWATCH_LINK_KEY:-}" ]; then
  add_connection regwatch_links "$(printf '{"conn_type":"generic","password":"%s","extra":{"public_url":"%s"}}' \
    "$REGWATCH_LINK_KEY" "${REGWATCH_PUBLIC_URL:-}")"
fi
echo "setup: done"
