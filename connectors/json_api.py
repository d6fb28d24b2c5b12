"""Generic JSON APIs configured by dotted field paths (Federal Register, NIST CSRC drafts …).

A path walks dicts by key and lists by index: ``results``, ``agencies.0.name``. Paging adds
``page_param=<n>`` to the query until an empty page, ``total_pages_path``, or ``pages``.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict

from connectors import html
from connectors.catalog import Source
from connectors.errors import SourceChanged
from connectors.http import HttpClient, parse_json
from connectors.registry import Seen, register
from records.items import FetchedItem

_MISSING = object()


class JsonApiOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items_path: str
    title_path: str = "title"
    url_path: str = "url"
    date_path: str | None = None
    summary_path: str | None = None
    body_path: str | None = None
    deadline_path: str | None = None
    issuer_path: str | None = None
    params: dict[str, str | list[str]] = {}
    page_param: str | None = None
    pages: int = 1
    total_pages_path: str | None = None
    # NIST appends the stage to titles ("… (Initial Public Draft)"); the URL suffix keeps it.
    title_strip: str | None = None


@register("json-api", JsonApiOptions)
def fetch(source: Source, http: HttpClient, seen: Seen) -> list[FetchedItem]:
    """Read up to `pages` pages of the API and map each element through the field paths."""
    opts: JsonApiOptions = source.options
    items: dict[str, FetchedItem] = {}
    for page in range(1, opts.pages + 1):
        params: dict[str, Any] = dict(opts.params)
        if opts.page_param:
            params[opts.page_param] = str(page)
        data = parse_json(http.get(source.url, params=params, conditional=True).text, source.url)
        found = parse_items(data, source, opts)
        items.update((i.url, i) for i in found if i.url not in items)
        if not found or not opts.page_param or page >= _total_pages(data, opts):
            break
    return list(items.values())


def lookup(data: Any, path: str | None) -> Any:
    """Follow a dotted path through dicts (by key) and lists (by index); None when absent."""
    if not path:
        return None
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part, _MISSING)
        elif isinstance(data, list) and part.lstrip("-").isdigit() and -len(data) <= int(part) < len(data):
            data = data[int(part)]
        else:
            return None
        if data is _MISSING:
            return None
    return data


def parse_items(data: Any, source: Source, opts: JsonApiOptions) -> list[FetchedItem]:
    """Map the elements at `items_path` to items; elements without a title or URL are dropped."""
    elements = lookup(data, opts.items_path)
    if not isinstance(elements, list):
        raise SourceChanged(f"API answer has no list at {opts.items_path!r}", url=source.url)
    items: dict[str, FetchedItem] = {}
    for element in elements:
        item = _item(element, source, opts)
        if item is not None:
            items.setdefault(item.url, item)
    return list(items.values())


def _item(element: Any, source: Source, opts: JsonApiOptions) -> FetchedItem | None:
    title, link = _str(lookup(element, opts.title_path)), _str(lookup(element, opts.url_path))
    if opts.title_strip and title:
        title = re.sub(opts.title_strip, "", title).strip()
    if not title or not link:
        return None
    return FetchedItem(
        source_id=source.id, url=urljoin(source.url, link), title=title,
        published=_str(lookup(element, opts.date_path)), summary=_plain(lookup(element, opts.summary_path)),
        body=_plain(lookup(element, opts.body_path)), deadline=_str(lookup(element, opts.deadline_path)),
        issuer=_str(lookup(element, opts.issuer_path)))


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _plain(value: Any) -> str:
    # Feeds put HTML in summaries and contents ("<p>Comments Due: 12/15/2026</p>").
    text = _str(value) or ""
    return html.text_of(html.parse(f"<div>{text}</div>")) if "<" in text else text


def _total_pages(data: Any, opts: JsonApiOptions) -> int:
    total = lookup(data, opts.total_pages_path)
    return int(total) if isinstance(total, int) or str(total or "").isdigit() else opts.pages
