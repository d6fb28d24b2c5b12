"""Generic JSON APIs configured by dotted field paths (Federal Register, NIST CSRC, sacinfo, ttbz …).

A path walks dicts by key and lists by index: ``results``, ``agencies.0.name``. A GET sends
`params` as the query; a POST sends `fields` as a form or JSON `body` (list values repeat the
field: ``status[]=现行&status[]=即将实施``). Paging puts ``page_param=<n>`` in the query (GET) or
the body (POST) until an empty page, ``total_pages_path``, or ``pages``.

Standards platforms list a number, a name and a status per row: `number_path` gives the number
(as a hint, and in front of the title, the way the row reads), `stage_path` + `stage_map` the
stage for the status values we have evidence for. `url_template` and `summary_template` fill
``{path}`` placeholders from the element, for APIs that give a detail page only as an id.
"""
from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict

from connectors import html
from connectors.catalog import Source
from connectors.errors import SourceChanged
from connectors.http import HttpClient, Response, parse_json
from connectors.registry import Seen, register
from connectors.samr_std import standard_number
from records.items import FetchedItem

_MISSING = object()
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class JsonApiOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items_path: str
    title_path: str = "title"
    url_path: str = "url"
    url_template: str | None = None
    date_path: str | None = None
    summary_path: str | None = None
    summary_template: str | None = None
    body_path: str | None = None
    deadline_path: str | None = None
    issuer_path: str | None = None
    number_path: str | None = None
    stage_path: str | None = None
    stage_map: dict[str, Literal["plan", "draft", "published", "effective", "withdrawn"]] = {}
    # Element path -> regular expression it must match: a platform filter that has no request
    # field (dbba files Shenzhen's DB4403 standards under 广东省).
    require: dict[str, str] = {}
    method: Literal["GET", "POST"] = "GET"
    body: Literal["form", "json"] = "form"
    params: dict[str, str | list[str]] = {}  # the query string
    fields: dict[str, str | list[str]] = {}  # the body of a POST
    headers: dict[str, str] = {}
    page_param: str | None = None
    pages: int = 1
    total_pages_path: str | None = None
    # NIST appends the stage to titles ("… (Initial Public Draft)"); the URL suffix keeps it.
    title_strip: str | None = None


@register("json-api", JsonApiOptions, stated=("stage", "standard_numbers"))
def fetch(source: Source, http: HttpClient, seen: Seen) -> list[FetchedItem]:
    """Read up to `pages` pages of the API and map each element through the field paths."""
    opts: JsonApiOptions = source.options
    items: dict[str, FetchedItem] = {}
    for page in range(1, opts.pages + 1):
        data = parse_json(_request(source, http, opts, page).text, source.url)
        found = parse_items(data, source, opts)
        items.update((i.url, i) for i in found if i.url not in items)
        # An empty answer ends paging, not a page whose rows all failed `require`.
        if not lookup(data, opts.items_path) or not opts.page_param or page >= _total_pages(data, opts):
            break
    return list(items.values())


def request_fields(opts: JsonApiOptions, page: int) -> dict[str, Any]:
    """Return the fields that carry the page: the query of a GET, the body of a POST."""
    fields: dict[str, Any] = dict(opts.fields if opts.method == "POST" else opts.params)
    if opts.page_param:
        fields[opts.page_param] = str(page)
    return fields


def _request(source: Source, http: HttpClient, opts: JsonApiOptions, page: int) -> Response:
    fields, headers = request_fields(opts, page), opts.headers or None
    if opts.method == "GET":
        return http.get(source.url, params=fields, headers=headers, conditional=True)
    body = {"json": fields} if opts.body == "json" else {"data": fields}
    return http.request("POST", source.url, params=opts.params or None, headers=headers, **body)


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


def fill(template: str, element: Any, *, strict: bool = True) -> str | None:
    """Replace each ``{path}`` with the element's value; strict: None when one is missing."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        text = _str(lookup(element, match.group(1)))
        missing = missing or text is None
        return text or ""

    filled = _PLACEHOLDER.sub(value, template)
    return None if strict and missing else filled


def parse_items(data: Any, source: Source, opts: JsonApiOptions) -> list[FetchedItem]:
    """Map the elements at `items_path` to items; elements without a title or URL are dropped."""
    elements = lookup(data, opts.items_path)
    if not isinstance(elements, list):
        raise SourceChanged(f"API answer has no list at {opts.items_path!r}", url=source.url)
    items: dict[str, FetchedItem] = {}
    for element in elements:
        item = _item(element, source, opts) if _wanted(element, opts) else None
        if item is not None:
            items.setdefault(item.url, item)
    return list(items.values())


def _wanted(element: Any, opts: JsonApiOptions) -> bool:
    return all(re.search(rx, _str(lookup(element, path)) or "") for path, rx in opts.require.items())


def _item(element: Any, source: Source, opts: JsonApiOptions) -> FetchedItem | None:
    title = _str(lookup(element, opts.title_path))
    link = fill(opts.url_template, element) if opts.url_template else _str(lookup(element, opts.url_path))
    if opts.title_strip and title:
        title = re.sub(opts.title_strip, "", title).strip()
    if not title or not link:
        return None
    hints = _hints(element, opts)
    if hints.get("standard_numbers") and not title.startswith(hints["standard_numbers"][0]):
        title = f"{hints['standard_numbers'][0]} {title}"
    summary = fill(opts.summary_template, element, strict=False) if opts.summary_template else None
    return FetchedItem(
        source_id=source.id, url=urljoin(source.url, link), title=title,
        published=_str(lookup(element, opts.date_path)),
        summary=_plain(summary if summary is not None else lookup(element, opts.summary_path)),
        body=_plain(lookup(element, opts.body_path)), deadline=_str(lookup(element, opts.deadline_path)),
        issuer=_str(lookup(element, opts.issuer_path)), hints=hints)


def _hints(element: Any, opts: JsonApiOptions) -> dict[str, Any]:
    """The facts a row states outright: its standard number and, for known statuses, its stage."""
    hints: dict[str, Any] = {}
    number = _str(lookup(element, opts.number_path))
    if number:
        hints["standard_numbers"] = [standard_number(number)]
    stage = opts.stage_map.get(_str(lookup(element, opts.stage_path)) or "")
    if stage:
        hints["stage"] = stage
    return hints


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
