"""Standards committees (TC260, the national TC information system): scripted links, extension-less
downloads, label-keyed row dates, and the query the TC system's list requires."""
from __future__ import annotations

import pytest

from connectors import html
from connectors.catalog import CatalogError, load_catalog, parse_entry
from connectors.errors import SourceChanged, SourceUnavailable
from connectors.html_list import fetch, parse_detail, parse_list
from connectors.http import HttpClient
from infra.replay import ReplayServer
from records.items import FetchedItem
from regwatch.pipeline import rebase_for
from tests.conftest import FIXTURES

LIST = "https://www.tc260.org.cn/portal/suggestion"
SCRIPT = {"pattern": r"jumpDetail\('(?P<id>[0-9a-f]{32})','(?P<deadline>[^']*)'\)",
          "url": "/portal/suggestion-detail/{id}"}
HEX = "3bb57023c00a464faf4c2f7b9a5524c7"


def options(**extra):
    return parse_entry({"id": "t-tc", "kind": "html-list", "url": LIST, "item_selector": "div.item",
                        "link_selector": "a[onclick]", "date_selector": "span", **extra}, 1).options


def row(onclick: str, title: str = "关于国家标准《数据安全技术 个人信息保护合规审计专业机构能力要求》征求意见稿征求意见的通知") -> str:
    return f'<div class="item"><a target="_blank" onclick="{onclick}">{title}</a><span>2026-02-11</span></div>'


@pytest.mark.parametrize("onclick, url, deadline", [
    (f"jumpDetail('{HEX}','2026-04-12')", f"https://www.tc260.org.cn/portal/suggestion-detail/{HEX}", "2026-04-12"),
    (f"jumpDetail('{HEX}','')", f"https://www.tc260.org.cn/portal/suggestion-detail/{HEX}", None),  # no deadline
    ("jumpDetail('not-hex','2026-04-12')", None, None),                                             # not a notice
    ("", None, None),
])
def test_a_scripted_link_gives_the_url_and_deadline(onclick, url, deadline) -> None:
    page = "<html><body>" + row(f"jumpDetail('{'a' * 32}','2026-05-01')") + row(onclick) + "</body></html>"
    items = parse_list(page, LIST, "t-tc", options(link_script=SCRIPT))
    got = [(i.url, i.deadline) for i in items[1:]]
    assert got == ([(url, deadline)] if url else [])


def test_a_deadline_column_wins_over_the_scripted_one() -> None:
    page = row(f"jumpDetail('{HEX}','2026-04-12')").replace("<span>", "<em>截止日期：2026-04-30</em><span>")
    [item] = parse_list(page, LIST, "t-tc", options(link_script=SCRIPT, deadline_selector="em"))
    assert item.deadline == "截止日期：2026-04-30"


def test_without_link_script_a_row_needs_an_href() -> None:
    page = row(f"jumpDetail('{HEX}','2026-04-12')")
    with pytest.raises(SourceChanged, match="selectors matched nothing"):
        parse_list(page, LIST, "t-tc", options())


@pytest.mark.parametrize("bad", [{"pattern": "jumpDetail\\(("}, {"pattern": "(?P<id>x)", "extra": 1},
                                 {"pattern": "jumpDetail\\('(?P<key>[0-9a-f]+)'"}])  # url's {id} is not captured
def test_a_bad_link_script_fails_at_load_naming_the_source(bad) -> None:
    with pytest.raises(CatalogError, match="source t-tc: link_script"):
        options(link_script={"url": "/d/{id}", **bad})


DETAIL = """<div class="info"><p>各相关单位和专家：</p>
    <p>请于2026年4月12日前反馈意见。</p></div>
<div class="list"><ul>
  <li><label>征求意见稿：</label><a href="/sysFile/downloadFile/e83fb6ca44834427bb498c5a090d33d4">征求意见稿文本.pdf</a></li>
  <li><label>编制说明：</label><a href="/sysFile/downloadFile/7381e1e3bff5405ab6dfc1eb943abc9e">编制说明.pdf</a></li>
  <li><a href="/portal/suggestion">返回列表</a></li>
</ul></div>"""


def test_extension_less_downloads_are_attachments_and_the_back_link_is_not() -> None:
    # A /downloadFile/ endpoint whose link text names a .pdf is a document (html.attachments).
    opts = options(detail_body_selector="div.info", detail_attachments_selector="div.list")
    item = parse_detail(DETAIL, FetchedItem(source_id="t-tc", url=f"{LIST}-detail/{HEX}", title="t"), opts)
    assert [a.name for a in item.attachments] == ["征求意见稿文本.pdf", "编制说明.pdf"]
    assert all(a.url.startswith("https://www.tc260.org.cn/sysFile/downloadFile/") for a in item.attachments)


@pytest.mark.parametrize("markup, text", [
    ("<div>\n    <p>各相关单位和专家：</p>\n    <p>现公开征求意见。</p>\n</div>", "各相关单位和专家：\n现公开征求意见。"),
    ("<div><p>第一段</p><p>  第二段  </p></div>", "第一段\n第二段"),
    ("<div>联系人：王老师 <b>010-64981207</b></div>", "联系人：王老师 010-64981207"),
])
def test_indented_markup_leaves_no_space_at_line_starts(markup, text) -> None:
    assert html.text_of(html.parse(markup)) == text


def test_the_tc_system_refuses_a_list_request_without_its_notice_type() -> None:
    source = {s.id: s for s in load_catalog()}["tcrm-gs"]
    bare = source.model_copy(update={"url": source.url.replace("noticeType=suggest&", "")})
    server = ReplayServer(FIXTURES).start()
    try:
        with HttpClient(rebase=rebase_for(bare, server.base)) as http, pytest.raises(SourceUnavailable, match="400"):
            fetch(bare, http, lambda urls: set())
    finally:
        server.stop()


def test_the_tc_system_rows_are_read_by_their_date_labels() -> None:
    source = {s.id: s for s in load_catalog()}["tcrm-gs"]
    page = (FIXTURES / "tcrm-gs" / "list.html").read_text(encoding="utf-8")
    items = parse_list(page, source.url, source.id, source.options)
    assert [(i.published, i.deadline) for i in items][0] == ("发布日期：2026-11-20", "截止日期：2026-12-19")
    assert all(i.url.startswith("http://org.sacinfo.org.cn:8088/tcrm/html/") for i in items)
