"""HTML helpers shared by the kinds that read pages: parsing, text, links, attachments."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Mapping
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

from connectors.errors import ConnectorError
from records.items import Attachment, FetchedItem

if TYPE_CHECKING:
    from connectors.http import HttpClient

_ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|wps|zip|rar|7z|xlsx?|ofd|txt)$", re.I)
_SPACE = re.compile(r"[ \t\r\f\v\u3000\xa0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
           "section", "article", "blockquote", "pre")


def parse(text: str) -> lxml.html.HtmlElement:
    """Parse an HTML page or fragment, never raising on markup errors."""
    parser = lxml.html.HTMLParser(recover=True, no_network=True, huge_tree=False)
    try:
        return lxml.html.fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):  # blank, or nothing lxml can call a document
        return lxml.html.fromstring("<html></html>", parser=parser)


def text_of(el: etree._Element | None) -> str:
    """Return an element's visible text with whitespace folded."""
    if el is None:
        return ""
    for junk in el.xpath(".//script|.//style"):
        junk.drop_tree()
    for block in el.iter(*_BLOCKS):  # block elements end a line; inline ones do not
        block.tail = "\n" + (block.tail or "")
    raw = "".join(el.itertext())
    # Indented markup leaves a space at the start of each line; a reader sees none.
    folded = _SPACE.sub(" ", raw).replace(" \n", "\n").replace("\n ", "\n")
    return _BLANK_LINES.sub("\n", folded).strip()


def first(root: etree._Element, selector: str) -> etree._Element | None:
    """Return the first element matching a CSS selector, or None."""
    found = root.cssselect(selector)
    return found[0] if found else None


def meta(root: etree._Element, name: str) -> str | None:
    """Return the content of <meta name=...>, or None."""
    found = root.xpath("//meta[@name=$n]/@content", n=name)
    return found[0].strip() if found else None


def attachments(el: etree._Element | None, base: str) -> tuple[Attachment, ...]:
    """Return the links in el that point to documents (PDF, DOC, WPS, ZIP …)."""
    if el is None:
        return ()
    out: dict[str, Attachment] = {}
    for a in el.xpath(".//a[@href]"):
        url = urljoin(base, a.get("href").strip())
        if _is_document(url):
            name = text_of(a) or _file_name(url)
            out.setdefault(url, Attachment(url=url, name=name))
    return tuple(out.values())


def _is_document(url: str) -> bool:
    parts = urlsplit(url)
    if _ATTACHMENT_EXT.search(parts.path):
        return True
    # Download endpoints without an extension carry the file name in the query.
    return any(_ATTACHMENT_EXT.search(v) for vs in parse_qs(parts.query).values() for v in vs)


def _file_name(url: str) -> str:
    parts = urlsplit(url)
    for values in parse_qs(parts.query).values():
        for v in values:
            if _ATTACHMENT_EXT.search(v):
                return unquote(v.rsplit("/", 1)[-1])
    return unquote(parts.path.rsplit("/", 1)[-1])


def with_detail(item: FetchedItem, http: HttpClient,
                parse: Callable[[str, FetchedItem], FetchedItem],
                headers: Mapping[str, str] | None = None) -> FetchedItem:
    """Fetch an item's detail page (with `headers`, if the site wants some) and enrich it with `parse`."""
    try:
        page = http.get(item.url, headers=headers)
    except ConnectorError as exc:
        # The list told us the notice exists; a broken detail page must not hide it. The
        # store keeps it marked incomplete, so a later poll fetches the detail page again.
        return replace(item, warnings=item.warnings + (f"detail page: {exc}",), detail_failed=True)
    return parse(page.text, item)
