"""Re-derive a stored notice with today's transforms (`regwatch reprocess`). Pure: `now` is injected.

The stored document is turned back into the item `normalise` reads, so re-deriving and a poll
share one code path: a rule changed in the transforms changes both alike.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence

from records.items import Attachment, FetchedItem
from transforms.normalise import SourceMeta, normalise

# The fields normalise derives from what the publisher said. Everything else is either the
# publisher's content (title, summary, body, urls, published_at), the poll's bookkeeping
# (fetched_at, first_seen_at, detail_*, warnings) or the alerting state (announced_at), and is
# left as stored. content_hash stays too: it hashes the publisher's content as the poll read it
# (the raw date string is not stored), and the next poll compares its own hash with it.
DERIVED = ("lang", "blockchain", "kind", "stage", "level", "standard_numbers", "standard_key",
           "comment_deadline", "attachments", "title_en", "title_en_origin", "glossary_terms", "comments_to",
           "committees", "plan_numbers")


def stored_item(doc: Mapping[str, Any], stated: Sequence[str] = ()) -> FetchedItem:
    """The item a poll would have handed normalise, rebuilt from an indexed document.

    `stated` names the fields the source's kind may state outright (connectors.registry.Kind):
    their stored values come back as hints, so a publisher's statement is never replaced by a
    guess. The publisher's own English title likewise; the stored deadline comes back as the
    listed one (the listed value itself is not stored), so the text's deadline still wins.
    """
    hints = {f: doc[f] for f in stated if doc.get(f) not in (None, "", [])}
    if doc.get("title_en_origin") == "publisher" and doc.get("title_en"):
        hints["title_en"] = doc["title_en"]
    return FetchedItem(
        source_id=doc["source_id"], url=doc["url"], title=doc.get("title") or "",
        published=doc.get("published_at"), summary=doc.get("summary") or "",
        body=doc.get("body") or "", issuer=doc.get("issuer"), deadline=doc.get("comment_deadline"),
        attachments=tuple(Attachment(a.get("url") or "", a.get("name") or "")
                          for a in doc.get("attachments") or []),
        hints=hints)


def rederive(doc: Mapping[str, Any], source: SourceMeta, now: datetime,
             stated: Sequence[str] = ()) -> dict[str, Any]:
    """Return the derived fields today's transforms give differently: field -> new value."""
    fresh = normalise(stored_item(doc, stated), source, now).to_doc()
    return {name: fresh[name] for name in DERIVED if fresh[name] != doc.get(name)}
