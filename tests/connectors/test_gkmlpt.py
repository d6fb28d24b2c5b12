"""gkmlpt: _CONFIG discovery, category by id or name, epoch dates, paging stops, DETAIL content."""
from __future__ import annotations

import json

import pytest

from connectors.catalog import parse_entry
from connectors.errors import SourceChanged
from connectors.gkmlpt import category_id, fetch, parse_answer, parse_articles, parse_config, parse_detail
from connectors.http import HttpClient, HttpOptions
from records.items import FetchedItem
from tests.servers import Reply

TREE = [{"id": 1, "name": "政策法规", "children": [{"id": 11, "name": "地方标准", "children": []}]},
        {"id": 2, "name": "地方标准", "jump_url": "https://elsewhere/", "children": []}]
INDEX = "<script>window._CONFIG = {SID:'755038', TREE:%s, X:1};</script>" % json.dumps(TREE, ensure_ascii=False)


def source(url: str, **options):
    return parse_entry({"id": "t-gk", "kind": "gkmlpt", "url": url, **options}, 1)


def answer(*ids: int, total: int = 100) -> bytes:
    arts = [{"id": i, "title": f"通知{i}", "url": f"/gkmlpt/content/{i}/post_{i}.html", "create_time": 1795000000 + i}
            for i in ids]
    return json.dumps({"total": total, "classify": {"post_count": total}, "articles": arts}).encode()


def test_config_gives_sid_and_tree() -> None:
    assert parse_config(INDEX, "u") == ("755038", TREE)


@pytest.mark.parametrize("page", ["<html><script>var x = 1;</script></html>", "<script>window._CONFIG = {TREE:[]}</script>"])
def test_missing_config_or_sid_is_a_changed_source(page: str) -> None:
    with pytest.raises(SourceChanged, match="no window._CONFIG with a SID"):
        parse_config(page, "u")


@pytest.mark.parametrize("wanted, expected", [(721, 721), ("721", 721), ("地方标准", 11), ("政策法规", 1)])
def test_category_by_id_or_name_skipping_jump_nodes(wanted, expected) -> None:
    assert category_id(wanted, TREE, "u") == expected


def test_unknown_category_name_is_a_changed_source() -> None:
    with pytest.raises(SourceChanged, match="no category named"):
        category_id("不存在", TREE, "u")


@pytest.mark.parametrize("body, message", [("{not json", "malformed JSON"), ('{"total": 3}', "no articles list"),
                                           ("[1]", "no articles list")])
def test_broken_list_answers_are_changed_sources(body, message) -> None:
    with pytest.raises(SourceChanged, match=message):
        parse_answer(body, "u")


def test_articles_epoch_seconds_escaped_titles_junk_and_duplicates() -> None:
    data = {"articles": [
        {"id": 5, "title": "%u6DF1%u5733%u5E02 notice", "url": "https://amr.sz.gov.cn/gkmlpt/content/5/post_5.html",
         "create_time": 1795000000, "publisher": "深圳市市场监督管理局"},
        {"id": 0, "title": "", "url": ""}, "junk",
        {"id": 6, "title": "无 create_time", "post_url": "/gkmlpt/content/6/post_6.html", "display_publish_time": 1795000001},
        {"id": 5, "title": "重复", "url": "https://amr.sz.gov.cn/gkmlpt/content/5/post_5.html"}]}
    items = parse_articles(data, source("https://amr.sz.gov.cn/gkmlpt/index"))
    assert [(i.title, i.published, i.url.rsplit("/", 1)[-1]) for i in items] == [
        ("深圳市 notice", "1795000000", "post_5.html"), ("无 create_time", "1795000001", "post_6.html")]
    assert items[0].issuer == "深圳市市场监督管理局"


@pytest.mark.parametrize("pages, page2, page3, requests, count", [
    (3, Reply(404), Reply(500), 2, 2),                      # 404 past the last page
    (3, Reply(200, answer()), Reply(500), 2, 2),            # an empty page
    (3, Reply(200, answer(1, 2)), Reply(500), 2, 2),        # the last page served again
    (1, Reply(200, answer(3)), Reply(500), 1, 2),           # the configured page count
    # The API serves a recent slice only: post_count (100) is far above what it serves, and
    # reaching or missing it says nothing; only the pages themselves end the list.
    (3, Reply(200, answer(3, total=3)), Reply(200, answer(4, total=3)), 3, 4),
])
def test_paging_stops(scripted, pages, page2, page3, requests, count) -> None:
    scripted.script["/gkmlpt/index"] = [Reply(200, INDEX.encode())]
    calls = iter([Reply(200, answer(1, 2, total=100)), page2, page3, Reply(500)])
    scripted.script["/gkmlpt/api/all/11"] = lambda: next(calls)
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        items = fetch(source(scripted.url("/gkmlpt/index"), category="地方标准", pages=pages, fetch_detail=False),
                      http, lambda urls: set())
    assert len([p for p in scripted.hits if p.startswith("/gkmlpt/api/")]) == requests
    assert all(p.endswith("sid=755038") for p in scripted.hits if p.startswith("/gkmlpt/api/"))
    assert [i.title for i in items][:2] == ["通知1", "通知2"]
    assert len(items) == count


def test_an_http_catalogue_is_accepted() -> None:
    # Every confirmed gkmlpt site answers over plain http only (file id 53836515905).
    assert source("http://amr.gd.gov.cn/gkmlpt/index").origin == "http://amr.gd.gov.cn"


def test_detail_content_is_unescaped_html_with_attachments() -> None:
    content = json.dumps({"content": '<p>截止日期为2026年12月25日。</p><a class="nfw-cms-attachment" '
                                     'href="/attachment/0/88/88389/963149.pdf">征求意见稿.pdf</a>'}).replace("<", "\\u003C")
    item = FetchedItem("t", "https://amr.sz.gov.cn/gkmlpt/content/9/post_9.html", "t")
    got = parse_detail(f"<script>window._CONFIG.DETAIL = {content};</script>", item)
    assert got.body.startswith("截止日期为2026年12月25日。")
    assert [(a.url, a.name) for a in got.attachments] == [
        ("https://amr.sz.gov.cn/attachment/0/88/88389/963149.pdf", "征求意见稿.pdf")]
    assert parse_detail("<html></html>", item).warnings == ("detail page has no _CONFIG.DETAIL content",)
