"""Comment-deadline reminders: a draft's deadline is near, tell the subscriptions that asked.

For drafts whose ``comment_deadline`` falls within the next ``reminder_days`` days (the
subscription's own, counted in its time zone), one reminder per subscription x notice x
deadline, only to subscriptions with ``reminders`` on whose filters match the draft. An extended
deadline is a new deadline and earns a new reminder.

A reminder asked for one notice from a Slack alert's button (alerts/reminder_requests.py) is sent
the same way to the subscription that asked, whether or not it has ``reminders`` on; the ledger
keeps it to one reminder when both apply.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from elasticsearch import Elasticsearch

from alerts import ledger, policy, reminder_requests, subscriptions
from alerts.deliver import DispatchResult, deliver
from alerts.match import candidates, match_once
from alerts.subscriptions import Subscription
from connectors.store import get_notices
from records.notice import Notice


def send_reminders(es: Elasticsearch, now: datetime, *,
                   flood_limit: int | None = None) -> DispatchResult:
    """Remind every subscription that asked about drafts whose comments are due soon."""
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    result = DispatchResult()
    _send_requested(es, now, result, flood_limit)
    subs = subscriptions.list_all(es, reminders=True)
    if not subs:
        return result
    # Time zones differ by at most a day either way from UTC: fetch the widest span once.
    horizon = max(s.reminder_days for s in subs) + 1
    first, last = now.date() - timedelta(days=1), now.date() + timedelta(days=horizon)
    drafts = candidates(es, {"bool": {"filter": [
        {"term": {"stage": "draft"}},
        {"range": {"comment_deadline": {"gte": first.isoformat(), "lte": last.isoformat()}}}]}})
    by_id = {n.id: n for n in drafts}
    by_sub, clock = {s.id: s for s in subs}, ledger.ticking(now)
    for sub_id, ids in match_once(es, drafts, subs).items():
        sub = by_sub[sub_id]
        today = policy.local_today(now, sub)
        due = [by_id[i] for i in ids if _within(by_id[i], today, sub)]
        if due:
            deliver(es, sub, due, result, clock(), reminder_on=today, limit=flood_limit)
    return result


def _within(notice: Notice, today: date, sub: Subscription) -> bool:
    # A closed comment period (days left < 0) is never reminded of.
    left = policy.days_left(notice, today)
    return left is not None and 0 <= left <= sub.reminder_days


def _send_requested(es: Elasticsearch, now: datetime, result: DispatchResult,
                    flood_limit: int | None) -> None:
    """Send the reminders asked for one notice each, when their deadline is near enough."""
    requests = reminder_requests.due(es, now.date() - timedelta(days=1), now.date() + timedelta(days=91))
    notices = {n.id: n for n in get_notices(es, sorted({r["notice_id"] for r in requests}))}
    wanted: dict[str, list[Notice]] = {}
    for r in requests:
        if r["notice_id"] in notices:
            wanted.setdefault(r["subscription_id"], []).append(notices[r["notice_id"]])
    clock = ledger.ticking(now)
    for sub_id, asked in wanted.items():
        sub = subscriptions.get(es, sub_id)  # None: unsubscribed since
        if sub is None or sub.paused:
            continue
        today = policy.local_today(now, sub)
        due = [n for n in asked if n.stage == "draft" and n.standard_key not in sub.muted_standards
               and n.comment_deadline and _within(n, today, sub)]
        if due:
            deliver(es, sub, due, result, clock(), reminder_on=today, limit=flood_limit)
