"""Commands about notices: classify, fetch, sources, run, reprocess, search."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from typing import Any

from elasticsearch import NotFoundError

from connectors import store
from connectors.catalog import Source, load_catalog, parse_entry
from connectors.http import HttpClient, HttpOptions
from connectors.registry import kinds
from records.settings import replay_url
from regwatch.commands import UsageError, json_line
from regwatch.pipeline import CycleSummary, run_cycle
from transforms.normalise import SourceMeta, normalise

# --- reprocess ------------------------------------------------------------------------------

def cmd_reprocess(args: argparse.Namespace) -> int:
    from regwatch.reprocess import reprocess

    catalog = load_catalog(args.catalog)
    unknown = sorted(set(args.source or ()) - {s.id for s in catalog})
    if unknown:
        raise UsageError(f"unknown source {unknown[0]!r} (see `regwatch sources`)")
    es = store.connect()
    store.ensure_indices(es)  # an upgrade's new fields are mapped before they are written
    report = reprocess(es, catalog, only=args.source or (), dry_run=args.dry_run)
    for change in report.examples if args.dry_run else ():
        print(f"{change.id}: " + "; ".join(f"{k}: {_short(change.before.get(k))} -> {_short(v)}"
                                           for k, v in change.after.items()))
    print(report.line(dry_run=args.dry_run))
    return 0


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


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
        if not isinstance(row.get("source") or "", str):
            raise UsageError(f"line {number}: 'source' must be a string (a catalogue id)")
        rows.append({k: row.get(k) for k in ("title", "summary", "url", "source")})
    hints = _publisher_hints(args, {r["source"] for r in rows if r["source"]})
    out = [json.dumps(understand(title=r["title"], summary=r["summary"] or "", url=r["url"],
                                 hints=hints.get(r["source"]), english=not args.no_gloss),
                      ensure_ascii=False) for r in rows]
    sys.stdout.write("".join(line + "\n" for line in out))
    return 0


def _publisher_hints(args: argparse.Namespace, named: set[str]) -> dict[str, dict[str, str]]:
    # The catalogue is read only when a line names a publisher; an id it lacks has no facts.
    if not named:
        return {}
    return {s.id: s.hints for s in load_catalog(args.catalog) if s.id in named}


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
        json_line(normalise(item, meta, now).to_doc())
    print(f"{len(items)} notices from {source.id}", file=sys.stderr)
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from regwatch import health

    catalog = load_catalog(args.catalog)
    docs, history = _health_records(store.connect())
    now = datetime.now(timezone.utc)
    wanted = set(args.status.split(",")) if args.status else None
    rows = []
    for s in catalog:
        state = health.assess(s, docs.get(s.id), now, published=history.get(s.id, ())) if s.enabled else None
        if wanted is None or (state and state.state in wanted):
            rows.append({"id": s.id, "kind": s.kind, "enabled": s.enabled, "name": s.name,
                         "jurisdiction": s.jurisdiction, "url": s.url, "schedule": s.schedule,
                         "expect_every": s.expect_every,
                         "state": state.state if state else "disabled",
                         "reason": state.reason if state else "",
                         "detail": state.detail if state else "", "health": docs.get(s.id)})
    for row in rows:
        h = row["health"] or {}
        if args.json:
            json_line(row)
            continue
        state = f"{row['state']} ({row['reason']})" if row["reason"] else row["state"]
        # A stale publisher's detail says why (and since when); otherwise the last error does.
        note = row["detail"] if row["state"] == "stale" else h.get("last_error") or ""
        print(f"{row['id']:<20} {row['kind']:<10} {state:<18} "
              f"last ok {str(h.get('last_success') or '-')[:16]:<16} "
              f"{h.get('items_seen', '-')!s:>4} items  {note}")
    return 0


def _health_records(es: Any) -> tuple[dict[str, dict[str, Any]], dict[str, list[datetime]]]:
    """Each source's health document and its notices' published dates (none yet: empty)."""
    from regwatch.health import dates

    try:
        docs = store.source_health(es)
    except NotFoundError:  # no regwatch-sources index yet: nothing was ever polled into this store
        return {}, {}
    try:
        history = {sid: dates(v) for sid, v in store.published_history(es).items()}
    except NotFoundError:
        history = {}
    return docs, history


# --- run --------------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> int:
    if not args.once:
        raise UsageError("only `regwatch run --once` runs here; scheduled runs belong to Airflow")
    es = store.connect()
    summary = run_cycle(es, load_catalog(args.catalog), replay=replay_url(args.replay))
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


def search_spec(args: argparse.Namespace) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
    """Filters and sort: a --preset (a Kibana saved search) first, explicit flags on top."""
    from infra.kibana.searches import presets

    given = {k: v for k, v in _filters_from(args).items() if v is not None}
    if not args.preset:
        return given, ()
    preset = presets()[args.preset]
    return {**preset.filters, **given}, preset.sort


def cmd_search(args: argparse.Namespace) -> int:
    from transforms.gloss import translations

    filters, sort = search_spec(args)
    text = " ".join(args.text)
    # Across the two languages: a glossary term also matches as its translation (智能合约 ↔ smart contract).
    hits = store.search_notices(store.connect(), text, filters=filters, size=args.size, sort=sort,
                                translations=translations(text))
    for hit in hits:
        if args.json:
            json_line(hit)
        else:
            numbers = f" [{', '.join(hit['standard_numbers'])}]" if hit.get("standard_numbers") else ""
            print(f"{(hit.get('published_at') or '')[:10]:<10} {hit.get('stage') or '-':<9} "
                  f"{hit['source_id']:<14} {hit['title']}{numbers}\n{'':<11}{hit['url']}")
    print(f"{len(hits)} notices", file=sys.stderr)
    return 0


def preset_names() -> list[str]:
    """The names of the Kibana saved searches `regwatch search --preset` can run."""
    from infra.kibana.searches import presets

    return sorted(presets())
