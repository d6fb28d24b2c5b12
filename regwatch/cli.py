"""The `regwatch` command: a thin composition root over connectors, transforms and alerts."""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

from elasticsearch import ApiError, TransportError

from alerts import subscriptions
from alerts.errors import DeliveryError, SubscriptionError
from connectors import store
from connectors.catalog import CatalogError, Source, load_catalog, parse_entry
from connectors.errors import ConnectorError
from connectors.http import HttpClient, HttpOptions
from connectors.registry import kinds
from infra import local_es
from regwatch.pipeline import CycleSummary, run_cycle
from transforms.normalise import SourceMeta, normalise


class UsageError(Exception):
    """Bad input from the user; printed as one line."""


def _json_line(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, default=str))


# --- classify -------------------------------------------------------------------------------

def cmd_classify(args: argparse.Namespace) -> int:
    from transforms.understand import understand

    rows = []
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("title"), str):
            raise UsageError(f"line {number}: expected an object with a string 'title'")
        rows.append({k: row.get(k) for k in ("title", "summary", "url", "source")})
    out = [json.dumps(understand(title=r["title"], summary=r["summary"] or "", url=r["url"],
                                 source=r["source"]), ensure_ascii=False) for r in rows]
    sys.stdout.write("".join(line + "\n" for line in out))
    return 0


# --- fetch / sources --------------------------------------------------------------------------

def _source(args: argparse.Namespace) -> Source:
    if args.url:
        return parse_entry({"id": "adhoc-feed", "kind": "rss", "url": args.url,
                            "allow_private": args.allow_private}, 1)
    found = {s.id: s for s in load_catalog(args.catalog)}
    if args.source not in found:
        raise UsageError(f"unknown source {args.source!r} (see `regwatch sources`)")
    return found[args.source]


def cmd_fetch(args: argparse.Namespace) -> int:
    source = _source(args)
    rebase = {source.origin: args.base_url} if args.base_url else {}
    now = datetime.now(timezone.utc)
    with HttpClient(HttpOptions(allow_private=source.allow_private), rebase=rebase) as http:
        items = kinds()[source.kind].fetch(source, http, lambda urls: set())
    meta = SourceMeta(source.id, source.issuer, source.jurisdiction, source.zone, source.hints)
    for item in items:
        _json_line(normalise(item, meta, now).to_doc())
    print(f"{len(items)} notices from {source.id}", file=sys.stderr)
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from regwatch.health import assess

    catalog = load_catalog(args.catalog)
    try:
        docs = store.source_health(store.connect())
    except (ApiError, TransportError):
        docs = {}
    now = datetime.now(timezone.utc)
    wanted = set(args.status.split(",")) if args.status else None
    rows = []
    for s in catalog:
        state = assess(s, docs.get(s.id), now) if s.enabled else None
        if wanted is None or (state and state.state in wanted):
            rows.append({"id": s.id, "kind": s.kind, "enabled": s.enabled, "name": s.name,
                         "jurisdiction": s.jurisdiction, "url": s.url, "schedule": s.schedule,
                         "state": state.state if state else "disabled", "health": docs.get(s.id)})
    for row in rows:
        h = row["health"] or {}
        if args.json:
            _json_line(row)
            continue
        print(f"{row['id']:<20} {row['kind']:<10} {row['state']:<11} "
              f"last ok {str(h.get('last_success') or '-')[:16]:<16} "
              f"{h.get('items_seen', '-')!s:>4} items  {h.get('last_error') or ''}")
    return 0


# --- run --------------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> int:
    if not args.once:
        raise UsageError("only `regwatch run --once` runs here; scheduled runs belong to Airflow")
    es = store.connect()
    summary = run_cycle(es, load_catalog(args.catalog), replay=args.replay)
    _print_summary(summary)
    failed = [p for p in summary.polls if p.error]
    return 1 if failed or summary.delivery.failed else 0


