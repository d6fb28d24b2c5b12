"""SAMR's standards platforms: std.samr.gov.cn plans and standards, openstd.samr.gov.cn full texts.

std.samr (全国标准信息公共服务平台) answers bootstrap-table JSON ``{total, rows:[…]}`` for national
standard plans (``gbProcessInfoPage``) and published standards (``gbQueryPage``). openstd
(国家标准全文公开系统) answers an HTML ``table.result_list`` whose rows link to their detail page
only through ``onclick="showInfo('<hcno>')"``. All three state each row's stage outright
(CURRENT_LINK, STATE, 状态), so that travels as a hint that wins over what a title suggests; a
value the maps below do not know is kept without a stage and named in a warning, never dropped
silently. No detail page is needed.

Paging follows what was measured, not the ``total``: std.samr honours at most 20 rows a page and
lists newest first by default (code-corpus file id 71591847168), openstd sorts by
``circulation_date desc`` on request. So paging stops at an empty page, at a page holding only
notices already indexed, at rows older than the ``since_days`` window, or at ``pages``.

The list rows carry no English name; a standard's detail page does: 英文标准名称, the official
English title. std.samr's gbDetailed holds it in its 基础信息 block of ``dt.basicInfo-item`` /
``dd`` pairs (sources.md §2a); openstd's newGbInfo in ``div.bor2 table.tdlist``, as a cell
「英文标准名称：<b>…</b>」 (code-corpus file id 29179174015). With ``english_names`` a new
standard's detail page is read for it (the ``title_en`` hint, so the Notice's English is the
publisher's own rather than a gloss).
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Literal
from urllib.parse import quote

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from connectors import html
from connectors.catalog import Source
from connectors.errors import SourceChanged
from connectors.http import HttpClient, parse_json
from connectors.registry import Seen, register
from records.items import FetchedItem

_ENDPOINTS = {"plans": "/gb/search/gbProcessInfoPage", "standards": "/gb/search/gbQueryPage",
              "openstd": "/bzgk/std/std_list"}
DETAIL = "/gb/search/gbDetailed?id={id}"
# /bzgk/gb/ answers 301 to /bzgk/std/ (sources.md §2c), so items carry the current form.
OPENSTD_DETAIL = "/bzgk/std/newGbInfo?hcno={hcno}"
# std.samr honours pageSize up to 20 ("pageSize 实测 ≤20 生效，页大小封顶 20", file id 71591847168).
MAX_PAGE_SIZE = 20
# The search highlights hits as <sacinfo>区块链</sacinfo>, in names and in codes alike.
_TAG = re.compile(r"</?sacinfo>", re.I)
_DASH = re.compile(r"\s*[—－–]\s*|\s*-\s*")
_HCNO = re.compile(r"showInfo\(\s*['\"]([0-9A-Fa-f]{32})['\"]")
# CURRENT_LINK of a plan. No capture of the live vocabulary was found: these are the values the
# team expects (sources.md §2b) and stay unverified; any other value warns (see _stage).
PLAN_STAGES = {"正在起草": "plan", "正在征求意见": "draft", "正在审查": "draft", "正在批准": "draft",
               "已发布": "published"}
# STATE of a standard (std.samr) and 状态 (openstd), as seen live (file ids 71591847168,
# 71239842431, 59287913159): 即将实施/未实施 is published but not yet in force; 现行 is in force.
STATE_STAGES = {"即将实施": "published", "未实施": "published", "现行": "effective", "废止": "withdrawn",
                "被代替": "withdrawn"}
_EN_LABEL = "英文标准名称"
# openstd's table is read by its header, as its column order differs between list pages.
_COLUMNS = {"number": "标准号", "name": "标准名称", "state": "状态", "issued": "发布日期", "active": "实施日期"}


class SamrStdOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["plans", "standards", "openstd"] = "plans"
    search_text: str = ""
    pages: int = Field(default=3, ge=1)
    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    # Keep rows at most this many days older than the newest row listed (or than `now`).
    since_days: int | None = Field(default=None, ge=1)
    # Stop at a page of notices already indexed. Plans change stage in place, not at the top of
    # the list, so a plans query may need to read its whole window again.
    stop_at_known: bool = True
    # Not sent by default: the measured newest-first order is what the platform gives unasked.
    sort_order: Literal["asc", "desc"] | None = None
    # Standards (std.samr or openstd): read each new standard's detail page for its official
    # English title (one more request per new standard, none for those already indexed).
    english_names: bool = False


@register("samr-std", SamrStdOptions, stated=("kind", "level", "stage", "standard_numbers"))
def fetch(source: Source, http: HttpClient, seen: Seen) -> list[FetchedItem]:
    """Read pages newest first until an empty page, a known page, the window's end, or `pages`."""
    return collect(source, http, seen)


