"""`regwatch doctor`: read every publisher live once and say, per publisher, whether it works.

The first command on a machine that reaches the sites. Nothing is indexed or alerted and
Elasticsearch is not needed: each publisher is fetched with the connector the pipeline uses
(the same HttpClient limits and per-host politeness, publishers of one host one after another,
detail pages for at most DETAIL_SAMPLE items), and its items normalised as they would be indexed.

Verdicts:

    ok           items parsed, with dates (and bodies where the entry reads detail pages)
    blocked      an anti-bot or access page, or HTTP 401/403/412/429 (SourceBlocked)
    changed      an answer in a shape we do not know (SourceChanged), no items, no item with
                 a date or a body the entry is configured to read, or 404/410 for the list
    stale        the newest item is older than STALE_AFTER × the publisher's cadence
    unreachable  no useful answer: network errors, timeouts, 5xx (SourceUnavailable)

A 404 or 410 for a catalogued list URL is **changed**, not unreachable: the server answered, and
what it said is that the column is not there any more. Retrying will not help; the catalogue entry
needs the column's new URL (html-list reads a 404 on a page its pager promised the same way).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Iterable, Sequence

from connectors.catalog import Source, load_catalog
from connectors.errors import ConnectorError, HttpStatusError, SourceBlocked, SourceChanged
from connectors.http import HttpClient, HttpOptions, Response
from connectors.registry import kinds
from records.items import FetchedItem
from records.notice import Notice
from regwatch import health
from regwatch.commands import UsageError, json_line, now_arg
from regwatch.pipeline import per_host, rebase_for
from transforms.normalise import SourceMeta, normalise

DETAIL_SAMPLE = 2
STALE_AFTER = 3
# A kind option that, when set, makes the connector read this field; an entry that sets none of
# a field's options (while its kind has them) does not promise that field.
FIELD_OPTIONS = {
    "date": ("date_selector", "detail_date_selector", "date_path"),
    "deadline": ("deadline_selector", "deadline_path"),
    "attachments": ("detail_attachments_selector",),
    "body": ("detail_body_selector", "body_selector", "body_path"),
}
# Fields read by kinds that have no option for them (their page or API always carries them).
KIND_FIELDS = {"rss": {"date"}, "gkmlpt": {"date", "body"}, "samr-std": {"date"}}
# An expected field no item has means the selectors or paths no longer match: the site changed.
# A deadline or an attachment is legitimately absent from a couple of notices, so only reported.
VERDICT_FIELDS = ("date", "body")
_DETAIL_FIELDS = {"body", "attachments"}


@dataclass(frozen=True)
class Row:
    """What the doctor found about one publisher (JSON-serialisable, one output row)."""

    source_id: str
    kind: str
    verdict: str
    http: str
    items: int = 0
    newest: str | None = None
    empty: tuple[str, ...] = ()
    detail: str = ""
    warnings: int = 0


class _RecordingClient(HttpClient):
    """The pipeline's HttpClient, noting each answer's status (or error class) for the report."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.answers: list[str] = []
        self.errors: list[ConnectorError] = []

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        try:
            response = super().request(method, url, **kwargs)
        except ConnectorError as exc:
            self.answers.append(str(exc.status) if isinstance(exc, HttpStatusError) else exc.category)
            self.errors.append(exc)
            raise
        self.answers.append(str(response.status))
        return response


def verdict_for(exc: ConnectorError) -> str:
    """The doctor's verdict on a publisher whose fetch raised `exc`."""
    if isinstance(exc, SourceBlocked):
        return "blocked"
    if isinstance(exc, SourceChanged) or (isinstance(exc, HttpStatusError) and exc.status in (404, 410)):
        return "changed"
    return "unreachable"


def expected_fields(source: Source) -> set[str]:
    """The fields this entry's connector is configured to read."""
    options = source.options.model_dump() if source.options is not None else {}
    fields = set(KIND_FIELDS.get(source.kind, ()))
    for name, option_names in FIELD_OPTIONS.items():
        if any(options.get(o) for o in option_names):
            fields.add(name)
    if options.get("fetch_detail") is False:
        fields -= _DETAIL_FIELDS
    return fields


