"""Attachments by the page's conventions: extensions, download endpoints, 附件/下载 labels, blocks."""
from __future__ import annotations

import pytest

from connectors import html

BASE = "https://www.cac.gov.cn/2026-11/21/c_1765468812345678.htm"


def found(fragment: str) -> list[tuple[str, str]]:
    root = html.parse(f"<div id='BodyLabel'>{fragment}</div>")
    return [(a.url, a.name) for a in html.attachments(html.first(root, "#BodyLabel"), BASE)]


@pytest.mark.parametrize("fragment, expected", [
    # CAC: an opaque filepath and an extension-less fText (code-corpus file id 71552936813).
    ('<a href="/cms/pub/interact/downloadfile.jsp?filepath=L3Vz4d2f9Q&fText=区块链信息服务管理规定">'
     "区块链信息服务管理规定（征求意见稿）</a>",
     [("https://www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=L3Vz4d2f9Q&fText=区块链信息服务管理规定",
       "区块链信息服务管理规定（征求意见稿）")]),
    # The same link with only a label for text: the name is fText's.
    ('<a href="/cms/pub/interact/downloadfile.jsp?filepath=Zx81&fText=备案清单">下载</a>',
     [("https://www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=Zx81&fText=备案清单", "备案清单")]),
    ('<a href="/module/download/download.jsp?classid=0&filename=2611211530.pdf">附件</a>',
     [("https://www.cac.gov.cn/module/download/download.jsp?classid=0&filename=2611211530.pdf", "2611211530.pdf")]),
    ('<a href="/Upload/DownLoad.aspx?id=8812&fileName=技术规范">点击下载</a>',
     [("https://www.cac.gov.cn/Upload/DownLoad.aspx?id=8812&fileName=技术规范", "技术规范")]),
    ('<a href="/DownLoad/6f1c2e">GB/T 42752-2023 区块链和分布式记账技术 参考架构</a>',
     [("https://www.cac.gov.cn/DownLoad/6f1c2e", "GB/T 42752-2023 区块链和分布式记账技术 参考架构")]),
    # An extension in the path; with no text, the file name.
    ('<a href="/files/2026/JRT0184-2020.pdf"></a>', [("https://www.cac.gov.cn/files/2026/JRT0184-2020.pdf", "JRT0184-2020.pdf")]),
    # The link text names a document although the URL does not.
    ('<a href="/getfile?id=77">附件2：意见反馈表.docx</a>', [("https://www.cac.gov.cn/getfile?id=77", "附件2：意见反馈表.docx")]),
    ('<a href="/getfile?id=78">编制说明.pdf</a>', [("https://www.cac.gov.cn/getfile?id=78", "编制说明.pdf")]),
    # Labelled 附件 in the link, or the line the link starts.
    ('<a href="/p/ff01">附件1 区块链平台技术要求</a>', [("https://www.cac.gov.cn/p/ff01", "附件1 区块链平台技术要求")]),
    ("<p>附件：<a href='/p/ff02'>征求意见稿</a></p>", [("https://www.cac.gov.cn/p/ff02", "征求意见稿")]),
    # Inside an attachment block (Shenzhen .fjdown, TRS .fujian).
    ("<div class='fjdown'><a href='/attachment/0/88/4095512'>深圳市金融行业区块链平台技术规范</a></div>",
     [("https://www.cac.gov.cn/attachment/0/88/4095512", "深圳市金融行业区块链平台技术规范")]),
    # Nav and related-notice links are not attachments, in or out of such a block.
    ("<a href='/index.htm'>首页</a><a href='/hdfw/wxan/A093802index_1.htm'>网信@你</a>"
     "<a href='/2026-11/14/c_1764894612345678.htm'>上一篇：关于发布第十五批境内区块链信息服务备案编号的公告</a>"
     "<a href='/xzzx/'>下载中心</a><a href='/zlxz/index.htm'>资料下载</a>"
     "<a href='javascript:window.print()'>打印</a><a href='#top'>附件</a><a href='mailto:a@cac.gov.cn'>下载</a>", []),
    ("<div class='fujian'><a href='/2026-11/07/c_1764289812345678.htm'>相关阅读</a></div>", []),
    # One file linked twice is one attachment, named by its first link.
    ('<a href="/f/a.pdf">草案</a><a href="/f/a.pdf">下载</a>', [("https://www.cac.gov.cn/f/a.pdf", "草案")]),
])
def test_attachments_follow_the_page_conventions(fragment: str, expected: list) -> None:
    assert found(fragment) == expected
