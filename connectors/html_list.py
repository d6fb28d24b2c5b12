"""Static HTML lists configured only by CSS selectors (Shenzhen columns, PBOC, CAC, SAC, ISO …).

Page 1 is the catalogued URL; later pages follow ``page_pattern``, resolved against it:
``index_{n}.html`` (Shenzhen, Guangdong), ``index_{n0}.html`` with n0 = n-1 (TRS sites).
Paging stops at the configured page count, at an empty page, at a page with nothing new, or at
a 404.

Sites whose page 1 describes its own pager (PBOC's eportal portlet) are read instead: the
next-page URL comes from ``pager_selector``/``pager_attr`` and the page count from
``page_count_selector``/``page_count_attr``. There a 404 on a page the pager promised means
the site changed, not that the list ended.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import partial
from string import Formatter
from urllib.parse import urljoin

from lxml import etree
from pydantic import BaseModel, ConfigDict, model_validator

from connectors import html
from connectors.catalog import Source
from connectors.errors import HttpStatusError, SourceChanged
from connectors.http import HttpClient
from connectors.registry import Seen, register
from records.items import FetchedItem

_ELLIPSIS = ("…", "...", "..")
# Detail pages label the issuing office: "来源：深圳市地方金融管理局" / "信息来源:".
_SOURCE_LABEL = re.compile(r"^.*?来源\s*[：:]\s*")
# The page number in a pager link: the last digits before the extension ("…/3b3662a6-2.html").
_PAGE_NUMBER = re.compile(r"\d+(?=\.s?html?$)")


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
    # Read paging from page 1's own pager (PBOC): "a[tagname]" / "tagname" gives page 2's URL,
    # "input[name=article_paging_list_hidden]" / "totalpage" the page count.
    pager_selector: str | None = None
    pager_attr: str = "href"
    page_count_selector: str | None = None
    page_count_attr: str | None = None
    detail_body_selector: str | None = None
    detail_title_selector: str | None = None
    detail_date_selector: str | None = None
    # NFCMS detail pages (Guangdong) state the date only in <meta name="PubDate">.
    detail_date_meta: str | None = None
    detail_source_selector: str | None = None
    detail_attachments_selector: str | None = None
    link_script: ScriptLink | None = None


@register("html-list", HtmlListOptions)
def fetch(source: Source, http: HttpClient, seen: Seen) -> list[FetchedItem]:
    """Read up to `pages` list pages, then detail pages of items not seen before."""
    opts: HtmlListOptions = source.options
    first = _list_page(source.url, http, opts) or ""
    items = {i.url: i for i in parse_list(first, source.url, source.id, opts)}
    paging = read_pager(first, source.url, opts) if opts.pager_selector else Paging(opts.page_pattern, None)
    for n in range(2, min(opts.pages, paging.last or opts.pages) + 1):
        url = page_url(source.url, paging.pattern, n)
        text = _list_page(url, http, opts, later=True, promised=paging.last is not None)
        if text is None:
            break
        fresh = [i for i in parse_list(text, url, source.id, opts, first=False) if i.url not in items]
        if not fresh:
            break  # an empty page, or a site that serves its last page for any number
        items.update((i.url, i) for i in fresh)
    if not opts.detail_body_selector:
        return list(items.values())
    known = seen(list(items))
    detail = partial(parse_detail, opts=opts)
    return [replace(i, partial=True) if i.url in known
            else html.with_detail(i, http, detail, post_fallback=opts.post_fallback) for i in items.values()]


@dataclass(frozen=True)
class Paging:
    """How later list pages are named, and how many there are when page 1 says so."""

    pattern: str
    last: int | None


def read_pager(page: str, page_url: str, opts: HtmlListOptions) -> Paging:
    """Read the next-page URL pattern and the page count from page 1's pager.

    The pattern is page 2's own URL with its number replaced, never one rebuilt from ids: PBOC
    names pages by a module id in one column and by 8 characters of a uuid in another. A page
    with no pager link is a list of one page.
    """
    root = html.parse(page)
    patterns = Counter(_numbered(el.get(opts.pager_attr) or "", page_url)
                       for el in root.cssselect(opts.pager_selector or ""))
    patterns.pop(None, None)
    if not patterns:
        return Paging(opts.page_pattern, 1)
    pattern = patterns.most_common(1)[0][0]
    assert pattern is not None
    return Paging(pattern, _page_count(root, opts) or 2)


def _numbered(link: str, page_url: str) -> str | None:
    """Turn a pager link into a URL pattern with {n} for its page number (None: not numbered)."""
    url = urljoin(page_url, link.strip()) if link.strip() and not link.startswith("javascript:") else ""
    found = _PAGE_NUMBER.search(url)
    if not found:
        return None
    start, end = found.span()
    return _braces(url[:start]) + "{n}" + _braces(url[end:])


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")  # literal braces survive str.format


def _page_count(root: etree._Element, opts: HtmlListOptions) -> int | None:
    el = html.first(root, opts.page_count_selector) if opts.page_count_selector else None
    if el is None:
        return None
    value = (el.get(opts.page_count_attr) if opts.page_count_attr else html.text_of(el)) or ""
    return int(value.strip()) if value.strip().isdigit() and int(value.strip()) > 0 else None


def page_url(first: str, pattern: str, n: int) -> str:
    """Return the URL of list page `n` (page 1 is the catalogued URL)."""
    return first if n == 1 else urljoin(first, pattern.format(n=n, n0=n - 1))


def _list_page(url: str, http: HttpClient, opts: HtmlListOptions, *, later: bool = False,
               promised: bool = False) -> str | None:
    """Return a list page, or None past the last page (a 404 after page 1).

    When page 1's pager promised this page, its 404 is a changed site: ending the list there
    would silently drop every older notice.
    """
    try:
        return html.read(http, url, conditional=True, post_fallback=opts.post_fallback)
    except HttpStatusError as exc:
        if not later or exc.status != 404:
            raise
        if promised:
            raise SourceChanged("page 1's pager promised this page, but it answers HTTP 404", url=url) from None
        return None


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



def _meta(root: etree._Element, name: str | None) -> str | None:
    return html.meta(root, name) or None if name else None


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
        published=(_text(root, opts.detail_date_selector) or _meta(root, opts.detail_date_meta)
                   or item.published),
        issuer=source.split()[0] if source else item.issuer,
        attachments=tuple({a.url: a for a in found}.values()),
        body=html.text_of(body_el),
        warnings=warnings,
    )
