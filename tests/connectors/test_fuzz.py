"""Parsers fuzzed with Hypothesis for a fixed budget: typed errors only, bounded time per input."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import gkmlpt, html_list, http, jpaas_unit, json_api, samr_std
from connectors.catalog import load_catalog, parse_entry
from connectors.errors import ConnectorError
from connectors.rss import parse_feed
from records.items import FetchedItem
from transforms.dates import parse_datetime
from transforms.numbers import extract_standard_numbers
from transforms.understand import understand

BUDGET = settings(max_examples=150, deadline=2000, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])
JPAAS = parse_entry({"id": "f-jpaas", "kind": "jpaas-unit", "url": "https://www.miit.gov.cn/x/index.html"}, 1)
REAL = {s.kind: s for s in load_catalog()}  # one real catalogued source of each kind

markup = st.recursive(
    st.text(alphabet=st.sampled_from("区块链<>/&;\"' =abc-0123456789年月日:\n"), max_size=40),
    lambda inner: st.builds(lambda tag, body: f"<{tag}>{body}</{tag}>",
                            st.sampled_from(["li", "a", "span", "div", "ul", "item", "title", "p"]), inner),
    max_leaves=20)
json_like = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                         lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                         max_leaves=15)


def bounded(fn, *args) -> None:
    start = time.monotonic()
    try:
        fn(*args)
    except ConnectorError:
        pass
    assert time.monotonic() - start < 2


@BUDGET
@given(st.binary(max_size=2000) | markup.map(str.encode))
def test_feed_parser(body: bytes) -> None:
    bounded(parse_feed, body, "f", "https://x.org/feed")


@BUDGET
@given(markup)
def test_jpaas_fragment_and_detail(fragment: str) -> None:
    bounded(jpaas_unit.parse_list, fragment, JPAAS, JPAAS.options)
    bounded(jpaas_unit.fragment_of, json.dumps({"data": {"html": fragment}}), "https://x/api")
    item = FetchedItem(source_id="f-jpaas", url="https://www.miit.gov.cn/x/a.html", title="t")
    bounded(jpaas_unit.parse_detail, fragment, item, JPAAS.options)
    bounded(jpaas_unit.find_unit_call, fragment, "https://www.miit.gov.cn/x/index.html")


def records(*keys: str) -> st.SearchStrategy:
    """Lists of API records with the keys a parser reads, holding anything JSON can."""
    return st.lists(st.dictionaries(st.sampled_from(keys), json_like, max_size=len(keys)), max_size=5)


@BUDGET
@given(json_like, records("url", "post_url", "title", "create_time", "abstract", "publisher"),
       records("id", "C_STD_CODE", "C_C_NAME", "C_PLAN_CODE", "CURRENT_LINK", "STATE", "ISSUE_DATE",
               "SEND_DATE", "ACT_DATE"))
def test_json_answers(value: object, articles: list, rows: list) -> None:
    for parse in (jpaas_unit.fragment_of, gkmlpt.parse_answer, http.parse_json, samr_std.parse_answer):
        bounded(parse, json.dumps(value), "https://x/api")
    answer = gkmlpt.parse_answer(json.dumps({"total": len(articles), "articles": articles}), "https://x/api")
    bounded(gkmlpt.parse_articles, answer, REAL["gkmlpt"])
    bounded(json_api.parse_items, value, REAL["json-api"], REAL["json-api"].options)
    for mode in ("plans", "standards"):
        bounded(samr_std.parse_rows, rows, REAL["samr-std"], mode)


@BUDGET
@given(markup)
def test_html_lists_and_gkmlpt_pages(page: str) -> None:
    source = REAL["html-list"]
    bounded(html_list.parse_list, page, source.url, source.id, source.options)
    item = FetchedItem(source_id=source.id, url=source.url, title="t")
    bounded(html_list.parse_detail, page, item, source.options)
    bounded(gkmlpt.parse_config, page, "https://amr.sz.gov.cn/gkmlpt/index")
    bounded(gkmlpt.parse_detail, page, item)


@BUDGET
@given(st.text(max_size=80))
def test_dates_numbers_and_understanding(text: str) -> None:
    start = time.monotonic()
    parse_datetime(text, now=datetime(2026, 11, 29, tzinfo=timezone.utc))
    numbers = extract_standard_numbers(text)
    assert all(n.isascii() for n in numbers)
    understand(title=text, summary=text)
    assert time.monotonic() - start < 2