def _print_summary(summary: CycleSummary) -> None:
    polls, d = summary.polls, summary.delivery
    ok = sum(1 for p in polls if not p.error)
    print(f"regwatch run: {len(polls)} publishers polled ({ok} ok, {len(polls) - ok} failed); "
          f"{sum(p.seen for p in polls)} notices seen, {sum(len(p.created) for p in polls)} new, "
          f"{len(summary.alertable)} to alert; alerts: {len(d.sent)} delivered, "
          f"{len(d.skipped)} already sent, {len(d.failed)} failed")
    for p in polls:
        detail = p.error or f"{p.seen} seen, {len(p.created)} new, {p.updated} updated"
        print(f"  {p.source_id:<22} {p.status:<12} {detail}")
    for sub_id, notice_id, error in d.failed:
        print(f"  delivery failed: {sub_id} {notice_id}: {error}")


# --- search / subscriptions -----------------------------------------------------------------------

def _filters_from(args: argparse.Namespace) -> dict[str, Any]:
    filters: dict[str, Any] = {"source_id": args.source, "stage": args.stage, "level": args.level,
                               "kind": args.kind, "standard_numbers": args.number,
                               "jurisdiction": args.jurisdiction}
    if getattr(args, "blockchain", False):
        filters["blockchain"] = True
    for name, flag in (("published_after", "since"), ("published_before", "until"),
                       ("deadline_after", "deadline_after"), ("deadline_before", "deadline_before")):
        if getattr(args, flag, None):
            filters[name] = getattr(args, flag)
    if getattr(args, "open_deadline", False):
        filters["deadline_open"] = True
    return filters


def _search_spec(args: argparse.Namespace) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
    """Filters and sort: a --preset (a Kibana saved search) first, explicit flags on top."""
    from infra.kibana.searches import presets

    given = {k: v for k, v in _filters_from(args).items() if v is not None}
    if not args.preset:
        return given, ()
    preset = presets()[args.preset]
    return {**preset.filters, **given}, preset.sort


def cmd_search(args: argparse.Namespace) -> int:
    filters, sort = _search_spec(args)
    hits = store.search_notices(store.connect(), " ".join(args.text), filters=filters,
                                size=args.size, sort=sort)
    for hit in hits:
        if args.json:
            _json_line(hit)
        else:
            numbers = f" [{', '.join(hit['standard_numbers'])}]" if hit.get("standard_numbers") else ""
            print(f"{(hit.get('published_at') or '')[:10]:<10} {hit.get('stage') or '-':<9} "
                  f"{hit['source_id']:<14} {hit['title']}{numbers}\n{'':<11}{hit['url']}")
    print(f"{len(hits)} notices", file=sys.stderr)
    return 0


def _preset_names() -> list[str]:
    from infra.kibana.searches import presets

    return sorted(presets())


# --- init / kibana ----------------------------------------------------------------------------

def cmd_init(args: argparse.Namespace) -> int:
    analyzer = store.ensure_indices(store.connect())
    print(f"indices ready: {', '.join(f'{a} -> {i}' for a, i in store.INDICES.items())}; "
          f"Chinese subfields: {analyzer or 'none (standard analyzer only)'}")
    return 0


def cmd_kibana(args: argparse.Namespace) -> int:
    from infra.kibana.client import KibanaError, import_objects

    if not args.url:
        raise UsageError("give Kibana's address with --url or $KIBANA_URL")
    try:
        count = import_objects(args.url, space=args.space)
    except KibanaError as exc:
        print(f"regwatch kibana: error: {exc}", file=sys.stderr)
        return 2
    print(f"imported {count} saved objects into {args.url}"
          + (f" (space {args.space})" if args.space else ""))
    return 0


def cmd_subscribe(args: argparse.Namespace) -> int:
    channel, target = next((c, t) for c, t in (("slack", args.slack), ("email", args.email),
                                               ("console", "console" if args.console else None)) if t)
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
                             reminder_days=3 if args.reminder_days is None else args.reminder_days)
    es = store.connect()
    store.ensure_indices(es)
    subscriptions.save(es, sub)
    how = f"daily at {sub.digest_hour:02d}:00 {sub.timezone}" if sub.mode == "daily" else "instant"
    extra = f", reminders {sub.reminder_days} days before comment deadlines" if sub.reminders else ""
    print(f"subscribed {sub.id}: {channel} {target} ({how}{extra})")
    return 0


