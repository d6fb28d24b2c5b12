"""Rendering is pure: a notice and a subscription in, a message out."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from alerts import blocks, render
from alerts.subscriptions import Filters, Subscription
from records.notice import Notice
from tests.connectors.test_store import make_notice

SUB = Subscription("sub-1", "email", "analyst@example.org", Filters())
NOTICE = replace(make_notice("https://www.miit.gov.cn/a.html",
                             "关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知"),
                 standard_numbers=["GB/T 42752-2023"], summary="请于2026年12月20日前反馈意见。",
                 attachments=[{"url": "https://www.miit.gov.cn/f.pdf", "name": "征求意见稿.pdf"}])


def test_email_carries_the_facts_in_both_parts(monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_LINK_KEY", "k" * 32)
    monkeypatch.setenv("REGWATCH_PUBLIC_URL", "https://regwatch.example.org")
    mail = render.email(NOTICE, SUB)
    assert mail.subject == ("[regwatch] Draft for comment: 关于公开征求《区块链 跨链互操作技术要求》"
                            "国家标准（征求意见稿）意见的通知")
    for part in (mail.text, mail.html):
        for fact in ("GB/T 42752-2023", "2026-12-20", "https://www.miit.gov.cn/a.html", "征求意见稿.pdf",
                     "sub-1"):
            assert fact in part
    assert dict(mail.headers)["List-Unsubscribe"].startswith("<https://regwatch.example.org/u/sub-1.")


def test_publisher_markup_is_inert_in_html_and_headers() -> None:
    hostile = replace(NOTICE, title='标准<script>alert(1)</script>\r\nBcc: victim@example.org',
                      summary='<img src=x onerror="steal()">')
    mail = render.email(hostile, SUB)
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "<img" not in mail.html
    assert "\r" not in mail.subject and "\n" not in mail.subject


def test_console_line() -> None:
    line = render.console(NOTICE, SUB)
    assert line.startswith("ALERT sub-1 draft: 关于公开征求") and "[GB/T 42752-2023]" in line
    assert "\n" not in line


# --- What to do, by when (issue 15 §1): pure renders as of an injected date -----------------------

TODAY = date(2026, 12, 6)
AFTER = date(2026, 12, 21)  # the day after the deadline
FULL = replace(NOTICE, level="national", comment_deadline="2026-12-20",
               title_en="Public consultation on the national standard Blockchain - Cross-chain interoperability",
               title_en_origin="gloss",
               comments_to={"emails": ["bzs@miit.gov.cn"], "postal_address": "北京市西城区西长安街13号 科技司",
                            "contact": "张三", "phones": ["010-68205240", "010-68205241"],
                            "form_url": "https://www.miit.gov.cn/form.html"},
               attachments=[
                   {"url": "https://www.miit.gov.cn/f.pdf", "name": "征求意见稿.pdf", "type": "draft", "format": "pdf"},
                   {"url": "https://www.miit.gov.cn/e.docx", "name": "编制说明.docx", "type": "explanation",
                    "format": "docx"},
                   {"url": "https://www.miit.gov.cn/fb.doc", "name": "意见反馈表.doc", "type": "feedback_form",
                    "format": "doc"}])

FULL_TEXT = """\
Draft for comment (征求意见) · national · 工业和信息化部

关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知
Public consultation on the national standard Blockchain - Cross-chain interoperability
https://www.miit.gov.cn/a.html

Published:    2026-11-20
Standard:     GB/T 42752-2023
Comments close 2026-12-20 — 14 days left

Send comments to:
  E-mail: bzs@miit.gov.cn
  Post: 北京市西城区西长安街13号 科技司
  Contact: 张三
  Phone: 010-68205240, 010-68205241
  Form: https://www.miit.gov.cn/form.html

请于2026年12月20日前反馈意见。

Documents:
- Draft (PDF) 征求意见稿.pdf: https://www.miit.gov.cn/f.pdf
- Explanation (DOCX) 编制说明.docx: https://www.miit.gov.cn/e.docx
- Feedback form (DOC) 意见反馈表.doc: https://www.miit.gov.cn/fb.doc