def collect(source: Source, http: HttpClient, seen: Seen, now: date | None = None) -> list[FetchedItem]:
    """`fetch`, with the window anchored on `now` when given (else on the newest row listed)."""
    opts: SamrStdOptions = source.options
    items: dict[str, FetchedItem] = {}
    start = now - timedelta(days=opts.since_days) if now and opts.since_days else None
    for page in range(1, opts.pages + 1):
        found = read_page(source, http, page)
        if not found:
            break
        if start is None and opts.since_days:
            start = window_start(found, opts.since_days)
        recent = [i for i in found if not is_older(i, start)]
        items.update((i.url, i) for i in recent if i.url not in items)
        if len(recent) < len(found):
            break  # newest first: every later page is older still
        urls = [i.url for i in found]
        if opts.stop_at_known and set(urls) <= seen(urls):
            break  # a page of notices already indexed: what follows was indexed before them
    if opts.english_names and opts.mode != "plans":
        known = seen(list(items))
        parse = english_name if opts.mode == "standards" else openstd_english_name
        return [i if i.url in known else html.with_detail(i, http, parse) for i in items.values()]
    return list(items.values())


def english_name(page: str, item: FetchedItem) -> FetchedItem:
    """Add a gbDetailed page's 英文标准名称 (its 基础信息 dt/dd pairs) to the item as the title_en hint."""
    for term in html.parse(page).xpath("//dt[contains(@class, 'basicInfo-item')]"):
        if strip_highlight(html.text_of(term)).rstrip("：: ") == _EN_LABEL:
            value = term.getnext()
            return _with_english(item, html.text_of(value) if value is not None else "")
    return item


def openstd_english_name(page: str, item: FetchedItem) -> FetchedItem:
    """Add a newGbInfo page's 英文标准名称 (a ``table.tdlist`` cell: label, then the name in <b>)."""
    for cell in html.parse(page).xpath("//table[contains(@class, 'tdlist')]//td"):
        text = strip_highlight(html.text_of(cell))
        if text.startswith(_EN_LABEL):
            bold = cell.xpath(".//b")
            return _with_english(item, html.text_of(bold[0]) if bold else text[len(_EN_LABEL):].lstrip("：: "))
    return item


def _with_english(item: FetchedItem, raw: str) -> FetchedItem:
    english = strip_highlight(raw)
    return replace(item, hints={**item.hints, "title_en": english}) if english else item


def read_page(source: Source, http: HttpClient, page: int) -> list[FetchedItem]:
    """Request one list page and turn it into items."""
    opts: SamrStdOptions = source.options
    url = source.origin + _ENDPOINTS[opts.mode]
    # A header is ASCII: a catalogued URL may carry its keyword unencoded.
    referer = quote(source.url, safe=":/?&=%#+")
    answer = http.get(url, params=query(opts, page), headers={"Referer": referer}, conditional=True)
    if opts.mode == "openstd":
        return parse_openstd(answer.text, source, url)
    return parse_rows(parse_answer(answer.text, url), source, opts.mode)


def query(opts: SamrStdOptions, page: int) -> dict[str, str]:
    """The parameters of list page `page`: only those seen working on the live site."""
    size = str(opts.page_size)
    if opts.mode == "openstd":
        # p.p1=0 is every type, p.p2 the keyword (file ids 71239842431, 53887104670).
        return {"p.p1": "0", "p.p2": opts.search_text, "p.p90": "circulation_date", "p.p91": "desc",
                "page": str(page), "pageSize": size}
    params = {"searchText": opts.search_text, "pageSize": size, "pageNumber": str(page)}
    if opts.sort_order:
        params["sortOrder"] = opts.sort_order
    return params


def window_start(items: list[FetchedItem], days: int) -> date | None:
    """The oldest day kept: `days` before the newest dated item (None when none is dated)."""
    dated = [d for d in (day_of(i.published) for i in items) if d]
    return max(dated) - timedelta(days=days) if dated else None


def is_older(item: FetchedItem, start: date | None) -> bool:
    """Whether an item is dated before the window (an undated one is kept)."""
    day = day_of(item.published)
    return bool(start and day and day < start)


def day_of(raw: str | None) -> date | None:
    """The day of an ISO date the platforms write (``2023-05-23`` or ``2023-05-23 00:00:00.0``)."""
    try:
        return date.fromisoformat((raw or "")[:10])
    except ValueError:
        return None


def parse_answer(text: str, url: str) -> list[dict[str, Any]]:
    """Return the rows of one std.samr query answer."""
    data = parse_json(text, url, "std.samr")
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise SourceChanged("std.samr answer has no rows list", url=url)
    return [r for r in data["rows"] if isinstance(r, dict)]