def empty_fields(notices: Sequence[Notice], items: Sequence[FetchedItem],
                 expected: Iterable[str]) -> list[str]:
    """Expected fields that no notice has; detail fields judged on items whose page was read."""
    read = {i.url for i in items if not i.partial and not i.detail_failed}
    has = {
        "date": lambda n: n.published_at,
        "deadline": lambda n: n.comment_deadline,
        "attachments": lambda n: n.attachments,
        "body": lambda n: n.body,
    }
    out = []
    for name in sorted(expected):
        pool = [n for n in notices if n.url in read] if name in _DETAIL_FIELDS else notices
        if pool and not any(has[name](n) for n in pool):
            out.append(name)
    return out


def judge(source: Source, items: Sequence[FetchedItem], http: _RecordingClient,
          now: datetime) -> Row:
    """The row of a publisher whose fetch returned `items` (pure but for reading `http`'s notes)."""
    meta = SourceMeta(source.id, source.issuer, source.jurisdiction, source.zone, source.hints)
    notices = [normalise(i, meta, now) for i in items]
    published = health.dates(n.published_at for n in notices)
    row = Row(source.id, source.kind, "ok", _http(http.answers), len(items),
              max(published).isoformat() if published else None,
              tuple(empty_fields(notices, items, expected_fields(source))),
              warnings=sum(len(n.warnings) for n in notices))
    sampled = [i for i in items if not i.partial]
    if not items:
        return replace(row, verdict="changed", detail="the list parsed to no items")
    if sampled and all(i.detail_failed for i in sampled) and http.errors:
        error = http.errors[-1]
        return replace(row, verdict=verdict_for(error), detail=f"detail pages: {type(error).__name__}: {error}")
    broken = [f for f in row.empty if f in VERDICT_FIELDS]
    if broken:
        return replace(row, verdict="changed", detail=f"no item has a {' or '.join(broken)}")
    why = health.quiet(source, published, now, STALE_AFTER)
    return replace(row, verdict="stale", detail=why) if why else row


def examine(source: Source, now: datetime, base_url: str | None = None) -> Row:
    """Fetch one publisher live (or from `base_url`, a replay server) and judge it."""
    options = HttpOptions(allow_private=source.allow_private)
    with _RecordingClient(options, rebase=rebase_for(source, base_url)) as http:
        try:
            # Every item past the first few counts as known: only their list entry is read.
            items = kinds()[source.kind].fetch(source, http, lambda urls: set(urls[DETAIL_SAMPLE:]))
        except ConnectorError as exc:
            return Row(source.id, source.kind, verdict_for(exc), _http(http.answers),
                       detail=f"{type(exc).__name__}: {exc}")
        return judge(source, items, http, now)


def diagnose(sources: Sequence[Source], now: datetime, base_url: str | None = None,
             workers: int = 8) -> list[Row]:
    """Examine publishers, hosts side by side but one publisher of a host at a time, in order."""
    return per_host(sources, lambda s: examine(s, now, base_url), workers)


def _http(answers: Sequence[str]) -> str:
    """'200×3 404' — each answer (status or error class) with how often it came, in order."""
    counts = Counter(answers)
    return " ".join(a if counts[a] == 1 else f"{a}×{counts[a]}" for a in dict.fromkeys(answers)) or "-"


def _chosen(args: argparse.Namespace) -> list[Source]:
    enabled = [s for s in load_catalog(args.catalog) if s.enabled]
    if not args.source:
        return enabled
    by_id = {s.id: s for s in enabled}
    unknown = [i for i in args.source if i not in by_id]
    if unknown:
        raise UsageError(f"unknown or disabled source {', '.join(unknown)} (see `regwatch sources`)")
    return [by_id[i] for i in dict.fromkeys(args.source)]


def cmd_doctor(args: argparse.Namespace) -> int:
    sources, now = _chosen(args), now_arg(args.now)
    rows = diagnose(sources, now, args.base_url)
    if args.json:
        for row in rows:
            json_line(asdict(row))
    else:
        print(f"{'publisher':<22} {'verdict':<11} {'http':<18} {'items':>5}  {'newest':<10}  "
              f"{'empty':<16} detail")
        for r in rows:
            print(f"{r.source_id:<22} {r.verdict:<11} {r.http:<18} {r.items:>5}  "
                  f"{(r.newest or '-')[:10]:<10}  {','.join(r.empty) or '-':<16} {r.detail}")
    verdicts = Counter(r.verdict for r in rows)
    print(f"regwatch doctor: {len(rows)} publishers: "
          + ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())), file=sys.stderr)
    return 0 if set(verdicts) <= {"ok"} else 1
