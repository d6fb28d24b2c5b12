"""Subscriptions: which channel hears about which notices, stored in regwatch-subscriptions."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from elasticsearch import Elasticsearch, NotFoundError

from alerts.errors import SubscriptionError

INDEX = "regwatch-subscriptions"
KINDS = ("standard", "policy", "other")
STAGES = ("plan", "draft", "published", "effective", "withdrawn")
LEVELS = ("international", "national", "industry", "local", "group")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")
_SLACK = re.compile(r"^(#[a-z0-9][a-z0-9_-]{0,79}|[CGD][A-Z0-9]{8,})$")


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
    id: str
    channel: str
    target: str
    filters: Filters = field(default_factory=Filters)
    created_at: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Subscription:
        filters = {k: tuple(v) if isinstance(v, list) else v for k, v in doc.get("filters", {}).items()}
        return cls(doc["id"], doc["channel"], doc["target"], Filters(**filters), doc.get("created_at"))


def make(channel: str, target: str, filters: Filters, *, known_sources: Iterable[str],
         now: str | None = None) -> Subscription:
    """Validate a subscription request; the id is stable for the same channel, target and filters."""
    _check_target(channel, target)
    _check_values("stage", filters.stages, STAGES)
    _check_values("level", filters.levels, LEVELS)
    _check_values("kind", filters.kinds, KINDS)
    _check_values("publisher", filters.sources, tuple(known_sources))
    digest = hashlib.sha256(json.dumps([channel, target, asdict(filters)], sort_keys=True,
                                       ensure_ascii=False).encode()).hexdigest()[:12]
    return Subscription(f"sub-{digest}", channel, target, filters, now)


def _check_target(channel: str, target: str) -> None:
    if channel == "email" and not _EMAIL.match(target):
        raise SubscriptionError(f"invalid email address: {target!r}")
    if channel == "slack" and not _SLACK.match(target):
        raise SubscriptionError(f"invalid Slack channel: {target!r} (use #name or a channel id)")
    if channel not in ("email", "slack", "console"):
        raise SubscriptionError(f"unknown channel kind: {channel!r}")


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


def list_all(es: Elasticsearch) -> list[Subscription]:
    """Return every subscription, oldest first."""
    resp = es.search(index=INDEX, size=10000, sort=[{"created_at": {"order": "asc", "missing": "_first"}}])
    return [Subscription.from_doc(h["_source"]) for h in resp["hits"]["hits"]]