--
Subscription sub-1 · to stop, ask your regwatch operator (regwatch unsubscribe sub-1)
"""


def test_email_snapshot_what_to_do_by_when() -> None:
    mail = render.email(FULL, SUB, today=TODAY)
    assert mail.subject == ("[regwatch] Draft for comment: 关于公开征求《区块链 跨链互操作技术要求》"
                            "国家标准（征求意见稿）意见的通知")
    assert mail.text == FULL_TEXT
    for fact in ('<a href="https://www.miit.gov.cn/f.pdf">Draft (PDF)</a>',
                 '<a href="https://www.miit.gov.cn/fb.doc">Feedback form (DOC)</a>',
                 "<strong>Comments close 2026-12-20 — 14 days left</strong>", FULL.title_en,
                 "bzs@miit.gov.cn", '<a href="https://www.miit.gov.cn/form.html">'):
        assert fact in mail.html


def test_slack_alert_carries_the_same_facts() -> None:
    msg = blocks.alert(FULL, SUB, today=TODAY)
    text = json.dumps(msg.blocks, ensure_ascii=False)
    assert msg.blocks[0]["text"]["text"] == "📄 Draft for comment"
    assert FULL.title_en in msg.blocks[1]["text"]["text"]
    assert "*Comments*\\nComments close 2026-12-20 — 14 days left" in text
    assert "<https://www.miit.gov.cn/f.pdf|Draft (PDF)> 征求意见稿.pdf" in text
    assert "<https://www.miit.gov.cn/e.docx|Explanation (DOCX)>" in text
    assert "*Send comments to*\\nE-mail: bzs@miit.gov.cn" in text
    assert "comments close 2026-12-20 — 14 days left" in msg.text
    line = render.console(FULL, SUB, today=TODAY)
    assert "(comments close 2026-12-20 — 14 days left)" in line and "Draft (PDF) https://www.miit.gov.cn/f.pdf" in line


def _everything(notice, sub=SUB, today=AFTER) -> str:
    mail = render.email(notice, sub, today=today)
    slack = blocks.alert(notice, sub, today=today)
    return "\n".join([mail.subject, mail.text, mail.html, slack.text, json.dumps(slack.blocks, ensure_ascii=False),
                      render.console(notice, sub, today=today)])


def test_a_closed_draft_is_never_presented_as_open() -> None:
    everything = _everything(FULL)
    assert "comments closed on 2026-12-20" in everything.lower()
    assert render.email(FULL, SUB, today=AFTER).subject.startswith("[regwatch] Draft, comments closed on 2026-12-20: ")
    assert blocks.alert(FULL, SUB, today=AFTER).blocks[0]["text"]["text"] == "📄 Draft, comments closed on 2026-12-20"
    for wording in ("Draft for comment", "days left", "last day", "Send comments to", "comments to:",
                    "bzs@miit.gov.cn", "form.html"):
        assert wording not in everything
    assert "Draft (PDF)" in everything  # the documents stay: they are the record
    # On its last day it is still open.
    assert "last day today" in _everything(FULL, today=date(2026, 12, 20))


@pytest.mark.parametrize("lang, title_en, shown, under", [
    ("both", "Blockchain cross-chain", NOTICE.title, "Blockchain cross-chain"),
    ("zh", "Blockchain cross-chain", NOTICE.title, None),
    ("en", "Blockchain cross-chain", "Blockchain cross-chain", None),
    ("en", "", NOTICE.title, None),  # no English line yet: the title rather than nothing
    ("both", "", NOTICE.title, None),
    ("both", NOTICE.title, NOTICE.title, None),  # an English notice: its title once
])
def test_the_subscriptions_language_picks_the_titles(lang, title_en, shown, under) -> None:
    notice, sub = replace(NOTICE, title_en=title_en), replace(SUB, lang=lang)
    assert render.titles(notice, lang) == (shown, under)
    mail = render.email(notice, sub, today=TODAY)
    assert mail.subject.endswith(shown) and (under is None or under not in mail.subject)
    assert mail.text.count(title_en or "Blockchain") == (1 if title_en and lang != "zh" else 0)
    assert (NOTICE.title in mail.text) is (shown == NOTICE.title)
    first = blocks.alert(notice, sub, today=TODAY).blocks[1]["text"]["text"]
    assert first.count("\n") == (2 if under else 1) and shown in first


@pytest.mark.parametrize("attachment, label", [
    ({"type": "draft", "format": "pdf"}, "Draft (PDF)"),
    ({"type": "explanation", "format": "docx"}, "Explanation (DOCX)"),
    ({"type": "feedback_form", "format": "doc"}, "Feedback form (DOC)"),
    ({"type": "standard_text", "format": "ofd"}, "Standard text (OFD)"),
    ({"type": "other", "format": "zip"}, "Document (ZIP)"),
    ({"type": "draft", "format": None}, "Draft"),
    ({}, "Document"),  # indexed before attachments were typed
    ({"type": "surprise", "format": "wps"}, "Document (WPS)"),
])
def test_document_labels(attachment, label) -> None:
    notice = replace(NOTICE, attachments=[{"url": "https://x/f", "name": "f", **attachment}])
    assert [d.label for d in render.documents(notice)] == [label]


def test_only_web_links_are_linked() -> None:
    notice = replace(NOTICE, attachments=[{"url": "javascript:alert(1)", "name": "x", "type": "draft"},
                                          {"url": "file:///etc/passwd", "name": "y"}],
                     comments_to={"form_url": "javascript:steal()", "emails": []})
    assert render.documents(notice) == [] and render.comments_to(notice, TODAY) == []
    assert "javascript" not in _everything(notice, today=TODAY)


def _huge() -> Notice:
    many = [{"url": f"https://www.miit.gov.cn/{'long/' * 60}{i}.pdf", "name": "很长的附件名称" * 40,
             "type": "draft", "format": "pdf"} for i in range(300)]
    return replace(FULL, title="《区块链》" * 400, title_en="Blockchain " * 400, summary="意见" * 5000,
                   attachments=many, comments_to={"emails": [f"a{i}@miit.gov.cn" for i in range(500)],
                                                  "postal_address": "地址" * 2000, "phones": ["010"] * 500,
                                                  "form_url": "https://x/" + "f" * 3000})


def _within_slack_limits(msg) -> None:
    assert len(msg.blocks) <= blocks.MAX_BLOCKS and len(msg.text) <= blocks.TEXT_LIMIT
    for b in msg.blocks:
        if b["type"] == "section" and "text" in b:
            text = b["text"]["text"]
            assert len(text) <= blocks.TEXT_LIMIT
            assert text.count("<") == text.count(">") == text.count("|<") + text.count("<http")  # no cut link
        for f in b.get("fields", []):
            assert len(f["text"]) <= blocks.FIELD_LIMIT
        assert len(b.get("fields", [])) <= 10
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= blocks.HEADER_LIMIT


def test_slack_alert_stays_within_slack_limits() -> None:
    msg = blocks.alert(_huge(), SUB, today=TODAY)
    _within_slack_limits(msg)
    docs = next(b["text"]["text"] for b in msg.blocks if b.get("text", {}).get("text", "").startswith("*Documents*"))
    assert docs.endswith("more") and docs.count("Draft (PDF)") >= 1


def test_slack_batch_stays_within_slack_limits() -> None:
    notices = tuple(replace(_huge(), id=f"n{i}", url=f"https://x/{i}", standard_key=f"k{i % 40}") for i in range(400))
    msg = blocks.batch(render.Batch("400 new notices", notices, "summary:x"), SUB, today=TODAY)
    _within_slack_limits(msg)
    assert "…and" in msg.blocks[-2]["text"]["text"]


def _gb(source_id: str, url: str, stage: str = "published", **extra) -> Notice:
    return replace(make_notice(url, "GB/T 46337-2026 信息安全技术 区块链信息服务安全评估方法", stage=stage),
                   id=url, source_id=source_id, issuer=source_id, standard_key="num:GB/T 46337",
                   standard_numbers=["GB/T 46337-2026"], comment_deadline=None,
                   title_en="Information security technology - Security assessment of blockchain services", **extra)


def test_batch_snapshot_by_stage_and_standard() -> None:
    closed = replace(NOTICE, id="c", url="https://x/closed", title="《区块链 存证》（征求意见稿）",
                     comment_deadline="2026-11-08")
    notices = (_gb("samr-gb-standards", "https://std.samr.gov.cn/gb/1"), closed,
               _gb("openstd-gb", "https://openstd.samr.gov.cn/1"), replace(FULL, id="o"))
    text = render.email_batch(render.Batch("4 new notices", notices, "summary:y"), SUB, today=TODAY).text
    assert text == """\
