"""samr-std: <sacinfo> stripped, stated stages as hints, standard numbers, paging, broken answers."""
from __future__ import annotations

import json

import pytest

from connectors.catalog import parse_entry
from connectors.errors import SourceChanged
from connectors.http import HttpClient, HttpOptions
from connectors.samr_std import fetch, parse_answer, parse_rows, standard_number, strip_highlight
from tests.servers import Reply

SRC = parse_entry({"id": "t-samr", "kind": "samr-std", "url": "https://std.samr.gov.cn/gb/gbQuery"}, 1)


def plan(i: str, link: str, name: str = "<sacinfo>区块链</sacinfo>和分布式记账技术 术语") -> dict:
    return {"id": i, "C_PLAN_CODE": "20251872-T-339", "C_C_NAME": name, "STD_FORM": "制定",
            "SEND_DATE": "2025-08-12", "CURRENT_LINK": link}


@pytest.mark.parametrize("raw, expected", [
    ("<sacinfo>区块链</sacinfo>和分布式记账技术 参考架构", "区块链和分布式记账技术 参考架构"),
    ("信息技术 <SACINFO>区块链</SACINFO>和分布式账本技术  参考架构", "信息技术 区块链和分布式账本技术 参考架构"),
])
def test_highlight_tags_are_stripped(raw, expected) -> None:
    assert strip_highlight(raw) == expected


@pytest.mark.parametrize("raw, expected", [("GB/T 42752-2023", "GB/T 42752-2023"), ("GB/T 43572—2023", "GB/T 43572-2023"),
                                           ("GB/T 25000.51－2010", "GB/T 25000.51-2010"), ("GB 4943.1-2022", "GB 4943.1-2022")])
def test_standard_numbers_in_ascii_form(raw, expected) -> None:
    assert standard_number(raw) == expected


@pytest.mark.parametrize("link, stage", [("正在征求意见", "draft"), ("正在起草", "plan"), ("已下达", "plan"),
                                         ("正在审查", "draft"), ("正在批准", "draft"), ("已发布", "published"),
                                         ("某个新状态", None)])
def test_plan_stage_comes_from_current_link(link, stage) -> None:
    [item] = parse_rows([plan("A1", link)], SRC, "plans")
    assert item.hints.get("stage") == stage and item.hints["level"] == "national"
    assert item.url == "https://std.samr.gov.cn/gb/search/gbDetailed?id=A1"
    assert item.title == "区块链和分布式记账技术 术语" and item.published == "2025-08-12"


@pytest.mark.parametrize("state, stage", [("现行", "effective"), ("即将实施", "published"), ("废止", "withdrawn")])
def test_standard_state_and_number_are_hints(state, stage) -> None:
    row = {"id": "B2", "C_STD_CODE": "GB/T 42752—2023", "C_C_NAME": "<sacinfo>区块链</sacinfo>和分布式记账技术 参考架构",
           "STATE": state, "ISSUE_DATE": "2023-05-23", "ACT_DATE": "2023-12-01"}
    [item] = parse_rows([row, {"C_C_NAME": "no id"}], SRC, "standards")
    assert item.hints == {"kind": "standard", "level": "national", "standard_numbers": ["GB/T 42752-2023"], "stage": stage}
    assert item.title == "GB/T 42752-2023 区块链和分布式记账技术 参考架构" and item.published == "2023-05-23"


@pytest.mark.parametrize("body, message", [("<html>维护中</html>", "malformed JSON"), ('{"total": 0}', "no rows list")])
def test_broken_answers_are_changed_sources(body, message) -> None:
    with pytest.raises(SourceChanged, match=message):
        parse_answer(body, "u")


def page(total: int, *rows: dict) -> Reply:
    return Reply(200, json.dumps({"total": total, "rows": list(rows)}).encode())


@pytest.mark.parametrize("options, replies, requests, count", [
    ({"page_size": 2}, [page(5, plan("1", "正在起草"), plan("2", "正在起草")), page(5, plan("3", "正在起草")), page(5)], 3, 3),
    ({"page_size": 2}, [page(4, plan("1", "正在起草"), plan("1", "正在起草")), page(4, plan("2", "已发布"))], 2, 2),
    ({"page_size": 2, "pages": 1}, [page(9, plan("1", "正在起草"), plan("2", "正在起草"))], 1, 2),
    ({}, [page(1, plan("1", "正在起草"))], 1, 1),
])
def test_paging_stops_and_duplicates_are_dropped(scripted, options, replies, requests, count) -> None:
    calls = iter(replies + [Reply(500)])
    scripted.script["/gb/search/gbProcessInfoPage"] = lambda: next(calls)
    src = parse_entry({"id": "t-samr", "kind": "samr-std", "url": scripted.url("/gb/gbQuery"), "mode": "plans",
                       "search_text": "区块链", **options}, 1)
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        items = fetch(src, http, lambda urls: set())
    hits = [p for p in scripted.hits if p.startswith("/gb/search/")]
    assert len(hits) == requests and len(items) == count
    assert "searchText=%E5%8C%BA%E5%9D%97%E9%93%BE" in hits[0] and "pageNumber=1" in hits[0]
