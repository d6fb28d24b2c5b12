"""Rendering is pure: a notice and a subscription in, a message out."""
from __future__ import annotations

from dataclasses import replace

from alerts import render
from alerts.subscriptions import Filters, Subscription
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