def _now_arg(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--now: not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def cmd_digest(args: argparse.Namespace) -> int:
    from alerts.digest import send_digests

    es = store.connect()
    store.ensure_indices(es)
    return _report("digest", send_digests(es, _now_arg(args.now)))


def cmd_remind(args: argparse.Namespace) -> int:
    from alerts.reminders import send_reminders

    es = store.connect()
    store.ensure_indices(es)
    return _report("remind", send_reminders(es, _now_arg(args.now)))


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


# --- local services -------------------------------------------------------------------------------

def cmd_es(args: argparse.Namespace) -> int:
    node = local_es.Node(port=int(os.environ.get("REGWATCH_ES_PORT", "9200")))
    if args.action == "start":
        local_es.start(node)
        print(f"Elasticsearch {local_es.ES_VERSION} running at {node.url} (data in {node.dir})")
    elif args.action == "stop":
        print("stopped" if local_es.stop(node) else "not running")
    else:
        state = local_es.status(node)
        print(f"{state} ({node.url})")
        return 0 if state == "running" else 3
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from regwatch.replay import DEFAULT_ROOT, ReplayServer

    server = ReplayServer(args.root or DEFAULT_ROOT, args.port)
    print(f"replaying {len(server.routes)} recorded pages at {server.base}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def cmd_mailbox(args: argparse.Namespace) -> int:
    import time

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    os.makedirs(os.path.dirname(os.path.abspath(args.path)), exist_ok=True)
    controller = Controller(Mailbox(args.path), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"local mailbox: SMTP on 127.0.0.1:{args.port}, messages in {args.path}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()
    return 0


# --- parser -------------------------------------------------------------------------------------

def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", action="append", help="publisher id (repeatable)")
    p.add_argument("--stage", action="append", help="plan, draft, published, effective, withdrawn")
    p.add_argument("--level", action="append", help="international, national, industry, local, group")
    p.add_argument("--kind", action="append", help="standard, policy, other")
    p.add_argument("--number", action="append", help="standard number, e.g. 'GB/T 42752-2023'")
    p.add_argument("--jurisdiction", action="append", help="e.g. CN, CN-GD-SZ, US")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="regwatch", description=__doc__)
    parser.add_argument("--catalog", default=None, help="sources file (default $REGWATCH_CATALOG "
                                                        "or connectors/sources.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("classify", help="JSON lines in, understanding out").set_defaults(fn=cmd_classify)
    p = sub.add_parser("fetch", help="fetch one publisher or feed and print its notices")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--source")
    group.add_argument("--url")
    p.add_argument("--base-url", help="fetch from this stand-in host instead of the publisher")
    p.add_argument("--allow-private", action="store_true",
                   help="allow a --url on a loopback or private address")
    p.set_defaults(fn=cmd_fetch)
    p = sub.add_parser("sources", help="the catalogue with each source's health")
    p.add_argument("--json", action="store_true")
    p.add_argument("--status", help="only these states, e.g. blocked,changed,stale,unavailable")
    p.set_defaults(fn=cmd_sources)
    p = sub.add_parser("run", help="one full cycle: fetch, normalise, index, alert")
    p.add_argument("--once", action="store_true", required=True)
    p.add_argument("--replay", metavar="URL", help="read publishers from a replay server")
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("search", help="search indexed notices")
    p.add_argument("text", nargs="*")
    _add_filters(p)
    p.add_argument("--blockchain", action="store_true", help="only blockchain-relevant notices")
    p.add_argument("--since", help="published on or after (YYYY-MM-DD or date math: now-30d)")
    p.add_argument("--until", help="published before (YYYY-MM-DD or date math)")
    p.add_argument("--deadline-after", help="comment deadline on or after (YYYY-MM-DD, now/d…)")
    p.add_argument("--deadline-before", help="comment deadline before (YYYY-MM-DD, now+7d…)")
    p.add_argument("--open-deadline", action="store_true",
                   help="comment deadline today or later, or not stated")
    p.add_argument("--preset", choices=_preset_names(),
                   help="run a Kibana saved search (see infra/kibana/README.md); flags add to it")
    p.add_argument("--size", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_search)
    p = sub.add_parser("init", help="install index templates and create the indices")
    p.set_defaults(fn=cmd_init)
    p = sub.add_parser("kibana", help="Kibana saved objects (infra/kibana/regwatch.ndjson)")
    p.add_argument("action", choices=("import",))
    p.add_argument("--url", default=os.environ.get("KIBANA_URL"),
                   help="Kibana's base URL (default $KIBANA_URL), e.g. http://127.0.0.1:5601")
    p.add_argument("--space", help="Kibana space id (default: the default space)")
    p.set_defaults(fn=cmd_kibana)
    p = sub.add_parser("subscribe", help="subscribe a channel to alerts")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--slack", metavar="CHANNEL")
    target.add_argument("--email", metavar="ADDRESS")
    target.add_argument("--console", action="store_true")
    _add_filters(p)
    p.add_argument("--text", help="free text the notice must match")
    p.add_argument("--all-topics", action="store_true", help="not only blockchain notices")
    p.add_argument("--daily", action="store_true", help="one digest a day instead of instant alerts")
    p.add_argument("--digest-hour", type=int, metavar="H", help="local hour of the digest (default 9)")
    p.add_argument("--timezone", metavar="TZ", help="zone of the digest hour (default Asia/Shanghai)")
    p.add_argument("--reminders", action="store_true", help="remind before comment deadlines")
    p.add_argument("--reminder-days", type=int, metavar="N", help="days before the deadline (default 3)")
    p.set_defaults(fn=cmd_subscribe)
    p = sub.add_parser("digest", help="send the daily digests that are due")
    p.add_argument("--now", metavar="ISO", help="act as if it were this time (default: now)")
    p.set_defaults(fn=cmd_digest)
    p = sub.add_parser("remind", help="send comment-deadline reminders that are due")
    p.add_argument("--now", metavar="ISO", help="act as if it were this time (default: now)")
    p.set_defaults(fn=cmd_remind)
    p = sub.add_parser("unsubscribe")
    p.add_argument("id")
    p.set_defaults(fn=cmd_unsubscribe)
    sub.add_parser("subscriptions").set_defaults(fn=cmd_subscriptions)
    p = sub.add_parser("preview", help="what a subscription would have matched")
    p.add_argument("id")
    p.add_argument("--days", type=int, default=30)
    p.set_defaults(fn=cmd_preview)
    p = sub.add_parser("es", help="the local Elasticsearch node")
    p.add_argument("action", choices=("start", "stop", "status"))
    p.set_defaults(fn=cmd_es)
    p = sub.add_parser("replay", help="serve recorded publisher fixtures on loopback")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--root")
    p.set_defaults(fn=cmd_replay)
    p = sub.add_parser("mailbox", help="a local SMTP server writing to a Maildir")
    p.add_argument("--port", type=int, default=8025)
    p.add_argument("--path", default=".data/mailbox")
    p.set_defaults(fn=cmd_mailbox)
    return parser


_ERRORS: tuple[type[BaseException], ...] = (
    UsageError, CatalogError, SubscriptionError, ConnectorError, DeliveryError,
    store.StoreError, local_es.LocalEsError)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    fn: Callable[[argparse.Namespace], int] = args.fn
    try:
        return fn(args)
    except _ERRORS as exc:
        print(f"regwatch {args.command}: error: {exc}", file=sys.stderr)
    except (ApiError, TransportError) as exc:
        hint = "" if isinstance(exc, ApiError) else " (is it running? `regwatch es start`)"
        print(f"regwatch {args.command}: error: {store.describe(exc)}{hint}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
