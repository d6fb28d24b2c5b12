"""RSS and Atom feeds: our HTTP client fetches, feedparser parses the bytes it is handed."""
from __future__ import annotations

import io
import time
from typing import Any

import feedparser
from pydantic import BaseModel, ConfigDict

from connectors import html
from connectors.catalog import Source
from connectors.errors import SourceChanged
from connectors.http import HttpClient
from connectors.registry import Seen, register
from records.items import Attachment, FetchedItem


class FeedOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_items: int = 200


@register("rss", FeedOptions, one_list=True)
def fetch(source: Source, http: HttpClient, seen: Seen) -> list[FetchedItem]:
    """Fetch a feed and return its entries (a malformed feed is salvaged with a warning)."""
    response = http.get(source.url, conditional=True)
    return parse_feed(response.content, source.id, source.url, dict(response.headers),
                      source.options.max_items)


def parse_feed(content: bytes, source_id: str, url: str, headers: dict[str, str] | None = None,
               max_items: int = 200) -> list[FetchedItem]:
    """Parse feed bytes into items; raise SourceChanged only when nothing can be salvaged."""
    # Bytes in a BytesIO: feedparser never treats them as a URL or path to open.
    parsed = feedparser.parse(io.BytesIO(content), response_headers=headers or {},
                              sanitize_html=False, resolve_relative_uris=False)
    problem = _bozo_message(parsed)
    if not parsed.entries:
        if problem or not parsed.get("version"):
            raise SourceChanged(f"not a readable feed: {problem or 'no RSS or Atom root element'}", url=url)
        return []
    warnings = (f"feed salvaged: {problem}",) if problem else ()
    items: dict[str, FetchedItem] = {}
    for entry in parsed.entries[:max_items]:
        item = _item(entry, source_id, warnings)
        if item is not None:
            items.setdefault(item.url, item)
    return list(items.values())


def _item(entry: Any, source_id: str, warnings: tuple[str, ...]) -> FetchedItem | None:
    link = entry.get("link") or entry.get("id")
    title = html.fragment_text(entry.get("title", "")) if entry.get("title") else ""
    if not link or not title:
        return None
    summary = html.fragment_text(entry.get("summary", "")) if entry.get("summary") else ""
    return FetchedItem(
        source_id=source_id, url=link, title=title, published=_published(entry),
        summary=summary, issuer=entry.get("author") or None,
        attachments=tuple(Attachment(url=e["href"], name=e.get("title") or e["href"].rsplit("/", 1)[-1])
                          for e in entry.get("enclosures", []) if e.get("href")),
        warnings=warnings,
    )


def _published(entry: Any) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed)  # feedparser normalises to UTC
    return entry.get("published") or entry.get("updated")


def _bozo_message(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:200] if exc else "malformed feed"
