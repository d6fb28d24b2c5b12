"""jpaas-unit: script-tag discovery, the JSON-wrapped fragment, detail pages, broken answers."""
from __future__ import annotations

import json

import pytest

from connectors.catalog import parse_entry
from connectors.errors import SourceChanged
from connectors.http import HttpClient, HttpOptions
from connectors.jpaas_unit import fetch, find_unit_call, fragment_of, parse_list
from tests.servers import Reply

PAGE = """<html><body><div class="clist_con"><div>x</div>
<script parseType="{pt}" url="/api-gateway/jpaas-publish-server/front/page/build/unit"
 querydata="{{'webId':'w1','pageId':'p1','tagId':'右侧内容','editType':null}}"></script></div></body></html>"""
FRAGMENT = ('<ul><li><span class="fr">2026-09-19</span><a href="/gzcy/yjzj/art/2026/art_a.html" '
            'title="关于公开征求《区块链 节点服务能力要求》行业标准（征求意见稿）意见的通知">关于公开征求《区块链…</a>'
            '<span class="endtime" style="display:none">1792339200000</span></li>'
            '<li class="border-line"></li><li class="empty"></li>'
            '<li><span class="fr">2026-09-18</span><a href="/gzcy/yjzj/art/2026/art_b.html">短标题</a></li>'
            '<li><span class="fr">2026-09-18</span><a href="/gzcy/yjzj/art/2026/art_b.html">短标题</a></li></ul>')


def source(url: str, **options):
    return parse_entry({"id": "t-jpaas", "kind": "jpaas-unit", "url": url, **options}, 1)


@pytest.mark.parametrize("parse_type", ["buildstatic", "bulidstatic"])
def test_finds_the_unit_call_in_the_script_tag(parse_type: str) -> None:
    url, params = find_unit_call(PAGE.format(pt=parse_type), "https://www.miit.gov.cn/gzcy/yjzj/index.html")
    assert url == "https://www.miit.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit"
    assert params == {"parseType": parse_type, "webId": "w1", "pageId": "p1", "tagId": "右侧内容",
                      "editType": "null"}


def test_page_without_script_tag_is_a_changed_source() -> None:
    with pytest.raises(SourceChanged, match="no jpaas script tag"):
        find_unit_call("<html><script src='/x.js'></script></html>", "https://x.gov.cn/")


@pytest.mark.parametrize("body, message", [
    ('{"data": {"html": "<ul>', "malformed JSON"),
    ('{"success": false, "data": null}', "no data.html"),
    ('[1, 2, 3]', "no data.html"),
    ("<html>error page</html>", "malformed JSON"),
])
def test_broken_api_answers_are_changed_sources(body: str, message: str) -> None:
    with pytest.raises(SourceChanged, match=message):
        fragment_of(body, "https://x.gov.cn/api")


def test_list_rows_titles_dates_deadlines_and_duplicates() -> None:
    items = parse_list(FRAGMENT, source("https://www.miit.gov.cn/gzcy/yjzj/index.html"),
                       source("https://www.miit.gov.cn/").options)
    assert [(i.url.rsplit("/", 1)[-1], i.published, i.deadline) for i in items] == [
        ("art_a.html", "2026-09-19", "1792339200000"), ("art_b.html", "2026-09-18", None)]
    # A truncated anchor text falls back to the full @title.
    assert items[0].title.endswith("（征求意见稿）意见的通知")


def test_detail_failure_keeps_the_notice_with_a_warning(scripted) -> None:
    fragment = FRAGMENT.replace("/gzcy/yjzj/art/2026/", "/d/")
    scripted.script["/list/index.html"] = [Reply(200, PAGE.format(pt="buildstatic").encode())]
    scripted.script["/api-gateway/jpaas-publish-server/front/page/build/unit"] = [
        Reply(200, json.dumps({"data": {"html": fragment}}).encode(), {"Content-Type": "application/json"})]
    scripted.script["/d/art_a.html"] = [Reply(200, b'<meta name="PubDate" content="2026-09-19 10:00">'
                                               b'<div id="con_con">body <a href="/f/x.pdf">att</a></div>')]
    scripted.script["/d/art_b.html"] = [Reply(404)]
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        items = fetch(source(scripted.url("/list/index.html")), http, lambda urls: set())
    assert items[0].published == "2026-09-19 10:00" and items[0].body.startswith("body")
    assert [a.name for a in items[0].attachments] == ["att"]
    assert items[1].warnings and "HTTP 404" in items[1].warnings[0]
    assert [i.detail_failed for i in items] == [False, True]  # so the store retries that one
    # The unit API was called with the querydata and the Referer the real site expects.
    api_headers = scripted.request_headers[1]
    assert api_headers["Referer"].endswith("/list/index.html")


def test_known_items_skip_their_detail_page(scripted) -> None:
    scripted.script["/list/index.html"] = [Reply(200, PAGE.format(pt="buildstatic").encode())]
    scripted.script["/api-gateway/jpaas-publish-server/front/page/build/unit"] = [
        Reply(200, json.dumps({"data": {"html": FRAGMENT.replace("/gzcy/yjzj/art/2026/", "/d/")}}).encode())]
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        items = fetch(source(scripted.url("/list/index.html")), http, lambda urls: set(urls))
    assert all(i.partial for i in items)
    assert not any(path.startswith("/d/") for path in scripted.hits)
