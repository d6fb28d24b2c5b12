"""samr-std: highlights stripped everywhere, stated stages as hints (unknown ones warn), 20-row
pages newest first that stop by date, by known notices or by `pages`, and openstd's HTML table."""
from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.catalog import CatalogError, parse_entry
from connectors.errors import SourceChanged
from connectors.http import HttpClient, HttpOptions
from connectors.samr_std import (
    clean_row,
    collect,
    fetch,
    openstd_english_name,
    parse_answer,
    parse_openstd,
    parse_rows,
    query,
    standard_number,
    strip_highlight,
)
from records.items import FetchedItem
from tests.servers import Reply

SRC = parse_entry({"id": "t-samr", "kind": "samr-std", "url": "https://std.samr.gov.cn/gb/gbQuery"}, 1)
OPENSTD = parse_entry({"id": "t-openstd", "kind": "samr-std", "mode": "openstd",
                       "url": "https://openstd.samr.gov.cn/bzgk/std/std_list"}, 1)


def plan(i: str, link: str = "正在起草", sent: str = "2026-08-12",
         name: str = "<sacinfo>区块链</sacinfo>和分布式记账技术 术语") -> dict:
    return {"id": i, "C_PLAN_CODE": "20251872-T-339", "C_C_NAME": name, "STD_FORM": "制定",
            "SEND_DATE": sent, "CURRENT_LINK": link}


@pytest.mark.parametrize("raw, expected", [
    ("<sacinfo>区块链</sacinfo>和分布式记账技术 参考架构", "区块链和分布式记账技术 参考架构"),
    ("信息技术 <SACINFO>区块链</SACINFO>和分布式账本技术  参考架构", "信息技术 区块链和分布式账本技术 参考架构"),
    ("<sacinfo>GB</sacinfo> <sacinfo>10765</sacinfo>-1997", "GB 10765-1997"),
])
def test_highlight_tags_are_stripped(raw, expected) -> None:
    assert strip_highlight(raw) == expected


def test_every_field_loses_its_highlights_and_numbers_are_text() -> None:
    row = {"id": "A1", "C_STD_CODE": "<sacinfo>GB/T</sacinfo> <sacinfo>42752</sacinfo>-2023",
           "STATE": "<sacinfo>现行</sacinfo>", "PROJECT_ID": 25940213, "nested": {"x": 1}, "flag": True}
    assert clean_row(row) == {"id": "A1", "C_STD_CODE": "GB/T 42752-2023", "STATE": "现行", "PROJECT_ID": "25940213"}


@pytest.mark.parametrize("raw, expected", [("GB/T 42752-2023", "GB/T 42752-2023"), ("GB/T 43572—2023", "GB/T 43572-2023"),
                                           ("GB/T 25000.51－2010", "GB/T 25000.51-2010"), ("GB 4943.1-2022", "GB 4943.1-2022")])
def test_standard_numbers_in_ascii_form(raw, expected) -> None:
    assert standard_number(raw) == expected


@pytest.mark.parametrize("link, stage", [("正在征求意见", "draft"), ("正在起草", "plan"), ("正在审查", "draft"),
                                         ("正在批准", "draft"), ("已发布", "published")])
def test_plan_stage_comes_from_current_link(link, stage) -> None:
    [item] = parse_rows([plan("A1", link)], SRC, "plans")
    assert item.hints == {"kind": "standard", "level": "national", "stage": stage} and not item.warnings
    assert item.url == "https://std.samr.gov.cn/gb/search/gbDetailed?id=A1"
    assert item.title == "区块链和分布式记账技术 术语" and item.published == "2026-08-12"


@pytest.mark.parametrize("mode, row, field", [
    ("plans", plan("A1", "已下达"), "CURRENT_LINK"),
    ("standards", {"id": "B2", "C_STD_CODE": "GB/T 1-2020", "C_C_NAME": "标准化工作导则", "STATE": "作废"}, "STATE"),
])
def test_an_unknown_stage_value_gives_no_stage_and_a_warning_naming_it(mode, row, field) -> None:
    [item] = parse_rows([row], SRC, mode)
    assert "stage" not in item.hints
    assert len(item.warnings) == 1 and field in item.warnings[0] and repr(row[field]) in item.warnings[0]


@pytest.mark.parametrize("state, stage", [("现行", "effective"), ("即将实施", "published"), ("未实施", "published"),
                                          ("废止", "withdrawn")])
