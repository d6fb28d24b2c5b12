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
from string import Formatter
from urllib.parse import urljoin

from lxml import etree
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from connectors import html
from connectors.catalog import Source
from connectors.errors import HttpStatusError, SourceBlocked, SourceChanged
from connectors.http import HttpClient
from connectors.registry import Seen, register
from records.items import Attachment, FetchedItem

_ELLIPSIS = ("…", "...", "..")
# Detail pages label the issuing office: "来源：深圳市地方金融管理局" / "信息来源:".
_SOURCE_LABEL = re.compile(r"^.*?来源\s*[：:]\s*")


def _regex(value: str | None) -> str | None:
    try:
        re.compile(value or "")
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return value


class ScriptLink(BaseModel):
    """A row that opens its notice by script, not by href (TC260's ``jumpDetail('<id>','<date>')``).

    `pattern` is searched in the link's `attribute`; its named groups fill `url`, and a group
    named ``deadline`` is the row's comment deadline.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    attribute: str = "onclick"
    pattern: str
    url: str

    @model_validator(mode="after")
    def _groups_fill_url(self) -> ScriptLink:
        groups = set(re.compile(_regex(self.pattern) or "").groupindex)
        missing = {f for _, f, _, _ in Formatter().parse(self.url) if f is not None} - groups
        if missing:
            raise ValueError(f"url names {', '.join(sorted(missing))}, which pattern does not capture")
        return self


class HtmlListOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item_selector: str
    link_selector: str = "a[href]"
    title_selector: str | None = None
    date_selector: str | None = None
    summary_selector: str | None = None
    deadline_selector: str | None = None
    # A work programme keeps an item's number in a cell of its own ("X.1412"): `number_selector`
    # reads it and `number_prefix` names its series ("ITU-T "), so the title carries the number.
    number_selector: str | None = None
    number_prefix: str = ""
    # Labels inside a row that are no part of its text (ISO's "[Under development]").
    drop_selector: str | None = None
    pages: int = 1
    page_pattern: str = "index_{n}.html"
    post_fallback: bool = False
    detail_body_selector: str | None = None
    detail_title_selector: str | None = None
    detail_date_selector: str | None = None
    detail_source_selector: str | None = None
    detail_attachments_selector: str | None = None
    link_script: ScriptLink | None = None
    # Download endpoints without a file extension (TC260's /sysFile/downloadFile/<id>): links in
    # the attachments element whose href matches are documents; the link text names the file.
    detail_download_href: str | None = None

    _download_compiles = field_validator("detail_download_href")(lambda cls, value: _regex(value))


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
    target, found = _target(link, opts.link_script)
    if not target:
        return None
    number = _text(row, opts.number_selector)
    for junk in row.cssselect(opts.drop_selector) if opts.drop_selector else ():
        junk.drop_tree()
    title_el = html.first(row, opts.title_selector) if opts.title_selector else link
    title = best_title(html.text_of(title_el), link.get("title"))
    if not title:
        return None
    if number and not title.startswith(number):
        title = f"{opts.number_prefix}{number} {title}"
    return FetchedItem(
        source_id=source_id, url=urljoin(page_url, target), title=title,
        published=_text(row, opts.date_selector), summary=_text(row, opts.summary_selector) or "",
        deadline=_text(row, opts.deadline_selector) or found.get("deadline"))


def _target(link: etree._Element | None, script: ScriptLink | None) -> tuple[str, dict[str, str]]:
    """Return where a row's link leads, and what a scripted link's pattern captured."""
    if link is None:
        return "", {}
    if script is None:
        return (link.get("href") or "").strip(), {}
    m = re.search(script.pattern, link.get(script.attribute) or "")
    if m is None:
        return "", {}
    groups = {k: v for k, v in m.groupdict().items() if v}
    return script.url.format(**groups), groups


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



def _downloads(el: etree._Element | None, base: str, href: str | None) -> tuple[Attachment, ...]:
    if el is None or not href:
        return ()
    return tuple(Attachment(url=urljoin(base, a.get("href").strip()), name=html.text_of(a))
                 for a in el.xpath(".//a[@href]") if re.search(href, a.get("href")))


def parse_detail(page: str, item: FetchedItem, opts: HtmlListOptions) -> FetchedItem:
    """Enrich an item from its detail page (title, date, 来源, body, attachments)."""
    root = html.parse(page)
    body_el = html.first(root, opts.detail_body_selector or "body")
    files_el = html.first(root, opts.detail_attachments_selector) if opts.detail_attachments_selector else None
    found = (html.attachments(body_el, item.url) + html.attachments(files_el, item.url)
             + _downloads(files_el, item.url, opts.detail_download_href))
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