def strip_highlight(value: str) -> str:
    """Drop the <sacinfo> hit-highlight tags and fold whitespace."""
    return re.sub(r"\s+", " ", _TAG.sub("", value)).strip()


def clean_row(row: dict[str, Any]) -> dict[str, str]:
    """Every scalar field as text without highlight tags: any field may hold the searched words."""
    return {str(k): strip_highlight(str(v)) for k, v in row.items()
            if isinstance(v, (str, int, float)) and not isinstance(v, bool)}


def standard_number(code: str) -> str:
    """Write a standard code as DESIGN.md's ASCII form (GB/T 42752-2023)."""
    family, _, rest = code.strip().partition(" ")
    return f"{family} {_DASH.sub('-', rest.strip())}" if rest else family


def parse_rows(rows: list[dict[str, Any]], source: Source, mode: str) -> list[FetchedItem]:
    """Turn std.samr query rows into items carrying the platform's stated stage as hints."""
    make = _plan if mode == "plans" else _standard
    cleaned = (clean_row(row) for row in rows)
    found = (make(row, source.id, source.origin + DETAIL.format(id=row["id"])) for row in cleaned if row.get("id"))
    return [item for item in found if item]


def _stage(value: str, known: dict[str, str], field: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """The stage hint a stated value gives, or a warning naming a value no map knows."""
    if value in known:
        return {"stage": known[value]}, ()
    return {}, (f"{field} {value!r} is not a known stage value; no stage hint",)


def _plan(row: dict[str, str], source_id: str, url: str) -> FetchedItem | None:
    name, link = row.get("C_C_NAME", ""), row.get("CURRENT_LINK", "")
    if not name:
        return None
    stage, warnings = _stage(link, PLAN_STAGES, "CURRENT_LINK")
    summary = f"国家标准计划 {row.get('C_PLAN_CODE') or ''}（{row.get('STD_FORM') or ''}），当前阶段：{link}"
    return FetchedItem(source_id=source_id, url=url, title=name, published=row.get("SEND_DATE") or None,
                       summary=summary, warnings=warnings,
                       hints={"kind": "standard", "level": "national", **stage})


def _standard(row: dict[str, str], source_id: str, url: str) -> FetchedItem | None:
    name, code = row.get("C_C_NAME", ""), row.get("C_STD_CODE", "")
    if not name or not code:
        return None
    return _published(source_id, url, standard_number(code), name, row.get("STATE", ""),
                      row.get("ISSUE_DATE") or None, row.get("ACT_DATE") or None, "STATE")


def _published(source_id: str, url: str, number: str, name: str, state: str, issued: str | None,
               active: str | None, field: str) -> FetchedItem:
    stage, warnings = _stage(state, STATE_STAGES, field)
    summary = f"{number} {state}，发布日期 {(issued or '—')[:10]}，实施日期 {(active or '—')[:10]}"
    return FetchedItem(source_id=source_id, url=url, title=f"{number} {name}", published=issued,
                       summary=summary, warnings=warnings,
                       hints={"kind": "standard", "level": "national", "standard_numbers": [number], **stage})


def parse_openstd(page: str, source: Source, url: str) -> list[FetchedItem]:
    """Turn an openstd result table into items; an empty table is the end of the list."""
    table = html.first(html.parse(page), "table.result_list")
    if table is None:
        raise SourceChanged("openstd answer has no table.result_list", url=url)
    rows = table.xpath(".//tr")
    header = next((r for r in rows if "标准号" in _cells(r)), None)
    if header is None:
        raise SourceChanged("openstd table has no 标准号 header", url=url)
    names = _cells(header)
    missing = [label for label in _COLUMNS.values() if label not in names]
    if missing:
        raise SourceChanged(f"openstd table lacks the column(s) {', '.join(missing)}", url=url)
    at = {key: names.index(label) for key, label in _COLUMNS.items()}
    found = (_openstd_row(r, at, source) for r in rows[rows.index(header) + 1:])
    return [item for item in found if item]


def _cells(row: etree._Element) -> list[str]:
    return [strip_highlight(html.text_of(c)) for c in row.xpath("./th|./td")]


def _openstd_row(row: etree._Element, at: dict[str, int], source: Source) -> FetchedItem | None:
    cells = _cells(row)
    hcno = next((m.group(1) for js in row.xpath(".//@onclick") if (m := _HCNO.search(js))), None)
    if len(cells) <= max(at.values()) or not hcno or not cells[at["number"]] or not cells[at["name"]]:
        return None  # a filler or "no result" row: nothing to link to
    url = source.origin + OPENSTD_DETAIL.format(hcno=hcno.upper())
    return _published(source.id, url, standard_number(cells[at["number"]]), cells[at["name"]],
                      cells[at["state"]], cells[at["issued"]] or None, cells[at["active"]] or None, "状态")