def test_standard_state_and_number_are_hints(state, stage) -> None:
    row = {"id": "B2", "C_STD_CODE": "<sacinfo>GB/T</sacinfo> 42752—2023",
           "C_C_NAME": "<sacinfo>区块链</sacinfo>和分布式记账技术 参考架构",
           "STATE": state, "ISSUE_DATE": "2023-05-23", "ACT_DATE": "2023-12-01", "PROJECT_ID": 52374691}
    [item] = parse_rows([row, {"C_C_NAME": "no id"}], SRC, "standards")
    assert item.hints == {"kind": "standard", "level": "national", "standard_numbers": ["GB/T 42752-2023"], "stage": stage}
    assert item.title == "GB/T 42752-2023 区块链和分布式记账技术 参考架构" and item.published == "2023-05-23"
    assert not item.warnings


@pytest.mark.parametrize("body, message", [("<html>访问过于频繁</html>", "malformed JSON"), ('{"total": 0}', "no rows list")])
def test_broken_answers_are_changed_sources(body, message) -> None:
    with pytest.raises(SourceChanged, match=message):
        parse_answer(body, "u")


@pytest.mark.parametrize("size, ok", [(20, True), (1, True), (21, False), (50, False), (0, False)])
def test_page_size_is_capped_at_the_twenty_rows_the_platform_honours(size, ok) -> None:
    entry = {"id": "t-samr", "kind": "samr-std", "url": "https://std.samr.gov.cn/gb/gbQuery", "page_size": size}
    if ok:
        assert parse_entry(entry, 1).options.page_size == size
    else:
        with pytest.raises(CatalogError, match="page_size"):
            parse_entry(entry, 1)


@pytest.mark.parametrize("options, expected", [
    ({}, {"searchText": "", "pageSize": "20", "pageNumber": "2"}),
    ({"sort_order": "desc", "search_text": "区块链"}, {"searchText": "区块链", "pageSize": "20", "pageNumber": "2",
                                                       "sortOrder": "desc"}),
    ({"mode": "openstd", "search_text": "区块链", "page_size": 10},
     {"p.p1": "0", "p.p2": "区块链", "p.p90": "circulation_date", "p.p91": "desc", "page": "2", "pageSize": "10"}),
])
def test_only_the_parameters_seen_working_are_sent(options, expected) -> None:
    src = parse_entry({"id": "t-samr", "kind": "samr-std", "url": "https://std.samr.gov.cn/gb/gbQuery", **options}, 1)
    assert query(src.options, 2) == expected


def page(*rows: dict, total: int = 1) -> Reply:
    # `total` is deliberately wrong in some cases: the connector must not page by it.
    return Reply(200, json.dumps({"total": total, "rows": list(rows)}).encode())


def _url(i: str) -> str:
    return f"/gb/search/gbDetailed?id={i}"


@pytest.mark.parametrize("options, replies, known, requests, ids", [
    # An empty page ends the list, whatever `total` claims.
    ({}, [page(plan("1"), plan("2"), total=1), page(plan("3")), page()], set(), 3, ["1", "2", "3"]),
    # A page of plans all indexed already: nothing newer lies beyond it.
    ({}, [page(plan("1"), plan("2")), page(plan("3"))], {"1", "2"}, 1, ["1", "2"]),
    # ... unless the source asks to read its window again (plans change stage in place).
    ({"stop_at_known": False}, [page(plan("1"), plan("2")), page(plan("3")), page()], {"1", "2", "3"}, 3, ["1", "2", "3"]),
    # One new row on the page: keep going.
    ({}, [page(plan("1"), plan("9")), page()], {"1"}, 2, ["1", "9"]),
    # The window runs back 30 days from the newest row (2026-11-10): 2026-09-01 is outside; stop there.
    ({"since_days": 30}, [page(plan("1", sent="2026-11-10"), plan("2", sent="2026-10-20")),
                          page(plan("3", sent="2026-10-15"), plan("4", sent="2026-09-01")), page(plan("5"))],
     set(), 2, ["1", "2", "3"]),
    # The pages cap, and a row listed twice is kept once.
    ({"pages": 2}, [page(plan("1"), plan("1")), page(plan("2")), page(plan("3"))], set(), 2, ["1", "2"]),
])
def test_paging_stops_by_date_known_notices_or_pages(scripted, options, replies, known, requests, ids) -> None:
    calls = iter(replies + [Reply(500)])  # a request past the script is a failure, not a page
    scripted.script["/gb/search/gbProcessInfoPage"] = lambda: next(calls)
    src = parse_entry({"id": "t-samr", "kind": "samr-std", "url": scripted.url("/gb/gbQuery"), "mode": "plans",
                       "search_text": "区块链", **options}, 1)
    indexed = {scripted.url(_url(i)) for i in known}
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        items = fetch(src, http, lambda urls: indexed & set(urls))
    asked = [parse_qs(urlsplit(p).query) for p in scripted.hits if p.startswith("/gb/search/")]
    assert len(asked) == requests and [i.url for i in items] == [scripted.url(_url(i)) for i in ids]
    assert all(q["pageSize"] == ["20"] and q["searchText"] == ["区块链"] and "sortOrder" not in q for q in asked)
    assert sorted(q["pageNumber"][0] for q in asked) == [str(n) for n in range(1, requests + 1)]


