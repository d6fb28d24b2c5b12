"""Subscriptions: which channel hears about which notices, stored in regwatch-subscriptions."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elasticsearch import Elasticsearch, NotFoundError

from alerts import channels
from alerts.errors import SubscriptionError
from records.notice import KINDS, LEVELS, STAGES

INDEX = "regwatch-subscriptions"
MODES = ("instant", "daily")
LANGS = ("zh", "en", "both")
MAX_BACKFILL_DAYS = 36500  # a century: more than any publisher's archive


@dataclass(frozen=True)
class Filters:
    """What a subscription wants; empty lists mean 'any'. Default: blockchain standards."""

    sources: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ("standard",)
    stages: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    standard_numbers: tuple[str, ...] = ()
    text: str = ""
    blockchain_only: bool = True


@dataclass(frozen=True)
class Subscription:
    """Where alerts go, what they are about (filters) and how they are sent (the rest)."""

    id: str
    channel: str
    target: str
    filters: Filters = field(default_factory=Filters)
    created_at: str | None = None
    mode: str = "instant"
    digest_hour: int = 9
    timezone: str = "Asia/Shanghai"
    reminders: bool = False
    reminder_days: int = 3
    # Which language an alert shows: "zh" (the publisher's title), "en" (title_en) or "both".
    lang: str = "both"
    # Alert notices published up to this many days before regwatch first saw them (0: the
    # default window only; see the alerting policy in DESIGN.md).
    backfill_days: int = 0
    # Paused from the manage page: kept, matches nothing until resumed.
    paused: bool = False
    # standard_key values muted from an alert's "Mute this standard" button.
    muted_standards: tuple[str, ...] = ()

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Subscription:
        filters: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                   for k, v in doc.get("filters", {}).items()}
        # Documents saved before delivery options existed keep the defaults.
        options: dict[str, Any] = {k: tuple(doc[k]) if isinstance(doc[k], list) else doc[k]
                                   for k in _OPTIONS if doc.get(k) is not None}
        return cls(doc["id"], doc["channel"], doc["target"], Filters(**filters), doc.get("created_at"),
                   **options)


_OPTIONS = ("mode", "digest_hour", "timezone", "reminders", "reminder_days", "lang", "backfill_days",
            "paused", "muted_standards")


def make(channel: str, target: str, filters: Filters, *, known_sources: Iterable[str],
         now: str | None = None, mode: str = "instant", digest_hour: int = 9,
         timezone: str = "Asia/Shanghai", reminders: bool = False,
         reminder_days: int = 3, lang: str = "both", backfill_days: int = 0) -> Subscription:
    """Validate a subscription request; the id is stable for the same channel, target and filters.

    Delivery options are not part of the id: subscribing again with --daily changes how the
    same subscription is sent, and its ledger history still prevents duplicates.
    """
    channels.get(channel).check_target(target)
    _check_values("stage", filters.stages, STAGES)
    _check_values("level", filters.levels, LEVELS)
    _check_values("kind", filters.kinds, KINDS)
    _check_values("publisher", filters.sources, tuple(known_sources))
    _check_options(mode, digest_hour, timezone, reminder_days)
    _check_values("language", (lang,), LANGS)
    if not 0 <= backfill_days <= MAX_BACKFILL_DAYS:
        raise SubscriptionError(f"backfill days must be 0-{MAX_BACKFILL_DAYS}, not {backfill_days}")
    digest = hashlib.sha256(json.dumps([channel, target, asdict(filters)], sort_keys=True,
                                       ensure_ascii=False).encode()).hexdigest()[:12]
    return Subscription(f"sub-{digest}", channel, target, filters, now, mode, digest_hour, timezone,
                        reminders, reminder_days, lang=lang, backfill_days=backfill_days)


def _check_options(mode: str, digest_hour: int, timezone: str, reminder_days: int) -> None:
    _check_values("mode", (mode,), MODES)
    if not 0 <= digest_hour <= 23:
        raise SubscriptionError(f"digest hour must be 0-23, not {digest_hour}")
    if not 1 <= reminder_days <= 90:
        raise SubscriptionError(f"reminder days must be 1-90, not {reminder_days}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SubscriptionError(f"unknown time zone: {timezone!r} (e.g. Asia/Shanghai, UTC)") from None


def _check_values(what: str, values: Iterable[str], allowed: tuple[str, ...]) -> None:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise SubscriptionError(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(allowed)})")


def save(es: Elasticsearch, sub: Subscription) -> None:
    """Store a subscription (saving the same one twice keeps one)."""
    es.index(index=INDEX, id=sub.id, document=sub.to_doc(), refresh="wait_for")


def delete(es: Elasticsearch, sub_id: str) -> bool:
    """Remove a subscription; return whether it existed."""
    try:
        es.delete(index=INDEX, id=sub_id, refresh="wait_for")
    except NotFoundError:
        return False
    return True


def get(es: Elasticsearch, sub_id: str) -> Subscription | None:
    """Return one subscription, or None."""
    try:
        return Subscription.from_doc(es.get(index=INDEX, id=sub_id)["_source"])
    except NotFoundError:
        return None


def list_all(es: Elasticsearch, *, mode: str | None = None,
             reminders: bool | None = None) -> list[Subscription]:
    """Return every subscription (optionally of one mode, or wanting reminders), oldest first."""
    return list(_scan(es, _selection(mode, reminders)))


def _selection(mode: str | None, reminders: bool | None) -> dict[str, Any]:
    clauses: dict[str, list[dict[str, Any]]] = {"filter": [], "must_not": []}
    if mode == "instant":  # documents without a mode predate digests: they are instant
        clauses["must_not"].append({"terms": {"mode": [m for m in MODES if m != "instant"]}})
    elif mode is not None:
        clauses["filter"].append({"term": {"mode": mode}})
    if reminders is not None:
        clauses["filter"].append({"term": {"reminders": reminders}})
    return {"bool": clauses}


def _scan(es: Elasticsearch, query: dict[str, Any], page: int = 10000) -> Iterator[Subscription]:
    # search_after rather than one big page: there may be more than index.max_result_window.
    sort: list[dict[str, Any]] = [{"created_at": {"order": "asc", "missing": "_first"}}, {"id": "asc"}]
    after: list[Any] | None = None
    while True:
        resp = es.search(index=INDEX, size=page, query=query, sort=sort, search_after=after)
        hits = resp["hits"]["hits"]
        yield from (Subscription.from_doc(h["_source"]) for h in hits)
        if len(hits) < page:
            return
        after = hits[-1]["sort"]
