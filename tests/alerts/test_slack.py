"""Slack: Block Kit rendering (pure) and delivery against a real loopback Web API server."""
from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from alerts import blocks
from alerts import slack as delivery
from alerts.errors import DeliveryError
from alerts.render import Batch
from alerts.subscriptions import Filters, Subscription
from tests.connectors.test_store import make_notice
from tests.slack_server import Raw

SUB = Subscription("sub-1", "slack", "#standards", Filters())
NOTICE = replace(make_notice("https://www.miit.gov.cn/a.html",
                             "关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知"),
                 standard_numbers=["GB/T 42752-2023"], summary="请于2026年12月20日前反馈意见。")
HOSTILE = replace(NOTICE, title="<!channel> 区块链 <https://evil.example/login|点此登录> & <@U0BOSS>",
                  summary="<!here> see <https://evil.example|官方链接>", issuer="<!everyone>",
                  url="https://www.miit.gov.cn/a|b>c.html")


def everything(message: blocks.SlackMessage) -> str:
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


def test_alert_blocks_carry_the_facts_within_limits() -> None:
    message = blocks.alert(NOTICE, SUB)
    header, title, fields, summary, actions, footer = message.blocks
    assert actions["type"] == "actions"  # the buttons: tests/alerts/test_alert_buttons.py
    assert header["type"] == "header" and header["text"]["text"] == "📄 Draft for comment"
    assert title["text"]["text"].startswith("*<https://www.miit.gov.cn/a.html|关于公开征求《区块链")
    assert "工业和信息化部" in title["text"]["text"]
    facts = " ".join(f["text"] for f in fields["fields"])
    for fact in ("Draft for comment (征求意见)", "industry", "GB/T 42752-2023", "2026-12-20", "2026-11-20"):
        assert fact in facts
    assert summary["text"]["text"] == NOTICE.summary and "sub-1" in footer["elements"][0]["text"]
    assert message.text.startswith("Draft for comment: <https://www.miit.gov.cn/a.html|")
    assert message.thread_ts is None and not message.reply_broadcast
    long = blocks.alert(replace(NOTICE, title="链" * 5000, summary="<&>" * 5000), SUB)
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in long.blocks)
    assert not long.blocks[3]["text"]["text"].rstrip("…").endswith(("&", "&a", "&am", "&l", "&g"))


def test_publisher_text_cannot_ping_or_forge_links() -> None:
    message = blocks.alert(HOSTILE, SUB)
    text = everything(message)
    for live in ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<https://evil.example"):
        assert live not in text
    assert "&lt;!channel&gt;" in message.text and "&lt;!here&gt;" in json.dumps(message.blocks)
    assert "&lt;https://evil.example/login|点此登录&gt; &amp; &lt;@U0BOSS&gt;" in message.text
    # our link to the notice survives, with | and > percent-encoded so they cannot end it early
    assert "<https://www.miit.gov.cn/a%7Cb%3Ec.html|&lt;!channel&gt;" in message.blocks[1]["text"]["text"]
    assert blocks.link("javascript:alert(1)", "x") == "x"


def test_summary_lists_every_notice_grouped_by_stage() -> None:
    notices = tuple(replace(NOTICE, id=f"n{i}", url=f"https://x/{i}", title=f"标准 {i}",
                            stage="published" if i % 2 else "draft") for i in range(200))
    message = blocks.batch(Batch("200 new notices", notices, "summary:x"), SUB)
    assert len(message.blocks) <= 50 and message.blocks[0]["text"]["text"] == "📚 200 new notices"
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert sections[0].startswith("*Draft for comment (征求意见)* (100)")
    assert any(s.startswith("*Published (发布)* (100)") for s in sections)
    assert sum(s.count("• ") for s in sections) == 200  # every notice listed, none cut


def test_send_posts_blocks_and_text_and_returns_ts(slack) -> None:
    ts = slack_send(blocks.alert(NOTICE, SUB))
    [posted] = slack.messages
    assert posted.ts == ts and posted.channel == "#standards" and posted.thread_ts is None
    assert posted.text.startswith("Draft for comment:") and posted.blocks[0]["type"] == "header"
    assert slack.calls[-1][0] == "chat.postMessage"
    reply = slack_send(blocks.alert(NOTICE, SUB, ts))
    assert slack.messages[-1].thread_ts == ts and slack.messages[-1].reply_broadcast and reply != ts


def slack_send(message: blocks.SlackMessage, target: str = "#standards") -> str:
    return delivery.send(target, message)


def test_auth_test_and_refusals_are_one_line_without_the_token(slack, monkeypatch) -> None:
    assert delivery.check() == "regwatch-test as regwatch"
    with pytest.raises(DeliveryError, match=r"^Slack #nowhere: channel_not_found \(HTTP 200\)$"):
        slack_send(blocks.alert(NOTICE, SUB), "#nowhere")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong-secret-token")
    with pytest.raises(DeliveryError) as refused:
        slack_send(blocks.alert(NOTICE, SUB))
    assert "invalid_auth" in str(refused.value) and "xoxb" not in str(refused.value)
    assert "\n" not in str(refused.value) and not slack.messages


def test_rate_limit_waits_for_retry_after(slack) -> None:
    slack.queue(Raw(429, b'{"ok": false, "error": "ratelimited"}',
                    {"Retry-After": "1", "Content-Type": "application/json"}))
    slack_send(blocks.alert(NOTICE, SUB))
    (m1, t1, s1), (m2, t2, s2) = slack.calls
    assert (s1, s2) == (429, 200) and len(slack.messages) == 1
    assert 1.0 <= t2 - t1 < 3.0  # Retry-After (1 s) plus slack-sdk's random jitter (< 1 s)


def test_server_errors_are_retried_then_reported(slack) -> None:
    slack.queue(Raw(500, b"oops"), Raw(503, b"busy"))
    slack_send(blocks.alert(NOTICE, SUB))
    assert [c[2] for c in slack.calls] == [500, 503, 200] and len(slack.messages) == 1
    slack.queue(*[Raw(502, b"bad gateway")] * delivery.ATTEMPTS)
    with pytest.raises(DeliveryError, match="HTTP 502"):
        slack_send(blocks.alert(NOTICE, SUB))
    assert len(slack.messages) == 1


def test_unreachable_api_is_a_delivery_error(slack, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:1/api/")
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="cannot reach the Slack API"):
        slack_send(blocks.alert(NOTICE, SUB))
    assert time.monotonic() - started < 10
