"""The saved searches, as data: Kibana gets each as KQL, `regwatch search --preset` as filters.

Filters use the store's vocabulary (`connectors.store.search_notices`): a field name with a
value or a list of values, `published_after`/`published_before`, `deadline_after`/
`deadline_before` (dates or date math) and `deadline_open`. Because both sides are generated
from the same dict, a saved search and its `regwatch search` equivalent cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NOTICES, SOURCES = "regwatch-notices", "regwatch-sources"


@dataclass(frozen=True)
class SavedSearch:
    """One Discover session: which index, which filters, which columns in which order."""

    id: str
    title: str
    description: str
    index: str
    filters: dict[str, Any]
    columns: tuple[str, ...]
    sort: tuple[tuple[str, str], ...]
    preset: str | None = None

    @property
    def time_from(self) -> str | None:
        """The stored time range start: Discover bounds a time-based data view by it."""
        return self.filters.get("published_after") if self.index == NOTICES else None


SEARCHES: tuple[SavedSearch, ...] = (
    SavedSearch(
        id="regwatch-open-blockchain-drafts",
        title="Open blockchain drafts and their comment deadlines",
        description="Blockchain drafts for comment or approval whose comment deadline is today or "
                    "later (or not stated), published in the last year; soonest deadline first.",
        index=NOTICES,
        filters={"blockchain": True, "stage": ["draft"], "deadline_open": True,
                 "published_after": "now-1y"},
        columns=("comment_deadline", "title", "title_en", "issuer", "standard_numbers", "url"),
        sort=(("comment_deadline", "asc"),),
        preset="open-drafts"),
    SavedSearch(
        id="regwatch-new-blockchain-standards",
        title="New blockchain standards (last 30 days)",
        description="Blockchain standards published in the last 30 days; newest first.",
        index=NOTICES,
        filters={"blockchain": True, "kind": ["standard"], "stage": ["published"],
                 "published_after": "now-30d"},
        columns=("published_at", "title", "title_en", "issuer", "level", "standard_numbers", "url"),
        sort=(("published_at", "desc"),),
        preset="new-standards"),
    SavedSearch(
        id="regwatch-broken-publishers",
        title="Publishers that are blocked or changed",
        description="Publishers whose last poll met an anti-bot page (blocked) or an answer in a "
                    "shape we do not know (changed): their connector or catalogue entry needs work.",
        index=SOURCES,
        filters={"status": ["blocked", "changed"]},
        columns=("source_id", "status", "last_error", "last_attempt", "last_success"),
        sort=(("last_attempt", "desc"),)),
)


def presets() -> dict[str, SavedSearch]:
    """Return the saved searches `regwatch search --preset NAME` can run, by name."""
    return {s.preset: s for s in SEARCHES if s.preset}


def kql(filters: dict[str, Any]) -> str:
    """Render store filters as the KQL query Kibana runs for them."""
    parts = [_kql_clause(name, value) for name, value in filters.items()
             if value is not None and value != []]
    return " and ".join(p for p in parts if p)


_RANGES = {"published_after": ("published_at", ">="), "published_before": ("published_at", "<"),
           "deadline_after": ("comment_deadline", ">="),
           "deadline_before": ("comment_deadline", "<")}


def _kql_clause(name: str, value: Any) -> str:
    if name in _RANGES:
        target, op = _RANGES[name]
        return f"{target} {op} {_quote(value)}"
    if name == "deadline_open":
        return '(comment_deadline >= "now/d" or not comment_deadline : *)' if value else ""
    if isinstance(value, (list, tuple, set)):
        values = [_quote(v) for v in value]
        return f"{name} : {values[0]}" if len(values) == 1 else f"{name} : ({' or '.join(values)})"
    return f"{name} : {_quote(value)}"


def _quote(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
