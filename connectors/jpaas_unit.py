"""TRS "jpaas" unit API (MIIT, SAMR, CNCA): a JS-shell list page whose script tag names the API.

The list page carries ``<script parseType="buildstatic" url="/api-gateway/…/unit"
querydata="{'webId':'…',…}">``; a GET of that URL with the querydata as the query string
answers JSON whose ``data.html`` is the list as an HTML fragment. Detail pages are static.
"""
from __future__ import annotations

import json
from dataclasses import replace
from functools import partial
from typing import Mapping
from urllib.parse import urljoin

from lxml import etree
from pydantic import BaseModel, ConfigDict

from connectors import html
from connectors.catalog import Source
from connectors.errors import SourceChanged
from connectors.http import HttpClient, parse_json
from connectors.registry import Seen, register
from records.items import Attachment, FetchedItem

# CNCA's templates spell the attribute value "bulidstatic" (sic).
_PARSE_TYPES = ("buildstatic", "bulidstatic")


class JpaasOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    script_selector: str | None = None
    item_selector: str = "li"
    date_selector: str = "span.fr, span"
    deadline_selector: str | None = "span.endtime"
    body_selector: str = "#con_con"
    source_selector: str | None = None
    # Where a detail page states its time when it has no PubDate meta (wjgs: ``#con_time``).
    time_selector: str | None = None
    # Where a template lists its files outside the body: samr.gov.cn's 附件下载 list
    # ``ul.contentLeft0102box`` (code-corpus file id 71180439957). Every match is read, since that
    # class appears twice on a page and the first is an empty placeholder.
    attachments_selector: str | None = None
    fetch_detail: bool = True


@register("jpaas-unit", JpaasOptions)
def fetch(source: Source, http: HttpClient, seen: Seen) -> list[FetchedItem]:
    """Read the list through the unit API, then detail pages of items not seen before."""
    opts: JpaasOptions = source.options
    page = http.get(source.url, conditional=True)
    api_url, params = find_unit_call(page.text, source.url, opts.script_selector)
    headers = site_headers(source.url, page.headers)
    answer = http.get(api_url, params=params, headers=headers, conditional=True)
    items = parse_list(fragment_of(answer.text, api_url), source, opts)
    if not opts.fetch_detail:
        return items
    known = seen([item.url for item in items])
    detail = partial(parse_detail, opts=opts)
    return [replace(item, partial=True) if item.url in known
            else html.with_detail(item, http, detail, headers=headers) for item in items]


def site_headers(page_url: str, page_headers: Mapping[str, str]) -> dict[str, str]:
    """Return what MIIT wants on every request after the list page: its Referer and its cookie.

    MIIT answers 403 to bare requests without the column page as Referer (code-corpus file id
    71595435488), and RSSHub's routes send the list page's first Set-Cookie back as Cookie.
    """
    headers = {"Referer": page_url}
    # Several Set-Cookie headers arrive joined by ", "; the first cookie ends at ";" or ",".
    cookie = (page_headers.get("set-cookie") or "").split(";", 1)[0].split(",", 1)[0].strip()
    if "=" in cookie:
        headers["Cookie"] = cookie
    return headers


def find_unit_call(page: str, page_url: str, selector: str | None = None) -> tuple[str, dict[str, str]]:
    """Return the unit API URL and its query parameters from a list page's script tag."""
    root = html.parse(page)
    scripts = root.cssselect(selector) if selector else [
        s for s in root.xpath("//script[@querydata and @url]")
        if (s.get("parsetype") or "").lower() in _PARSE_TYPES]
    scripts = [s for s in scripts if s.get("url") and s.get("querydata")]
    if not scripts:
        raise SourceChanged("list page has no jpaas script tag with url and querydata", url=page_url)
    tag = scripts[0]
    try:
        query = json.loads(tag.get("querydata").replace("'", '"'))
    except json.JSONDecodeError:
        raise SourceChanged("jpaas querydata is not a readable object", url=page_url) from None
    if not isinstance(query, dict):
        raise SourceChanged("jpaas querydata is not an object", url=page_url)
    params = {"parseType": tag.get("parsetype") or "buildstatic"}
    params.update({k: "null" if v is None else str(v) for k, v in query.items()})
    return urljoin(page_url, tag.get("url")), params


def fragment_of(body: str, api_url: str) -> str:
    """Return the HTML fragment inside a unit API answer."""
    data = parse_json(body, api_url, "unit API")
    fragment = data.get("data", {}).get("html") if isinstance(data, dict) and isinstance(
        data.get("data"), dict) else None
    if not isinstance(fragment, str):
        raise SourceChanged("unit API answer has no data.html", url=api_url)
    return fragment


def parse_list(fragment: str, source: Source, opts: JpaasOptions) -> list[FetchedItem]:
    """Turn the list fragment into items; filler rows without a link are dropped."""
    root = html.parse(f"<div>{fragment}</div>")
    items: dict[str, FetchedItem] = {}
    for row in root.cssselect(opts.item_selector):
        link = html.first(row, "a[href]")
        if link is None:
            continue
        url = urljoin(source.url, link.get("href").strip())
        text = html.text_of(link)
        title = link.get("title") if (not text or text.endswith(("…", "..."))) and link.get(
            "title") else text
        deadline = html.first(row, opts.deadline_selector) if opts.deadline_selector else None
        date = next((html.text_of(s) for s in row.cssselect(opts.date_selector)
                     if s is not deadline and html.text_of(s)), None)
        items.setdefault(url, FetchedItem(
            source_id=source.id, url=url, title=title.strip(), published=date,
            deadline=html.text_of(deadline) or None))
    return list(items.values())



def parse_detail(page: str, item: FetchedItem, opts: JpaasOptions) -> FetchedItem:
    """Enrich an item from its detail page (title, time, 来源, body, attachments)."""
    root = html.parse(page)
    body_el = html.first(root, opts.body_selector)
    source_el = html.first(root, opts.source_selector) if opts.source_selector else None
    time_el = html.first(root, opts.time_selector) if opts.time_selector else None
    warnings = item.warnings if body_el is not None else item.warnings + (
        f"detail page has no {opts.body_selector}",)
    return replace(
        item,
        title=html.meta(root, "ArticleTitle") or item.title,
        published=html.meta(root, "PubDate") or html.text_of(time_el) or item.published,
        issuer=html.meta(root, "ContentSource") or html.text_of(source_el) or item.issuer,
        attachments=_attachments(root, body_el, item.url, opts.attachments_selector),
        body=html.text_of(body_el),
        warnings=warnings,
    )


def _attachments(root: etree._Element, body_el: etree._Element | None, url: str,
                 selector: str | None) -> tuple[Attachment, ...]:
    found = html.attachments(body_el, url)
    for block in root.cssselect(selector) if selector else []:
        found += html.attachments(block, url)
    return tuple({a.url: a for a in found}.values())
