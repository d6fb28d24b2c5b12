"""jpaas-unit: script-tag discovery, the JSON-wrapped fragment, detail pages, broken answers."""
from __future__ import annotations

import json

import pytest

from connectors.catalog import load_catalog, parse_entry
from connectors.errors import SourceBlocked, SourceChanged
from connectors.http import HttpClient, HttpOptions
from connectors.jpaas_unit import fetch, find_unit_call, fragment_of, parse_detail, parse_list, site_headers
from regwatch.pipeline import rebase_for
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


# A side list or pager built by its own buildstatic script ahead of the column's list: RSSHub
# reads the column's script by position (yjzj.ts, wjfb.ts), and so does the catalogue.
DECOY_PAGE = """<html><body><div class="side"><script parseType="buildstatic" url="/api-gateway/x/unit"
 querydata="{'webId':'w1','pageId':'side','tagId':'热点'}"></script></div>
<div class="clist_con"><div class="lmy_title">意见征集</div><script parseType="buildstatic"
 url="/api-gateway/jpaas-publish-server/front/page/build/unit" querydata="{'webId':'w1','pageId':'p1'}"></script>
</div></body></html>"""


@pytest.mark.parametrize("selector, page_id", [
    ("div.clist_con > script:nth-child(2)", "p1"),
    (None, "side"),  # without a selector the first buildstatic tag wins, which here is wrong
])
def test_script_selector_picks_the_columns_own_script(selector: str | None, page_id: str) -> None:
    _, params = find_unit_call(DECOY_PAGE, "https://www.miit.gov.cn/gzcy/yjzj/index.html", selector)
    assert params["pageId"] == page_id


def test_a_selector_matching_nothing_is_a_changed_source() -> None:
    with pytest.raises(SourceChanged, match="no jpaas script tag"):
        find_unit_call(DECOY_PAGE, "https://www.miit.gov.cn/", "div.lmy_main_rb > script:nth-child(2)")


@pytest.mark.parametrize("set_cookie, cookie", [
    ("__jsluid_s=2f0c6a1e9b7d4a53; max-age=31536000; path=/; HttpOnly", "__jsluid_s=2f0c6a1e9b7d4a53"),
    ("a=1, b=2; Path=/", "a=1"),  # two Set-Cookie headers as httpx joins them: the first one
    ("a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT, b=2", "a=1"),
    (None, None),
    ("garbage", None),
])
def test_site_headers_carry_the_referer_and_the_first_cookie(set_cookie: str | None, cookie: str | None) -> None:
    headers = site_headers("https://www.miit.gov.cn/gzcy/yjzj/index.html",
                           {"set-cookie": set_cookie} if set_cookie else {})
    assert headers.pop("Referer") == "https://www.miit.gov.cn/gzcy/yjzj/index.html"
    assert headers == ({"Cookie": cookie} if cookie else {})


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
    # The unit API and the detail pages were called with the Referer the real site expects.
    assert all(h["Referer"] == scripted.url("/list/index.html") for h in scripted.request_headers[1:])


def test_known_items_skip_their_detail_page(scripted) -> None:
    scripted.script["/list/index.html"] = [Reply(200, PAGE.format(pt="buildstatic").encode())]
    scripted.script["/api-gateway/jpaas-publish-server/front/page/build/unit"] = [
        Reply(200, json.dumps({"data": {"html": FRAGMENT.replace("/gzcy/yjzj/art/2026/", "/d/")}}).encode())]
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        items = fetch(source(scripted.url("/list/index.html")), http, lambda urls: set(urls))
    assert all(i.partial for i in items)
    assert not any(path.startswith("/d/") for path in scripted.hits)


@pytest.mark.parametrize("page, published", [
    # RSSHub's wjgs route reads the time from #con_time; the PubDate meta wins where a page has one.
    ('<div class="cinfo"><span id="con_time">发布时间：2026-11-25 16:30</span></div>'
     '<div class="ccontent">公示</div>', "发布时间：2026-11-25 16:30"),
    ('<meta name="PubDate" content="2026-11-25 16:30"><span id="con_time">2026-11-26 09:00</span>'
     '<div class="ccontent">公示</div>', "2026-11-25 16:30"),
    ('<div class="ccontent">公示</div>', "2026-11-25"),  # neither: the list's date stays
])
def test_detail_time_comes_from_the_meta_then_the_time_selector(page: str, published: str) -> None:
    src = source("https://www.miit.gov.cn/zwgk/wjgs/index.html", body_selector=".ccontent",
                 time_selector="#con_time")
    item = parse_list('<ul><li><a href="/zwgk/wjgs/art/2026/art_a.html">公示</a><span>2026-11-25</span></li></ul>',
                      src, src.options)[0]
    assert parse_detail(page, item, src.options).published == published


@pytest.mark.parametrize("selector, names", [
    (None, ["正文.pdf"]),  # without the option only the body's links count
    # samr.gov.cn: the 附件下载 list sits after the body, its class twice, the first one empty.
    ("ul.contentLeft0102box", ["正文.pdf", "征求意见稿.pdf", "反馈表.docx"]),
])
def test_attachments_listed_outside_the_body_are_read_from_every_block(selector: str | None,
                                                                       names: list[str]) -> None:
    src = source("https://www.sac.gov.cn/xw/tzgg/index.html", body_selector="div.Three_xilan_07",
                 attachments_selector=selector)
    item = parse_list('<ul><li><a href="/xw/tzgg/art/2026/art_a.html">通知</a><span>2026-11-25</span></li></ul>',
                      src, src.options)[0]
    page = ('<div class="Three_xilan_07"><p>见附件。<a href="/f/a.pdf">正文.pdf</a></p></div>'
            '<ul class="contentLeft0102box"></ul>'
            '<ul class="contentLeft0102box"><li class="contentLeft0103">'
            '<a href="/cms_files/filemanager/1/attach/b.pdf?fileName=征求意见稿.pdf">征求意见稿.pdf</a></li>'
            '<li class="contentLeft0103"><a href="/cms_files/filemanager/1/attach/c.docx?fileName=反馈表.docx">'
            '反馈表.docx</a></li><li><a href="/f/a.pdf">正文.pdf</a></li></ul>')
    assert [a.name for a in parse_detail(page, item, src.options).attachments] == names


@pytest.mark.parametrize("agent, blocked", [
    ("python-httpx/0.28", True),  # a bare scripted client: MIIT answers 403 (code-corpus file id 71595435488)
    (None, False),                # our honest browser-shaped UA with its contact URL, plus the Referer
])
def test_miit_refusing_a_bare_client_is_blocked_and_our_requests_pass(replay, agent: str | None,
                                                                      blocked: bool) -> None:
    src = next(s for s in load_catalog() if s.id == "miit-yjzj")
    options = HttpOptions(politeness=0, **({"user_agent": agent} if agent else {}))
    with HttpClient(options, rebase=rebase_for(src, replay.base)) as http:
        if blocked:
            with pytest.raises(SourceBlocked, match="HTTP 403"):
                fetch(src, http, lambda urls: set())
        else:
            assert len(fetch(src, http, lambda urls: set())) == 6
