"""The `regwatch` command: a thin composition root over connectors, transforms and alerts."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Sequence

from elasticsearch import ApiError, TransportError

from alerts import channels
from alerts.errors import DeliveryError, SubscriptionError
from connectors import store
from connectors.catalog import CatalogError
from connectors.errors import ConnectorError
from infra import local_es
from records.settings import DEFAULTS, SettingError
from regwatch.commands import UsageError
from regwatch.commands.alerting import (
    cmd_digest,
    cmd_preview,
    cmd_remind,
    cmd_subscribe,
    cmd_subscriptions,
    cmd_unsubscribe,
)
from regwatch.commands.doctor import cmd_doctor
from regwatch.commands.notices import (
    cmd_classify,
    cmd_fetch,
    cmd_reprocess,
    cmd_run,
    cmd_search,
    cmd_sources,
    preset_names,
)
from regwatch.commands.services import cmd_es, cmd_init, cmd_kibana, cmd_mailbox, cmd_replay, cmd_serve

# --- parser -------------------------------------------------------------------------------------

def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", action="append", help="publisher id (repeatable)")
    p.add_argument("--stage", action="append", help="plan, draft, published, effective, withdrawn")
    p.add_argument("--level", action="append", help="international, national, industry, local, group")
    p.add_argument("--kind", action="append", help="standard, policy, other")
    p.add_argument("--number", action="append", help="standard number, e.g. 'GB/T 42752-2023'")
    p.add_argument("--jurisdiction", action="append", help="e.g. CN, CN-GD-SZ, US")


_CATALOG_HELP = "sources file (default $REGWATCH_CATALOG or connectors/sources.yaml)"


def _add_catalog(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: given after the subcommand it wins; not given, it leaves the top-level value be.
    p.add_argument("--catalog", default=argparse.SUPPRESS, help=_CATALOG_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="regwatch", description=__doc__)
    parser.add_argument("--catalog", default=None, help=_CATALOG_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("classify", help="JSON lines in, understanding out")
    _add_catalog(p)  # a line naming a publisher takes its facts (hints) from the catalogue
    p.add_argument("--no-gloss", action="store_true",
                   help="leave out title_en (the offline English gloss loads two dictionaries)")
    p.set_defaults(fn=cmd_classify)
    p = sub.add_parser("fetch", help="fetch one publisher or feed and print its notices")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--source")
    group.add_argument("--url")
    p.add_argument("--base-url", help="fetch from this stand-in host instead of the publisher")
    p.add_argument("--allow-private", action="store_true",
                   help="allow a --url on a loopback or private address")
    _add_catalog(p)
    p.set_defaults(fn=cmd_fetch)
    p = sub.add_parser("sources", help="the catalogue with each source's health")
    p.add_argument("--json", action="store_true")
    p.add_argument("--status", help="only these states, e.g. blocked,changed,stale,unavailable")
    _add_catalog(p)
    p.set_defaults(fn=cmd_sources)
    p = sub.add_parser("doctor", help="fetch each publisher live once and say whether it works")
    p.add_argument("--source", action="append", help="publisher id (repeatable; default: every enabled one)")
    p.add_argument("--base-url", metavar="URL",
                   help="read every publisher from this replay server (its <id>/ folders) instead")
    p.add_argument("--json", action="store_true", help="one JSON object per publisher")
    p.add_argument("--now", metavar="ISO", help="judge staleness as if it were this time (default: now)")
    _add_catalog(p)
    p.set_defaults(fn=cmd_doctor)
    p = sub.add_parser("run", help="one full cycle: fetch, normalise, index, alert")
    p.add_argument("--once", action="store_true", required=True)
    p.add_argument("--replay", metavar="URL",
                   help="read publishers from a replay server (default $REGWATCH_REPLAY)")
    _add_catalog(p)
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("reprocess", help="re-derive indexed notices with this version's transforms "
                                         "(no refetch, no alerts)")
    p.add_argument("--source", action="append", help="publisher id (repeatable; default: all)")
    p.add_argument("--dry-run", action="store_true", help="count and show changes, write nothing")
    _add_catalog(p)
    p.set_defaults(fn=cmd_reprocess)
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
    p.add_argument("--preset", choices=preset_names(),
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
    for channel in channels.available().values():
        channel.add_arguments(target)
    _add_filters(p)
    p.add_argument("--text", help="free text the notice must match")
    p.add_argument("--all-topics", action="store_true", help="not only blockchain notices")
    p.add_argument("--daily", action="store_true", help="one digest a day instead of instant alerts")
    p.add_argument("--digest-hour", type=int, metavar="H", help="local hour of the digest (default 9)")
    p.add_argument("--timezone", metavar="TZ", help="zone of the digest hour (default Asia/Shanghai)")
    p.add_argument("--reminders", action="store_true", help="remind before comment deadlines")
    p.add_argument("--reminder-days", type=int, metavar="N", help="days before the deadline (default 3)")
    p.add_argument("--lang", metavar="zh|en|both", default="both",
                   help="titles in Chinese, English (title_en) or both (default both)")
    p.add_argument("--backfill", type=int, metavar="DAYS", default=0,
                   help="also alert notices published up to DAYS before regwatch first saw them "
                        "(default: REGWATCH_BACKFILL_DAYS, 14)")
    _add_catalog(p)
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
    p.add_argument("--port", type=int, default=int(DEFAULTS["REGWATCH_REPLAY_PORT"]))
    p.add_argument("--root", help="the fixture folder (default: tests/fixtures of this checkout)")
    p.set_defaults(fn=cmd_replay)
    p = sub.add_parser("serve", help="the subscriber web app: Slack's /regwatch and buttons, e-mail links")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=int(DEFAULTS["REGWATCH_WEB_PORT"]))
    p.add_argument("--socket-mode", action="store_true",
                   help="no listening port: receive Slack's requests over Socket Mode ($SLACK_APP_TOKEN)")
    p.set_defaults(fn=cmd_serve)
    p = sub.add_parser("mailbox", help="a local SMTP server writing to a Maildir")
    p.add_argument("--port", type=int, default=int(DEFAULTS["REGWATCH_MAILBOX_PORT"]))
    p.add_argument("--path", default=".data/mailbox")
    p.set_defaults(fn=cmd_mailbox)
    return parser


_ERRORS: tuple[type[BaseException], ...] = (
    UsageError, CatalogError, SubscriptionError, ConnectorError, DeliveryError,
    store.StoreError, local_es.LocalEsError, SettingError)


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
