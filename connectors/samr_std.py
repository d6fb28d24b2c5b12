"""std.samr.gov.cn (全国标准信息公共服务平台): national standard plans and published standards.

Both lists are bootstrap-table JSON backends answering ``{total, rows:[…]}``. The platform
states each row's stage outright (CURRENT_LINK for plans, STATE for standards), so those
facts travel as hints that win over what a title suggests. No detail page is needed.
"""
from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from connectors.catalog import Source
from connectors.errors import SourceChanged
from connectors.http import HttpClient, parse_json
from connectors.registry import Seen, register
from records.items import FetchedItem

_ENDPOINTS = {"plans": "/gb/search/gbProcessInfoPage", "standards": "/gb/search/gbQueryPage"}
DETAIL = "/gb/search/gbDetailed?id={id}"
# The search highlights hits as <sacinfo>区块链</sacinfo> inside names.
_TAG = re.compile(r"</?sacinfo>", re.I)
_DASH = re.compile(r"\s*[—－–]\s*|\s*-\s*")
# CURRENT_LINK of a plan: the step the project is at (起草 and 下达 are still the plan).
PLAN_STAGES = {"已下达": "plan", "已立项": "plan", "正在起草": "plan", "正在征求意见": "draft",
               "正在审查": "draft", "正在批准": "draft", "已报批": "draft", "已发布": "published"}
# STATE of a standard: 即将实施 is published but not yet in force; 现行 is in force.
STATE_STAGES = {"即将实施": "published", "现行": "effective", "废止": "withdrawn"}


class SamrStdOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["plans", "standards"] = "plans"
    search_text: str = ""
    pages: int = 3
    page_size: int = 50
    sort_order: Literal["asc", "desc"] = "asc"


@register("samr-std", SamrStdOptions)
def fetch(source: Source, http: HttpClient, seen: Seen) -> list[FetchedItem]:
    """Page through the plan or standard query until an empty page, the total, or `pages`."""
    opts: SamrStdOptions = source.options
    url = source.origin + _ENDPOINTS[opts.mode]
    items: dict[str, FetchedItem] = {}
    for page in range(1, opts.pages + 1):
        params = {"searchText": opts.search_text, "ics": "", "sortOrder": opts.sort_order,
                  "pageSize": str(opts.page_size), "pageNumber": str(page)}
        answer = http.get(url, params=params, headers={"Referer": source.url}, conditional=True)
        total, rows = parse_answer(answer.text, url)
        for item in parse_rows(rows, source, opts.mode):
            items.setdefault(item.url, item)
        if not rows or page * opts.page_size >= total:
            break
    return list(items.values())


def parse_answer(text: str, url: str) -> tuple[int, list[dict[str, Any]]]:
    """Return the total and the rows of one query answer."""
    data = parse_json(text, url, "std.samr")
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise SourceChanged("std.samr answer has no rows list", url=url)
    total = data.get("total")
    return (int(total) if isinstance(total, int) else 10**9), [r for r in data["rows"] if isinstance(r, dict)]


def strip_highlight(name: str) -> str:
    """Drop the <sacinfo> hit-highlight tags from a standard's name."""
    return re.sub(r"\s+", " ", _TAG.sub("", name)).strip()


def standard_number(code: str) -> str:
    """Write a standard code as DESIGN.md's ASCII form (GB/T 42752-2023)."""
    family, _, rest = code.strip().partition(" ")
    return f"{family} {_DASH.sub('-', rest.strip())}" if rest else family


def parse_rows(rows: list[dict[str, Any]], source: Source, mode: str) -> list[FetchedItem]:
    """Turn query rows into items carrying the platform's stated stage as hints."""
    make = _plan if mode == "plans" else _standard
    found = (make(row, source.id, source.origin + DETAIL.format(id=row["id"])) for row in rows if row.get("id"))
    return [item for item in found if item]


def _plan(row: dict[str, Any], source_id: str, url: str) -> FetchedItem | None:
    name, link = strip_highlight(str(row.get("C_C_NAME") or "")), str(row.get("CURRENT_LINK") or "")
    if not name:
        return None
    hints: dict[str, Any] = {"kind": "standard", "level": "national"}
    if link in PLAN_STAGES:
        hints["stage"] = PLAN_STAGES[link]
    summary = f"国家标准计划 {row.get('C_PLAN_CODE') or ''}（{row.get('STD_FORM') or ''}），当前阶段：{link}"
    return FetchedItem(source_id=source_id, url=url, title=name,
                       published=row.get("SEND_DATE") or None, summary=summary, hints=hints)


def _standard(row: dict[str, Any], source_id: str, url: str) -> FetchedItem | None:
    name, code = strip_highlight(str(row.get("C_C_NAME") or "")), str(row.get("C_STD_CODE") or "")
    if not name or not code:
        return None
    number, state = standard_number(code), str(row.get("STATE") or "")
    hints: dict[str, Any] = {"kind": "standard", "level": "national", "standard_numbers": [number]}
    if state in STATE_STAGES:
        hints["stage"] = STATE_STAGES[state]
    summary = f"{number} {state}，发布日期 {row.get('ISSUE_DATE') or '—'}，实施日期 {row.get('ACT_DATE') or '—'}"
    return FetchedItem(source_id=source_id, url=url, title=f"{number} {name}",
                       published=row.get("ISSUE_DATE") or None, summary=summary, hints=hints)
