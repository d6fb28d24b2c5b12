"""Commands about alerts: subscriptions, previews, digests, reminders."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

from alerts import channels, subscriptions
from connectors import store
from connectors.catalog import load_catalog
from regwatch.commands import UsageError, now_arg


def cmd_subscribe(args: argparse.Namespace) -> int:
    chosen, target = next((c, t) for c in channels.available().values()
                          if (t := c.target_from_args(args)) is not None)
    channel = chosen.name
    filters = subscriptions.Filters(
        sources=tuple(args.source or ()), jurisdictions=tuple(args.jurisdiction or ()),
        kinds=tuple(args.kind or ("standard",)), stages=tuple(args.stage or ()),
        levels=tuple(args.level or ()), standard_numbers=tuple(args.number or ()),
        text=args.text or "", blockchain_only=not args.all_topics)
    if not args.daily and (args.digest_hour is not None or args.timezone is not None):
        raise UsageError("--digest-hour and --timezone apply to --daily subscriptions")
    if args.reminder_days is not None and not args.reminders:
        raise UsageError("--reminder-days needs --reminders")
    sub = subscriptions.make(channel, target, filters,
                             known_sources=[s.id for s in load_catalog(args.catalog)],
                             now=datetime.now(timezone.utc).isoformat(),
                             mode="daily" if args.daily else "instant",
                             digest_hour=9 if args.digest_hour is None else args.digest_hour,
                             timezone=args.timezone or "Asia/Shanghai", reminders=args.reminders,
                             reminder_days=3 if args.reminder_days is None else args.reminder_days,
                             lang=args.lang, backfill_days=args.backfill)
    if note := chosen.ready():
        print(note)
    es = store.connect()
    store.ensure_indices(es)
    subscriptions.save(es, sub)
    how = f"daily at {sub.digest_hour:02d}:00 {sub.timezone}" if sub.mode == "daily" else "instant"
    extra = f", reminders {sub.reminder_days} days before comment deadlines" if sub.reminders else ""
    extra += _language_and_history(sub)
    print(f"subscribed {sub.id}: {channel} {target} ({how}{extra})")
    return 0


def _language_and_history(sub: subscriptions.Subscription) -> str:
    lang = {"zh": ", titles in Chinese", "en": ", titles in English"}.get(sub.lang, "")
    return lang + (f", backfill {sub.backfill_days} days of history" if sub.backfill_days else "")


def cmd_digest(args: argparse.Namespace) -> int:
    from alerts.digest import send_digests

    es = store.connect()
    store.ensure_indices(es)
    return _report("digest", send_digests(es, now_arg(args.now)))

def cmd_remind(args: argparse.Namespace) -> int:
    from alerts.reminders import send_reminders

    es = store.connect()
    store.ensure_indices(es)
    return _report("remind", send_reminders(es, now_arg(args.now)))

def _report(what: str, result: Any) -> int:
    print(f"regwatch {what}: {result.messages} messages, {len(result.sent)} notices delivered, "
          f"{len(result.skipped)} already sent, {len(result.failed)} failed")
    for sub_id, notice_id, error in result.failed[:20]:
        print(f"  failed: {sub_id} {notice_id}: {error}")
    return 1 if result.failed else 0

def cmd_unsubscribe(args: argparse.Namespace) -> int:
    if not subscriptions.delete(store.connect(), args.id):
        raise UsageError(f"no subscription {args.id!r}")
    print(f"unsubscribed {args.id}")
    return 0

def cmd_subscriptions(args: argparse.Namespace) -> int:
    for sub in subscriptions.list_all(store.connect()):
        f = sub.filters
        wants = ", ".join(f"{k}={'|'.join(v) if isinstance(v, tuple) else v}"
                          for k, v in vars(f).items() if v not in ((), "", None))
        how = f"daily at {sub.digest_hour}:00 {sub.timezone}" if sub.mode == "daily" else "instant"
        if sub.reminders:
            how += f", reminders {sub.reminder_days} days before deadlines"
        how += _language_and_history(sub)
        print(f"{sub.id}  {sub.channel:<7} {sub.target:<30} {how}; {wants}")
    return 0

def cmd_preview(args: argparse.Namespace) -> int:
    from alerts.match import query_for

    es = store.connect()
    sub = subscriptions.get(es, args.id)
    if sub is None:
        raise UsageError(f"no subscription {args.id!r}")
    since = (datetime.now(timezone.utc) - timedelta(days=args.days)).isoformat()
    query = query_for(sub.filters)
    query["bool"]["filter"].append({"range": {"fetched_at": {"gte": since}}})
    hits = es.search(index=store.NOTICES, query=query, size=100, source_includes=["title", "url", "stage"])
    for h in hits["hits"]["hits"]:
        print(f"{h['_source'].get('stage') or '-':<9} {h['_source']['title']}  {h['_source']['url']}")
    print(f"{hits['hits']['total']['value']} notices in the last {args.days} days", file=sys.stderr)
    return 0
