"""Guangdong "gkmlpt" disclosure catalogues (every Shenzhen municipal and district site).

``/gkmlpt/index`` is a Vue shell embedding ``window._CONFIG = {SID:'…', TREE:[…]}``; the list is
JSON from ``/gkmlpt/api/all/<category>?page=<n>&sid=<SID>``; a detail page embeds the article
as ``window._CONFIG.DETAIL`` JSON whose ``content`` is escaped HTML.

The list API serves only a recent slice of a category ("served count << classify.post_count"),
so paging ends at an empty page, a page with nothing new or a 404, never by counting against
``post_count`` or ``total``. Every confirmed gkmlpt site is served over plain http.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict

from connectors import html
from connectors.catalog import Source
from connectors.errors import HttpStatusError, SourceChanged
from connectors.http import HttpClient, parse_json
from connectors.registry import Seen, register
from records.items import FetchedItem

_SID = re.compile(r"""\bSID\s*:\s*['"](\d+)['"]""")
_TREE = re.compile(r"\bTREE\s*:\s*\[")
_CONTENT = re.compile(r'"content"\s*:\s*("(?:[^"\\]|\\.)*")')
# Some older Guangdong sites send titles with JavaScript escape()-style "%u8BA1" sequences.
_PERCENT_U = re.compile(r"%u([0-9A-Fa-f]{4})")


class GkmlptOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    category: int | str = 0
    pages: int = 3
    fetch_detail: bool = True


@register("gkmlpt", GkmlptOptions)
def fetch(source: Source, http: HttpClient, seen: Seen) -> list[FetchedItem]:
    """Read the catalogue's category through the list API, then detail pages of new items."""
    opts: GkmlptOptions = source.options
    sid, tree = parse_config(http.get(source.url, conditional=True).text, source.url)
    category = category_id(opts.category, tree, source.url)
    items: dict[str, FetchedItem] = {}
    for page in range(1, opts.pages + 1):
        answer = _list_page(source, http, category, sid, page)
        if answer is None:
            break
        fresh = [i for i in parse_articles(answer, source) if i.url not in items]
        if not fresh:
            break  # past the served slice: an empty page, or the last one served again
        items.update((i.url, i) for i in fresh)
    if not opts.fetch_detail:
        return list(items.values())
    known = seen(list(items))
    return [replace(i, partial=True) if i.url in known else html.with_detail(i, http, parse_detail)
            for i in items.values()]


def parse_config(page: str, url: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the site id and the category tree from the index page's window._CONFIG."""
    sid = _SID.search(page)
    if "_CONFIG" not in page or sid is None:
        raise SourceChanged("gkmlpt index has no window._CONFIG with a SID", url=url)
    tree_at = _TREE.search(page)
    if tree_at is None:
        return sid.group(1), []
    try:
        tree, _ = json.JSONDecoder().raw_decode(page, tree_at.end() - 1)
    except json.JSONDecodeError:
        return sid.group(1), []  # only needed when a category is named rather than numbered
    return sid.group(1), tree if isinstance(tree, list) else []


def category_id(wanted: int | str, tree: list[dict[str, Any]], url: str) -> int:
    """Resolve a category given by id or by its name in the tree (jump_url nodes are links out)."""
    if isinstance(wanted, int) or str(wanted).isdigit():
        return int(wanted)
    stack = list(tree)
    while stack:
        node = stack.pop(0)
        if node.get("name") == wanted and not node.get("jump_url"):
            return int(node["id"])
        stack.extend(node.get("children") or [])
    raise SourceChanged(f"gkmlpt tree has no category named {wanted!r}", url=url)


def _list_page(source: Source, http: HttpClient, category: int, sid: str, page: int) -> dict[str, Any] | None:
    url = f"{source.origin}/gkmlpt/api/all/{category}"
    headers = {"Referer": f"{source.origin}/gkmlpt/policy", "Accept": "application/json"}
    try:
        text = http.get(url, params={"page": str(page), "sid": sid}, headers=headers,
                        conditional=True).text
    except HttpStatusError as exc:
        if page > 1 and exc.status == 404:
            return None  # some sites answer 404 past the last page instead of an empty list
        raise
    return parse_answer(text, url)


def parse_answer(text: str, url: str) -> dict[str, Any]:
    """Parse one list API answer, which must carry an articles list."""
    data = parse_json(text, url, "gkmlpt list API")
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise SourceChanged("gkmlpt list API answer has no articles list", url=url)
    return data


def parse_articles(answer: dict[str, Any], source: Source) -> list[FetchedItem]:
    """Turn the API's articles into items (epoch-second dates kept as the publisher sent them)."""
    items: dict[str, FetchedItem] = {}
    for art in answer["articles"]:
        item = _article(art, source) if isinstance(art, dict) else None
        if item is not None:
            items.setdefault(item.url, item)
    return list(items.values())


def _article(art: dict[str, Any], source: Source) -> FetchedItem | None:
    link = art.get("url") or art.get("post_url")
    title = _PERCENT_U.sub(lambda m: chr(int(m.group(1), 16)), str(art.get("title") or "")).strip()
    if not link or not title:
        return None
    when = art.get("create_time") or art.get("display_publish_time") or art.get("created_at")
    return FetchedItem(
        source_id=source.id, url=urljoin(source.url, str(link)), title=title,
        published=str(when) if when else None, summary=str(art.get("abstract") or ""),
        issuer=art.get("publisher") or None)



def parse_detail(page: str, item: FetchedItem) -> FetchedItem:
    """Read the body and attachments from the DETAIL JSON's escaped HTML content."""
    found = _CONTENT.search(page)
    if found is None:
        return replace(item, warnings=item.warnings + ("detail page has no _CONFIG.DETAIL content",))
    try:
        content = json.loads(found.group(1))
    except json.JSONDecodeError:
        return replace(item, warnings=item.warnings + ("detail content is not a JSON string",))
    root = html.parse(f"<div>{content}</div>")
    return replace(item, attachments=html.attachments(root, item.url), body=html.text_of(root))
