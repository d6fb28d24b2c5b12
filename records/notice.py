"""The Notice: one Elasticsearch document, the contract other parts and users rely on."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# The Notice vocabularies of DESIGN.md, in lifecycle order where there is one.
KINDS = ("standard", "policy", "other")
STAGES = ("plan", "draft", "published", "effective", "withdrawn")
LEVELS = ("international", "national", "industry", "local", "group")


@dataclass(frozen=True)
class Notice:
    """A normalised notice; `id` is its Elasticsearch `_id`."""

    id: str
    source_id: str
    issuer: str | None
    jurisdiction: str
    url: str
    title: str
    summary: str
    body: str
    lang: str
    published_at: str | None
    fetched_at: str
    blockchain: bool
    kind: str
    stage: str | None
    level: str | None
    standard_numbers: list[str]
    standard_key: str | None
    comment_deadline: str | None
    attachments: list[dict[str, str | None]]  # {url, name, type, format}: transforms/attachments.py
    content_hash: str
    warnings: list[str] = field(default_factory=list)
    # Its detail page failed (body, attachments and a body-derived deadline are missing);
    # later polls fetch it again until it is read or given up on (connectors/store.py).
    detail_pending: bool = False
    # English: the publisher's own English title where it has one, else an offline gloss
    # (title_en_origin says which: "publisher" or "gloss"); an English notice's own title.
    title_en: str = ""
    title_en_origin: str = ""
    # The glossary's terms in the title with their translations (both languages), so that a
    # search in either language finds it, in Kibana too (transforms/gloss.bilingual_terms).
    glossary_terms: list[str] = field(default_factory=list)
    # What an analyst acts on, read from the body: where comments go ({emails, postal_address,
    # contact, phones, form_url}; None when the notice names nowhere), the committees
    # responsible (TC590, SAC/TC 28) and plan numbers (计划号 20210929-T-469: never standard numbers).
    comments_to: dict[str, Any] | None = None
    committees: list[str] = field(default_factory=list)
    plan_numbers: list[str] = field(default_factory=list)
    # When regwatch first indexed it (set and kept across updates by connectors/store.py, which
    # rewrites fetched_at on every change): the alerting policy's "first seen".
    first_seen_at: str | None = None

    def to_doc(self) -> dict[str, Any]:
        """Return the JSON document indexed for this notice."""
        # What asdict returns, without its deepcopy of every string (five times faster; a cycle
        # of 3,000 publishers makes 60,000). Containers are copied: the document is the caller's.
        # Most fields are strings or None: the type test inline spares a call per field.
        doc: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            doc[name] = value if type(value) in _IMMUTABLE else _copied(value)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Notice:
        """Rebuild a Notice from its indexed document (unknown fields ignored)."""
        fields: dict[str, Any] = {k: doc.get(k) for k in cls.__dataclass_fields__ if k in doc or k == "id"}
        return cls(**fields)


_IMMUTABLE = frozenset((str, int, float, bool, type(None)))


def _copied(value: Any) -> Any:
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_copied(v) for v in value)
    return value  # str, int, float, bool, None: immutable


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    # Most notice URLs have no query: parsing and re-encoding an empty one is a third of the cost.
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not k.lower().startswith("utm_"))) if parts.query else ""
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", query, ""))


def notice_id(source_id: str, url: str) -> str:
    """Stable id: a hash of the source id and the canonical URL."""
    return hashlib.sha256(f"{source_id}\n{canonical_url(url)}".encode()).hexdigest()[:32]


def content_hash(*parts: Any) -> str:
    """Hash of the fields whose change makes a notice 'updated'."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
