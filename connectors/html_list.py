"""Static HTML lists configured only by CSS selectors (Shenzhen columns, PBOC, CAC, SAC, ISO …).

Page 1 is the catalogued URL; later pages follow ``page_pattern``, resolved against it:
``index_{n}.html`` (Shenzhen), ``index_{n0}.html`` with n0 = n-1 (TRS sites such as SAC),
``<moduleid>-{n}.html`` (PBOC). Paging stops at the configured page count, at an empty page,
at a page with nothing new, or at a 404.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import partial
from urllib.parse import urljoin

from lxml import etree
from pydantic import BaseModel, ConfigDict

from connectors import html
from connectors.catalog import Source
from connectors.errors import HttpStatusError, SourceBlocked, SourceChanged
from connectors.http import HttpClient
from connectors.registry import Seen, register
from records.items import FetchedItem

_ELLIPSIS = ("…", "...", "..")
# Detail pages label the issuing office: "来源：深圳市地方金融管理局" / "信息来源:".
_SOURCE_LABEL = re.compile(r"^.*?来源\s*[：:]\s*")


class HtmlListOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item_selector: str
    link_selector: str = "a[href]"
    title_selector: str | None = None
    date_selector: str | None = None
    summary_selector: str | None = None
    deadline_selector: str | None = None
    pages: int = 1
    page_pattern: str = "index_{n}.html"
    post_fallback: bool = False
    detail_body_selector: str | None = None
    detail_title_selector: str | None = None
    detail_date_selector: str | None = None
    detail_source_selector: str | None = None
    detail_attachments_selector: str | None = None


@register("html-list", HtmlListOptions)
def fetch(source: Source, http: HttpClient, seen: Seen) -> list[FetchedItem]:
    """Read up to `pages` list pages, then detail pages of items not seen before."""
    opts: HtmlListOptions = source.options
    items: dict[str, FetchedItem] = {}
    for n in range(1, opts.pages + 1):
        url = page_url(source.url, opts.page_pattern, n)
        text = _list_page(url, http, opts, first=n == 1)
        if text is None:
            break
        found = parse_list(text, url, source.id, opts, first=n == 1)
        fresh = [i for i in found if i.url not in items]
        if not fresh:
            break  # an empty page, or a site that serves its last page for any number
        items.update((i.url, i) for i in fresh)
    if not opts.detail_body_selector:
        return list(items.values())
    known = seen(list(items))
    detail = partial(parse_detail, opts=opts)
    return [replace(i, partial=True) if i.url in known else html.with_detail(i, http, detail)
            for i in items.values()]


def page_url(first: str, pattern: str, n: int) -> str:
    """Return the URL of list page `n` (page 1 is the catalogued URL)."""
    return first if n == 1 else urljoin(first, pattern.format(n=n, n0=n - 1))


def _list_page(url: str, http: HttpClient, opts: HtmlListOptions, *, first: bool) -> str | None:
    try:
        return http.get(url, conditional=True).text
    except SourceBlocked:
        if not opts.post_fallback:
            raise
        # PBOC's WZWS challenge guards GET only; RSSHub's zcyj/gzlw routes POST with no body.
        return http.post(url).text
    except HttpStatusError as exc:
        if not first and exc.status == 404:
            return None  # past the last page
        raise


def parse_list(page: str, page_url: str, source_id: str, opts: HtmlListOptions,
               *, first: bool = True) -> list[FetchedItem]:
    """Turn one list page into items; duplicates and rows without a link are dropped."""
    rows = html.parse(page).cssselect(opts.item_selector)
    items: dict[str, FetchedItem] = {}
    for row in rows:
        item = _item(row, page_url, source_id, opts)
        if item is not None:
            items.setdefault(item.url, item)
    if not items and first:
        raise SourceChanged(f"selectors matched nothing (item {opts.item_selector!r}, "
                            f"link {opts.link_selector!r})", url=page_url)
    return list(items.values())


def _item(row: etree._Element, page_url: str, source_id: str,
          opts: HtmlListOptions) -> FetchedItem | None:
    link = row if _matches(row, opts.link_selector) else html.first(row, opts.link_selector)
    if link is None or not (link.get("href") or "").strip():
        return None
    title_el = html.first(row, opts.title_selector) if opts.title_selector else link
    title = best_title(html.text_of(title_el), link.get("title"))
    if not title:
        return None
    return FetchedItem(
        source_id=source_id, url=urljoin(page_url, link.get("href").strip()), title=title,
        published=_text(row, opts.date_selector), summary=_text(row, opts.summary_selector) or "",
        deadline=_text(row, opts.deadline_selector))


def best_title(text: str, attr: str | None) -> str:
    """Prefer the link's @title when the visible text is empty or truncated."""
    attr = (attr or "").strip()
    if attr and (not text or text.endswith(_ELLIPSIS) or (attr.startswith(text) and len(attr) > len(text))):
        return attr
    return text


def _matches(el: etree._Element, selector: str) -> bool:
    parent = el.getparent()
    return parent is not None and el in parent.cssselect(selector)


def _text(row: etree._Element, selector: str | None) -> str | None:
    return (html.text_of(html.first(row, selector)) or None) if selector else None



def parse_detail(page: str, item: FetchedItem, opts: HtmlListOptions) -> FetchedItem:
    """Enrich an item from its detail page (title, date, 来源, body, attachments)."""
    root = html.parse(page)
    body_el = html.first(root, opts.detail_body_selector or "body")
    files_el = html.first(root, opts.detail_attachments_selector) if opts.detail_attachments_selector else None
    found = html.attachments(body_el, item.url) + html.attachments(files_el, item.url)
    source = _SOURCE_LABEL.sub("", _text(root, opts.detail_source_selector) or "").strip()
    warnings = item.warnings if body_el is not None else item.warnings + (
        f"detail page has no {opts.detail_body_selector}",)
    return replace(
        item,
        title=_text(root, opts.detail_title_selector) or item.title,
        published=_text(root, opts.detail_date_selector) or item.published,
        issuer=source.split()[0] if source else item.issuer,
        attachments=tuple({a.url: a for a in found}.values()),
        body=html.text_of(body_el),
        warnings=warnings,
    )