4 new notices

Draft for comment (征求意见) (1)

- 关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知 [GB/T 42752-2023]
  Public consultation on the national standard Blockchain - Cross-chain interoperability
  Draft for comment · 工业和信息化部 · comments close 2026-12-20 — 14 days left
  https://www.miit.gov.cn/a.html
  Comments to: E-mail bzs@miit.gov.cn; Post 北京市西城区西长安街13号 科技司; Contact 张三; Phone 010-68205240, 010-68205241; Form https://www.miit.gov.cn/form.html
  Draft (PDF): https://www.miit.gov.cn/f.pdf
  Explanation (DOCX): https://www.miit.gov.cn/e.docx
  Feedback form (DOC): https://www.miit.gov.cn/fb.doc

Draft, comments closed (征求意见已截止) (1)

- 《区块链 存证》（征求意见稿） [GB/T 42752-2023]
  Draft · 工业和信息化部 · comments closed on 2026-11-08
  https://x/closed
  Document: https://www.miit.gov.cn/f.pdf

Published (发布) (1)

- GB/T 46337-2026 信息安全技术 区块链信息服务安全评估方法 [GB/T 46337-2026]
  Information security technology - Security assessment of blockchain services
  Published · samr-gb-standards
  https://std.samr.gov.cn/gb/1
  Published · openstd-gb
  https://openstd.samr.gov.cn/1

--
Subscription sub-1 · to stop, ask your regwatch operator (regwatch unsubscribe sub-1)
"""
    slack = blocks.batch(render.Batch("4 new notices", notices, "summary:y"), SUB, today=TODAY)
    labels = [b["text"]["text"].split("\n")[0] for b in slack.blocks if b["type"] == "section"]
    assert labels == ["*Draft for comment (征求意见)* (1)", "*Draft, comments closed (征求意见已截止)* (1)",
                      "*Published (发布)* (1)"]
    texts = [b["text"]["text"] for b in slack.blocks if b["type"] == "section"]
    assert "comments to: E-mail bzs@miit.gov.cn" in texts[0]  # the open draft says where comments go
    assert "comments to" not in texts[1]  # the closed one does not
    console = render.console_batch(render.Batch("4 new notices", notices, "summary:y"), SUB, today=TODAY)
    assert "comments closed on 2026-11-08" in console and "Draft for comment · 工业和信息化部 · comments close" in console
    assert console.count("comments to: E-mail bzs@miit.gov.cn") == 1
