"""html-list: selectors, titles, paging stops, duplicates, the WZWS POST fallback."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from connectors.catalog import parse_entry
from connectors.errors import SourceBlocked, SourceChanged, SourceUnavailable
from connectors.html_list import Paging, best_title, fetch, page_url, parse_detail, parse_list, read_pager
from connectors.http import HttpClient, HttpOptions
from infra.replay import ReplayServer
from records.items import FetchedItem
from tests.servers import Reply

ROW = '<li><a href="/c/post_{n}.html" title="{t}">{text}</a><span>2026-11-{n:02d}</span></li>'
CHALLENGE = b"<html><noscript>\xe8\xaf\xb7\xe5\xbc\x80\xe5\x90\xafJavaScript</noscript><script>var dynamicurl='/WZWSREL';</script></html>"


def source(url: str, **options):
    return parse_entry({"id": "t-list", "kind": "html-list", "url": url, "item_selector": "ul li",
                        "date_selector": "span", **options}, 1)


def listing(*numbers: int) -> bytes:
    rows = "".join(ROW.format(n=n, t=f"标题{n}", text=f"标题{n}") for n in numbers)
    return f"<html><body><ul>{rows}</ul></body></html>".encode()


@pytest.mark.parametrize("text, attr, expected", [
    ("关于公开征求《区块链…", "关于公开征求《区块链 节点要求》意见的通知", "关于公开征求《区块链 节点要求》意见的通知"),
    ("金融分布式账本...", "《金融分布式账本技术安全规范》金融行业标准正式发布", "《金融分布式账本技术安全规范》金融行业标准正式发布"),
    ("", "只在属性里的标题", "只在属性里的标题"),
    ("完整标题", "栏目说明", "完整标题"),
    ("完整标题", None, "完整标题"),
])
def test_title_prefers_the_attribute_when_text_is_truncated(text, attr, expected) -> None:
    assert best_title(text, attr) == expected


@pytest.mark.parametrize("pattern, n, expected", [
    ("index_{n}.html", 1, "https://amr.sz.gov.cn/xxgk/qt/tzgg/index.html"),
    ("index_{n}.html", 3, "https://amr.sz.gov.cn/xxgk/qt/tzgg/index_3.html"),
    ("index_{n0}.html", 2, "https://amr.sz.gov.cn/xxgk/qt/tzgg/index_1.html"),
    ("21892-{n}.html", 2, "https://amr.sz.gov.cn/xxgk/qt/tzgg/21892-2.html"),
])
def test_page_urls(pattern, n, expected) -> None:
    assert page_url("https://amr.sz.gov.cn/xxgk/qt/tzgg/index.html", pattern, n) == expected


def test_rows_without_links_and_duplicates_are_dropped() -> None:
    page = listing(3, 2, 3).replace(b"<ul>", b'<ul><li class="line"></li>')
    items = parse_list(page.decode(), "https://x.gov.cn/l/index.html", "t", source("https://x.gov.cn/").options)
    assert [(i.url, i.published) for i in items] == [("https://x.gov.cn/c/post_3.html", "2026-11-03"),
                                                     ("https://x.gov.cn/c/post_2.html", "2026-11-02")]


def test_selectors_matching_nothing_is_a_changed_source() -> None:
    with pytest.raises(SourceChanged, match="selectors matched nothing"):
        parse_list("<html><div class='new-layout'></div></html>", "https://x.gov.cn/", "t",
                   source("https://x.gov.cn/").options)


@pytest.mark.parametrize("pages, script, requested, count", [
    (5, {"/l/index_2.html": [Reply(200, listing(3))], "/l/index_3.html": [Reply(404)]}, 3, 3),   # 404 ends
    (5, {"/l/index_2.html": [Reply(200, b"<html><ul></ul></html>")]}, 2, 2),                    # empty page ends
    (5, {"/l/index_2.html": [Reply(200, listing(1, 2))]}, 2, 2),                                # nothing new ends
    (2, {"/l/index_2.html": [Reply(200, listing(3))], "/l/index_3.html": [Reply(200, listing(4))]}, 2, 3),  # max
])
def test_paging_stops(scripted, pages, script, requested, count) -> None:
    scripted.script["/l/index.html"] = [Reply(200, listing(1, 2))]
    scripted.script.update(script)
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        items = fetch(source(scripted.url("/l/index.html"), pages=pages), http, lambda urls: set())
    assert len([p for p in scripted.hits if p.startswith("/l/")]) == requested
    assert len(items) == count


def test_a_missing_first_page_is_not_an_empty_list(scripted) -> None:
    scripted.script["/l/index.html"] = [Reply(404)]
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http, pytest.raises(SourceUnavailable, match="HTTP 404"):
        fetch(source(scripted.url("/l/index.html")), http, lambda urls: set())


def test_details_fill_date_source_body_and_attachments(scripted) -> None:
    scripted.script["/l/index.html"] = [Reply(200, listing(1, 2))]
    scripted.script["/c/post_1.html"] = [Reply(200, '<div class="tit"><span>发布时间：2026-11-01 17:35</span>'
                                              '<em>信息来源：深圳市金融办</em></div><div class="d">正文 <a href="/f/a.pdf">附件</a>'
                                              '</div><div class="fj"><a href="/f/b.docx">反馈表</a></div>'.encode())]
    opts = dict(detail_body_selector="div.d", detail_date_selector=".tit span", detail_source_selector=".tit em",
                detail_attachments_selector="div.fj")
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        items = fetch(source(scripted.url("/l/index.html"), **opts), http, lambda urls: {urls[1]})
    first, known = items
    assert (first.published, first.issuer, first.body) == ("发布时间：2026-11-01 17:35", "深圳市金融办", "正文 附件")
    assert [a.name for a in first.attachments] == ["附件", "反馈表"]
    assert known.partial and "/c/post_2.html" not in scripted.hits


def _replay(tmp_path: Path, post: bool) -> ReplayServer:
    folder = tmp_path / "t-list"
    folder.mkdir()
    (folder / "challenge.html").write_bytes(CHALLENGE)
    (folder / "list.html").write_bytes(listing(1, 2))
    routes = [{"path": "/l/index.html", "file": "challenge.html"}]
    if post:
        routes.append({"path": "/l/index.html", "file": "list.html", "method": "POST"})
    (folder / "routes.yaml").write_text(yaml.safe_dump(routes))
    return ReplayServer(tmp_path).start()


@pytest.mark.parametrize("fallback", [True, False])
def test_wzws_challenge_falls_back_to_post_only_when_configured(tmp_path, fallback) -> None:
    server = _replay(tmp_path, post=True)
    try:
        with HttpClient(HttpOptions(attempts=1, allow_private=True), rebase={"https://www.pbc.gov.cn": f"{server.base}/t-list"}) as http:
            src = source("https://www.pbc.gov.cn/l/index.html", post_fallback=fallback)
            if fallback:
                assert [i.title for i in fetch(src, http, lambda urls: set())] == ["标题1", "标题2"]
            else:
                with pytest.raises(SourceBlocked):
                    fetch(src, http, lambda urls: set())
    finally:
        server.stop()


def test_a_post_that_is_blocked_too_raises_blocked(tmp_path) -> None:
    server = _replay(tmp_path, post=False)
    (tmp_path / "t-list" / "routes.yaml").write_text(yaml.safe_dump([
        {"path": "/l/index.html", "file": "challenge.html"},
        {"path": "/l/index.html", "file": "challenge.html", "method": "POST"}]))
    server.stop()
    server = ReplayServer(tmp_path).start()
    try:
        with HttpClient(HttpOptions(attempts=1, allow_private=True), rebase={"https://www.pbc.gov.cn": f"{server.base}/t-list"}) as http:
            with pytest.raises(SourceBlocked):
                fetch(source("https://www.pbc.gov.cn/l/index.html", post_fallback=True), http, lambda urls: set())
    finally:
        server.stop()


# PBOC's eportal pager as file id 70990762306 quotes it: page 2's URL in tagname, the count in
# a hidden input. Page numbers are named by a module id in one column, a uuid prefix in another.
def pager(prefix: str, total: int | None, *links: int) -> str:
    anchors = "".join(f"<a onclick=\"queryArticleByCondition(this,'/l/{prefix}-{n}.html')\" "
                      f'tagname="/l/{prefix}-{n}.html">{n}</a>' for n in links)
    count = f'<input type="hidden" name="article_paging_list_hidden" moduleid="{prefix}" totalpage="{total}">' \
        if total is not None else ""
    return f'<div><a tagname="/l/index.html">首页</a>{anchors}{count}</div>'


PAGER = dict(pager_selector="a[tagname]", pager_attr="tagname",
             page_count_selector="input[name=article_paging_list_hidden]", page_count_attr="totalpage")


@pytest.mark.parametrize("markup, expected", [
    (pager("21892", 6, 2, 6), Paging("https://www.pbc.gov.cn/l/21892-{n}.html", 6)),
    (pager("3b3662a6", 22, 2), Paging("https://www.pbc.gov.cn/l/3b3662a6-{n}.html", 22)),
    (pager("3b3662a6", None, 2), Paging("https://www.pbc.gov.cn/l/3b3662a6-{n}.html", 2)),  # no count: page 2 exists
    ('<div><a tagname="/l/index.html">首页</a></div>', Paging("index_{n}.html", 1)),      # no pager: one page
])
def test_the_pager_is_read_from_page_one(markup, expected) -> None:
    opts = source("https://www.pbc.gov.cn/l/index.html", **PAGER).options
    assert read_pager(markup, "https://www.pbc.gov.cn/l/index.html", opts) == expected


def _paged(*numbers: int, total: int) -> bytes:
    return listing(*numbers).replace(b"</ul>", b"</ul>" + pager("7c1e9a4f", total, 2).encode())


@pytest.mark.parametrize("total, later, requested, count", [
    (3, {"/l/7c1e9a4f-2.html": [Reply(200, listing(3))], "/l/7c1e9a4f-3.html": [Reply(200, listing(4))]}, 3, 4),
    (2, {"/l/7c1e9a4f-2.html": [Reply(200, listing(3))], "/l/7c1e9a4f-3.html": [Reply(200, listing(4))]}, 2, 3),
])
def test_paging_follows_the_pager_to_its_stated_last_page(scripted, total, later, requested, count) -> None:
    scripted.script["/l/index.html"] = [Reply(200, _paged(1, 2, total=total))]
    scripted.script.update(later)
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        items = fetch(source(scripted.url("/l/index.html"), pages=5, **PAGER), http, lambda urls: set())
    assert len([p for p in scripted.hits if p.startswith("/l/")]) == requested
    assert len(items) == count


def test_a_missing_page_the_pager_promised_is_a_changed_source(scripted) -> None:
    scripted.script["/l/index.html"] = [Reply(200, _paged(1, 2, total=3))]
    scripted.script["/l/7c1e9a4f-2.html"] = [Reply(404)]
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http, \
            pytest.raises(SourceChanged, match="pager promised this page"):
        fetch(source(scripted.url("/l/index.html"), pages=5, **PAGER), http, lambda urls: set())


def test_details_fall_back_to_post_when_the_get_is_challenged(tmp_path) -> None:
    folder = tmp_path / "t-list"
    folder.mkdir()
    (folder / "challenge.html").write_bytes(CHALLENGE)
    (folder / "list.html").write_bytes(listing(1))
    (folder / "post_1.html").write_text('<div class="d">正文 <a href="/f/a.pdf">附件</a></div>', encoding="utf-8")
    (folder / "routes.yaml").write_text(yaml.safe_dump([
        {"path": "/l/index.html", "file": "challenge.html"},
        {"path": "/l/index.html", "file": "list.html", "method": "POST"},
        {"path": "/c/post_1.html", "file": "challenge.html"},
        {"path": "/c/post_1.html", "file": "post_1.html", "method": "POST"}]))
    server = ReplayServer(tmp_path).start()
    try:
        with HttpClient(HttpOptions(attempts=1, allow_private=True),
                        rebase={"https://www.pbc.gov.cn": f"{server.base}/t-list"}) as http:
            [item] = fetch(source("https://www.pbc.gov.cn/l/index.html", post_fallback=True,
                                  detail_body_selector="div.d"), http, lambda urls: set())
    finally:
        server.stop()
    assert (item.body, [a.name for a in item.attachments], item.warnings) == ("正文 附件", ["附件"], ())


@pytest.mark.parametrize("page, expected", [
    ('<meta name="PubDate" content="2026-11-25 16:40:12"><div class="d">正文</div>', "2026-11-25 16:40:12"),
    ('<div class="t">2026-11-24</div><meta name="PubDate" content="2026-11-25 16:40"><div class="d">正文</div>',
     "2026-11-24"),                                   # a visible date wins over the meta
    ('<div class="d">正文</div>', "2026-11-01"),       # neither: the list's date stays
])
def test_the_detail_date_may_come_from_an_nfcms_meta(page, expected) -> None:
    opts = source("https://amr.gd.gov.cn/", detail_body_selector="div.d", detail_date_selector="div.t",
                  detail_date_meta="PubDate").options
    item = FetchedItem("t", "https://amr.gd.gov.cn/zwgk/tzgg/content/post_1.html", "通知", published="2026-11-01")
    assert parse_detail(page, item, opts).published == expected


@pytest.mark.parametrize("options, title", [
    ({}, "X.1412"),
    ({"title_selector": "td.t"}, "Security threats to online voting using DLT Under study"),
    ({"title_selector": "td.t", "number_selector": "td.n a", "number_prefix": "ITU-T "},
     "ITU-T X.1412 Security threats to online voting using DLT Under study"),
    ({"title_selector": "td.n", "number_selector": "td.n a"}, "X.1412"),  # the title already starts with it
    ({"title_selector": "td.t", "drop_selector": "span.small"}, "Security threats to online voting using DLT"),
    ({"title_selector": "td.t", "number_selector": "td.n a", "drop_selector": "td.t span"},
     "X.1412 Security threats to online voting using DLT"),
])
def test_titles_take_a_number_cell_and_drop_labels(options, title) -> None:
    page = ('<table><tr><td class="n"><a href="wp_item.aspx?isn=1">X.1412</a></td><td class="t">Security threats'
            ' to online voting using DLT<span class="small"> Under study</span></td></tr></table>')
    opts = source("https://www.itu.int/ITU-T/workprog/wp_search.aspx", item_selector="table tr",
                  **{"link_selector": "td.n a", **options}).options
    [item] = parse_list(page, "https://www.itu.int/ITU-T/workprog/wp_search.aspx", "t-list", opts)
    assert (item.title, item.url) == (title, "https://www.itu.int/ITU-T/workprog/wp_item.aspx?isn=1")