def test_an_injected_now_anchors_the_window_instead_of_the_newest_row(scripted) -> None:
    calls = iter([page(plan("1", sent="2026-12-20"), plan("2", sent="2026-11-10")), Reply(500)])
    scripted.script["/gb/search/gbProcessInfoPage"] = lambda: next(calls)
    src = parse_entry({"id": "t-samr", "kind": "samr-std", "url": scripted.url("/gb/gbQuery"), "since_days": 30}, 1)
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        items = collect(src, http, lambda urls: set(), now=date(2026, 12, 31))
    assert [i.url for i in items] == [scripted.url(_url("1"))] and len(scripted.hits) == 1


def table(header: str, *rows: str) -> str:
    return (f'<html><body><div>共{len(rows)}条标准</div><table class="table result_list table-striped table-hover">'
            f"<tbody><tr>{header}</tr></tbody><tbody>{''.join(rows)}</tbody></table></body></html>")


HEADER = "".join(f"<th>{h}</th>" for h in ("序号", "标准号", "是否采标", "标准名称", "类别", "状态", "发布日期", "实施日期", "操作"))
HCNO = "C6CE52E55AC09B9C79A20AEA77CEDD14"


def row(number: str = "GB/T 42752-2023", state: str = "现行", hcno: str = HCNO) -> str:
    js = f"showInfo('{hcno}');" if hcno else ""
    return (f'<tr><td>1</td><td><a onclick="{js}">{number}</a></td><td></td>'
            f'<td><a onclick="{js}">区块链和分布式记账技术 参考架构</a></td><td>推标</td><td><span>{state}</span></td>'
            f'<td>2023-05-23 00:00:00.0</td><td>2023-12-01 00:00:00.0</td><td><a onclick="{js}">查看详细</a></td></tr>')


def test_openstd_rows_link_by_their_onclick_hcno() -> None:
    [item] = parse_openstd(table(HEADER, row(), row(hcno="")), OPENSTD, "u")
    assert item.url == f"https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno={HCNO}"
    assert item.title == "GB/T 42752-2023 区块链和分布式记账技术 参考架构"
    assert item.published == "2023-05-23 00:00:00.0" and item.summary.endswith("实施日期 2023-12-01")
    assert item.hints == {"kind": "standard", "level": "national", "standard_numbers": ["GB/T 42752-2023"],
                          "stage": "effective"}


def test_openstd_columns_are_found_by_their_header_not_their_position() -> None:
    # The std_list layout one live check reports: two blank cells before the name (file id 71239842431).
    header = "".join(f"<th>{h}</th>" for h in ("序号", "标准号", "", "", "标准名称", "类别", "状态", "发布日期", "实施日期"))
    body = (f"<tr><td>1</td><td><a onclick=\"showInfo('{HCNO}')\">GB 10765-1997</a></td><td></td><td></td>"
            "<td>婴儿配方乳粉Ⅰ</td><td>强标</td><td>被代替</td><td>1997-05-28 00:00:00.0</td><td>1998-01-01</td></tr>")
    [item] = parse_openstd(table(header, body), OPENSTD, "u")
    assert item.title == "GB 10765-1997 婴儿配方乳粉Ⅰ" and item.hints["stage"] == "withdrawn"


def test_an_unknown_openstd_state_warns() -> None:
    [item] = parse_openstd(table(HEADER, row(state="待定")), OPENSTD, "u")
    assert "stage" not in item.hints and "'待定'" in item.warnings[0]


