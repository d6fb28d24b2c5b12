"""HTML helpers shared by the kinds that read pages: parsing, text, links, attachments."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Mapping
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

from connectors.errors import ConnectorError, SourceBlocked
from records.items import Attachment, FetchedItem

if TYPE_CHECKING:
    from connectors.http import HttpClient

_ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|wps|zip|rar|7z|xlsx?|et|pptx?|ofd|txt|csv)$", re.I)
_PAGE_EXT = re.compile(r"(?:\.s?html?|/)$", re.I)
# Download endpoints seen on ministry CMSs: CAC /cms/pub/interact/downloadfile.jsp (file ids
# 71552936813, 70892365360), TRS download.jsp, ASP.NET DownLoad.aspx / DownLoad/<id>.
_DOWNLOAD_ENDPOINT = re.compile(r"/download(?:file)?(?:\.(?:jsp|aspx?|php|do|action))?(?:/|$)", re.I)
_NAME_KEY_ORDER = ("fText", "filename", "fileName", "FileName", "fname", "file_name")
_NAME_KEYS = frozenset(_NAME_KEY_ORDER)
_LABEL = re.compile(r"^附\s*件|^(?:点击)?下载(?:附件|文件|全文|原文)?$|(?:附件|文件|全文|原文)下载$")
_LEAD_LABEL = re.compile(r"^(?:相关)?附\s*件\s*\d*\s*[：:、.]?")
_BARE_LABEL = re.compile(r"(?:相关)?附\s*件\s*\d*\s*[：:]?|(?:点击)?下载(?:附件|文件|全文|原文)?|(?:附件|文件)下载")
_BLOCK_NAME = re.compile(r"fujian|fjdown|xgfj|attach|enclosure|appendix|annex", re.I)
_NOT_A_FILE = ("javascript:", "mailto:", "#", "tel:")
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


# Text that lxml would hand back unchanged: no markup, no entity, none of the characters its
# parser drops or rewrites (controls, CR, BOM, surrogates, non-characters).
_NOT_PLAIN = re.compile(r"[<&\r\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufeff\ufffe\uffff]")


def fragment_text(fragment: str) -> str:
    """Return the visible text of an HTML fragment, as text_of(parse(fragment)) does."""
    # Most feed titles and many summaries are plain text: parsing them into a tree only to read
    # the text back cost a fifth of a feed's parsing time.
    if _NOT_PLAIN.search(fragment) is None:
        return _folded(fragment)
    return text_of(parse(fragment))


def text_of(el: etree._Element | None) -> str:
    """Return an element's visible text with whitespace folded."""
    if el is None:
        return ""
    for junk in el.xpath(".//script|.//style"):
        junk.drop_tree()
    for block in el.iter(*_BLOCKS):  # block elements end a line; inline ones do not
        block.tail = "\n" + (block.tail or "")
    return _folded("".join(el.itertext()))


def _folded(raw: str) -> str:
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
    """Return the links in el that the page presents as files, named as a reader would name them.

    A link is a file when its URL or its text ends in a document extension, when it goes to a
    download endpoint (``downloadfile.jsp?…&fText=…``, ``DownLoad.aspx``), when it is labelled
    附件/下载, or when it sits in an attachment block (``.fujian``, ``.fjdown`` …). Other links —
    navigation, related notices — are not attachments, whatever the page around them.
    """
    if el is None:
        return ()
    out: dict[str, Attachment] = {}
    for a in el.xpath(".//a[@href]"):
        href = a.get("href").strip()
        if not href or href.startswith(_NOT_A_FILE):
            continue
        url, text = urljoin(base, href), _SPACE.sub(" ", a.text_content()).strip()
        if _is_document(url) or _ATTACHMENT_EXT.search(text) or _is_labelled(a, text) or _in_block(a, el, url):
            out.setdefault(url, Attachment(url=url, name=_name(text, url)))
    return tuple(out.values())


def _is_document(url: str) -> bool:
    parts = urlsplit(url)
    if _ATTACHMENT_EXT.search(parts.path) or _DOWNLOAD_ENDPOINT.search(parts.path):
        return True
    # Download endpoints carry the file name in the query: fText, filename, or a path with an extension.
    query = parse_qs(parts.query)
    return bool(_NAME_KEYS & set(query)) or any(
        _ATTACHMENT_EXT.search(v) for vs in query.values() for v in vs)


def _is_labelled(a: etree._Element, text: str) -> bool:
    """Whether the link, or the line it starts, says 附件 / 下载 (a nav "下载中心" does not)."""
    if _LABEL.search(text):
        return True
    parent = a.getparent()
    before = (parent.text or "") if parent is not None and parent.index(a) == 0 else ""
    return bool(_LEAD_LABEL.match(before.strip()))


def _in_block(a: etree._Element, root: etree._Element, url: str) -> bool:
    """Whether the link sits in a block the page reserves for attachments, and is not a page."""
    if _PAGE_EXT.search(urlsplit(url).path):
        return False
    for node in a.iterancestors():
        if _BLOCK_NAME.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
        if node is root:
            break
    return False


def _name(text: str, url: str) -> str:
    """The link text; for a bare "下载"/"附件" label, the name the query carries (fText …) if any."""
    if text and not _BARE_LABEL.fullmatch(text):
        return text
    return _query_name(url) or text or _file_name(url)


def _query_name(url: str) -> str | None:
    query = parse_qs(urlsplit(url).query)
    return next((query[k][0].strip() for k in _NAME_KEY_ORDER if query.get(k) and query[k][0].strip()), None)


def _file_name(url: str) -> str:
    parts = urlsplit(url)
    named = _query_name(url)
    if named:
        return named
    for values in parse_qs(parts.query).values():
        for v in values:
            if _ATTACHMENT_EXT.search(v):
                return unquote(v.rsplit("/", 1)[-1])
    return unquote(parts.path.rsplit("/", 1)[-1])


def read(http: HttpClient, url: str, *, headers: Mapping[str, str] | None = None,
         conditional: bool = False, post_fallback: bool = False) -> str:
    """GET a page's text; with `post_fallback`, POST it when the GET draws an anti-bot challenge."""
    try:
        return http.get(url, headers=headers, conditional=conditional).text
    except SourceBlocked:
        if not post_fallback:
            raise
        # PBOC's WZWS challenge guards GET only; RSSHub POSTs list pages (zcyj/gzlw) and detail
        # pages (utils.ts) with no body.
        return http.post(url, headers=headers).text


def with_detail(item: FetchedItem, http: HttpClient,
                parse: Callable[[str, FetchedItem], FetchedItem],
                headers: Mapping[str, str] | None = None, post_fallback: bool = False) -> FetchedItem:
    """Fetch an item's detail page (with `headers`, if the site wants some) and enrich it with `parse`."""
    try:
        page = read(http, item.url, headers=headers, post_fallback=post_fallback)
    except ConnectorError as exc:
        # The list told us the notice exists; a broken detail page must not hide it. The
        # store keeps it marked incomplete, so a later poll fetches the detail page again.
        return replace(item, warnings=item.warnings + (f"detail page: {exc}",), detail_failed=True)
    return parse(page, item)
