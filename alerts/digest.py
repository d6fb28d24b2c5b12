"""Daily digests: once per local day, after its hour, each daily subscription gets one message.

A digest carries the matched notices fetched (created or moved to a new stage) since the
subscription was created - at most a week back - and before today's digest hour, that no
earlier digest carried: the ledger records each notice as sent with the digest, so a day the
scheduler missed is caught up by the next digest and nothing is listed twice.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from elasticsearch import Elasticsearch

from alerts import channels, ledger, subscriptions
from alerts.deliver import DispatchResult
from alerts.errors import DeliveryError
from alerts.match import candidates, match_once
from alerts.render import Batch
from alerts.subscriptions import Subscription
from records.notice import Notice

LOOKBACK = timedelta(days=7)


def due_at(sub: Subscription, now: datetime) -> datetime | None:
    """Today's digest time in the subscription's zone, or None before it."""
    local = now.astimezone(ZoneInfo(sub.timezone))
    due = local.replace(hour=sub.digest_hour, minute=0, second=0, microsecond=0)
    return due if local >= due else None


def window(sub: Subscription, due: datetime) -> tuple[datetime, datetime]:
    """The fetch times a digest due at `due` may cover."""
    start = due - LOOKBACK
    if sub.created_at:
        start = max(start, _aware(datetime.fromisoformat(sub.created_at)))
    return start, due


def send_digests(es: Elasticsearch, now: datetime) -> DispatchResult:
    """Send every daily subscription's digest that is due and not yet sent today."""
    now, result = _aware(now), DispatchResult()
    due = {s.id: (s, d) for s in subscriptions.list_all(es, mode="daily") if (d := due_at(s, now))}
    due = {k: v for k, v in due.items() if not _digest_sent(es, *v)}
    if not due:
        return result
    spans = [window(s, d) for s, d in due.values()]
    pool = candidates(es, {"range": {"fetched_at": {"gte": min(a for a, _ in spans).isoformat(),
                                                   "lt": max(b for _, b in spans).isoformat()}}})
    by_id, clock = {n.id: n for n in pool}, ledger.ticking(now)
    for sub_id, ids in match_once(es, pool, [s for s, _ in due.values()]).items():
        sub, when = due[sub_id]
        _send(es, sub, when, [by_id[i] for i in ids], result, clock())
    return result


def _send(es: Elasticsearch, sub: Subscription, due: datetime, matched: list[Notice],
          result: DispatchResult, now: datetime) -> None:
    start, end = window(sub, due)
    mine = [n for n in matched if start <= _aware(datetime.fromisoformat(n.fetched_at)) < end]
    done = ledger.sent(es, sub.id, [(n.id, n.stage) for n in mine])
    mine = [n for n in mine if n.id not in done]
    day = _day_key(due)
    if not mine or (lid := ledger.claim(es, sub.id, day, "digest", sub.channel, now)) is None:
        return
    channel = channels.available().get(sub.channel)
    if channel is None:
        ledger.mark_failed(es, lid, f"no delivery for channel {sub.channel}")
        result.failed += [(sub.id, n.id, f"no delivery for channel {sub.channel}") for n in mine]
        return
    title = f"Daily digest {due.date().isoformat()}: {len(mine)} notice{'s' if len(mine) > 1 else ''}"
    try:
        channel.send(sub.target, channel.batch(Batch(title, tuple(mine), day), sub, today=due.date()))
    except DeliveryError as exc:
        ledger.mark_failed(es, lid, str(exc))
        result.failed += [(sub.id, n.id, str(exc)) for n in mine]
        return
    # One bulk request marks the digest and every notice it carried: the crash window stays one call.
    ledger.record_sent(es, sub.id, [(n.id, n.stage) for n in mine] + [(day, "digest")], sub.channel, now)
    result.sent += [(sub.id, n.id) for n in mine]
    result.messages += 1


def _digest_sent(es: Elasticsearch, sub: Subscription, due: datetime) -> bool:
    return bool(ledger.sent(es, sub.id, [(_day_key(due), "digest")]))


def _day_key(due: datetime) -> str:
    return f"digest:{due.date().isoformat()}"


def _aware(moment: datetime) -> datetime:
    # A naive time (e.g. `regwatch digest --now 2026-12-01T09:30`) is taken as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