def test_an_openstd_page_past_the_end_is_empty() -> None:
    assert parse_openstd(table(HEADER), OPENSTD, "u") == []


@pytest.mark.parametrize("page_html, message", [
    ("<html><body>维护中</body></html>", "no table.result_list"),
    (table("<th>名称</th>"), "no 标准号 header"),
    (table("<th>标准号</th><th>标准名称</th><th>发布日期</th>"), "状态, 实施日期"),
])
def test_a_changed_openstd_page_is_a_changed_source(page_html, message) -> None:
    with pytest.raises(SourceChanged, match=message):
        parse_openstd(page_html, OPENSTD, "u")


def detail(english: str | None) -> Reply:
    """A gbDetailed page's 基础信息 block as sources.md §2a describes it (dt/dd basicInfo-item pairs)."""
    pairs = [("标准号", "GB/T 43572-2023"), ("中文标准名称", "区块链和分布式记账技术 术语"),
             *([("英文标准名称", english)] if english is not None else []), ("标准状态", "现行")]
    items = "".join(f'<dt class="basicInfo-item name">{k}</dt><dd class="basicInfo-item value">{v}</dd>'
                    for k, v in pairs)
    return Reply(body=f"<html><body><h2>基础信息</h2><dl>{items}</dl></body></html>".encode(),
                 headers={"Content-Type": "text/html; charset=utf-8"})


def standard(i: str) -> dict:
    return {"id": i, "C_STD_CODE": "GB/T 43572-2023", "C_C_NAME": "<sacinfo>区块链</sacinfo>和分布式记账技术 术语",
            "STATE": "现行", "ISSUE_DATE": "2023-12-28", "ACT_DATE": "2024-07-01"}


@pytest.mark.parametrize("reply, hint, failed", [
    (detail("Blockchain and distributed ledger technologies—Vocabulary"),
     "Blockchain and distributed ledger technologies—Vocabulary", False),
    (detail(None), None, False),   # no English name on the page: the gloss will stand in
    (Reply(500), None, True),      # marked incomplete, so a later poll reads the page again
])
def test_english_names_come_from_new_standards_detail_pages(scripted, reply, hint, failed) -> None:
    scripted.script["/gb/search/gbQueryPage"] = [page(standard("A1"), standard("B2")), page()]
    scripted.script["/gb/search/gbDetailed"] = [reply]
    src = parse_entry({"id": "t-samr", "kind": "samr-std", "url": scripted.url("/gb/gbQuery"), "mode": "standards",
                       "english_names": True}, 1)
    known = {scripted.url(_url("B2"))}
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        new, indexed = fetch(src, http, lambda urls: known & set(urls))
    assert [p for p in scripted.hits if p.startswith("/gb/search/gbDetailed")] == [_url("A1")]
    assert (new.hints.get("title_en"), new.detail_failed) == (hint, failed)
    assert "title_en" not in indexed.hints and not indexed.detail_failed


def _newgbinfo(cell: str) -> str:
    """A newGbInfo page's div.bor2 table.tdlist as code-corpus file id 29179174015 reads it."""
    return (f'<html><body><div class="bor2"><table class="tdlist"><tr><td>标准号：GB/T 43572-2023</td></tr>'
            f'<tr><td>中文标准名称：<b>区块链和分布式记账技术 术语</b></td></tr><tr><td>{cell}</td></tr></table>'
            f'<button data-value="BA1C9DCAFCA8AA8B2E5DEEA9A94C787A">在线预览</button></div></body></html>')


@pytest.mark.parametrize("cell, hint", [
    ("英文标准名称：<b>Blockchain and distributed ledger technologies—Vocabulary</b>",
     "Blockchain and distributed ledger technologies—Vocabulary"),
    ("英文标准名称：Blockchain  and distributed ledger technologies—Vocabulary",  # no <b>: the text after the label
     "Blockchain and distributed ledger technologies—Vocabulary"),
    ("英文标准名称：<b></b>", None),  # an empty name: the gloss will stand in
    ("标准状态：现行", None),
])
def test_openstd_english_name_is_the_tdlist_cell(cell, hint) -> None:
    item = FetchedItem(source_id="openstd-gb", url="u", title="GB/T 43572-2023 区块链和分布式记账技术 术语")
    assert openstd_english_name(_newgbinfo(cell), item).hints.get("title_en") == hint
