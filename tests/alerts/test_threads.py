"""Threads, flood control and no duplicates, through real Elasticsearch, Slack and SMTP servers."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from alerts import ledger, render, threads
from alerts import subscriptions as subs
from alerts.dispatch import dispatch
from connectors import store
from tests.connectors.test_store import make_notice

KNOWN = ["miit-yjzj"]
DRAFT = replace(make_notice("https://www.miit.gov.cn/draft.html",
                            "关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知"),
                standard_key="gb:blockchain-cross-chain", published_at="2026-11-18T10:00:00+08:00",
                # dispatch reads the real clock: a deadline ahead of it keeps the draft open for comment
                comment_deadline=(datetime.now(timezone.utc) + timedelta(days=30)).date().isoformat())
PUBLISHED = replace(make_notice("https://www.miit.gov.cn/pub.html",
                                "国家市场监督管理总局 国家标准化管理委员会发布《区块链 跨链互操作技术要求》",
                                stage="published"),
                    standard_key="gb:blockchain-cross-chain", standard_numbers=["GB/T 46001-2026"],
                    comment_deadline=None, published_at="2026-11-20T10:00:00+08:00")


def subscribe(es, channel: str = "slack", target: str = "#standards", **options) -> subs.Subscription:
    sub = subs.make(channel, target, subs.Filters(), known_sources=KNOWN, **options)
    subs.save(es, sub)
    return sub


def test_later_stage_replies_in_the_thread_of_the_first_alert(es, slack) -> None:
    subscribe(es)
    store.upsert_notices(es, [DRAFT])
    assert len(dispatch(es, [DRAFT.id]).sent) == 1
    store.upsert_notices(es, [PUBLISHED])
    assert len(dispatch(es, [PUBLISHED.id]).sent) == 1
    first, second = slack.messages
    assert first.thread_ts is None and second.thread_ts == first.ts and second.reply_broadcast
    assert second.text.startswith("Published:")
    doc = es.get(index=threads.INDEX, id=threads.key(DRAFT.standard_key, "slack", "#standards"))["_source"]
    assert doc["thread_ref"] == first.ts and doc["first_stage"] == "draft"
    assert doc["latest_stage"] == "published"
    again = dispatch(es, [DRAFT.id, PUBLISHED.id])  # a rerun or a retried task
    assert not again.sent and len(again.skipped) == 2 and len(slack.messages) == 2


def test_draft_and_publication_in_one_run_thread_in_lifecycle_order(es, slack) -> None:
    subscribe(es)
    other = subscribe(es, target="#compliance")
    store.upsert_notices(es, [PUBLISHED, DRAFT])
    result = dispatch(es, [PUBLISHED.id, DRAFT.id])
    assert len(result.sent) == 4 and result.messages == 4
    for channel in ("#standards", "#compliance"):
        draft, published = [m for m in slack.messages if m.channel == channel]
        assert draft.text.startswith("Draft for comment:") and published.thread_ts == draft.ts
    assert other.id in {s for s, _ in result.sent}


def test_email_threads_with_in_reply_to_and_deterministic_message_ids(es, smtp) -> None:
    sub = subscribe(es, "email", "analyst@example.org")
    store.upsert_notices(es, [DRAFT])
    dispatch(es, [DRAFT.id])
    store.upsert_notices(es, [PUBLISHED])
    dispatch(es, [PUBLISHED.id])
    first, second = smtp.messages
    assert first["Message-ID"] == f"<{render.message_key(sub.id, DRAFT.id, 'draft', 'alert')}@example.org>"
    assert second["In-Reply-To"] == first["Message-ID"] == second["References"]
    assert "In-Reply-To" not in first
    assert second["Subject"] == ("[regwatch] Published: 国家市场监督管理总局 国家标准化管理委员会发布"
                                 "《区块链 跨链互操作技术要求》")
    assert "GB/T 46001-2026" in second.get_body(("plain",)).get_content()
    assert "GB/T 46001-2026" in second.get_body(("html",)).get_content()


def _many(count: int) -> list:
    return [replace(DRAFT, id=f"flood-{i}", url=f"https://www.miit.gov.cn/f{i}.html", standard_key=None,
                    title=f"关于《区块链 应用指南 第{i}部分》行业标准征求意见的通知") for i in range(count)]


def test_more_than_five_alerts_become_one_summary_and_each_is_recorded(es, slack, smtp) -> None:
    subscribe(es)
    subscribe(es, "email", "analyst@example.org")
    notices = _many(7)
    store.upsert_notices(es, notices)
    result = dispatch(es, [n.id for n in notices])
    assert len(result.sent) == 14 and result.messages == 2
    [summary] = slack.messages
    assert summary.blocks[0]["text"]["text"] == "📚 7 new notices"
    assert summary.text.startswith("7 new notices: 关于《区块链 应用指南 第0部分》")
    assert sum(b["text"]["text"].count("• ") for b in summary.blocks if b["type"] == "section") == 7
    [mail] = smtp.messages
    assert mail["Subject"] == "[regwatch] 7 new notices"
    for n in notices:
        assert n.url in mail.get_body(("plain",)).get_content()
        assert n.url in mail.get_body(("html",)).get_content()
    assert ledger.sent_count(es) == 14
    assert not dispatch(es, [n.id for n in notices]).sent and len(slack.messages) == 1


def test_up_to_the_limit_alerts_go_one_by_one(es, slack) -> None:
    subscribe(es)
    notices = _many(5)
    store.upsert_notices(es, notices)
    assert dispatch(es, [n.id for n in notices]).messages == 5 and len(slack.messages) == 5
    more = _many(9)[5:]
    store.upsert_notices(es, more)
    assert dispatch(es, [n.id for n in more], flood_limit=3).messages == 1


def test_a_refused_slack_post_is_retried_by_the_next_run(es, slack) -> None:
    subscribe(es, target="#later")
    store.upsert_notices(es, [DRAFT])
    failed = dispatch(es, [DRAFT.id])
    assert "channel_not_found" in failed.failed[0][2] and not slack.messages
    slack.channels["#later"] = "C0LATER0001"  # the bot was invited to the channel
    assert len(dispatch(es, []).sent) == 1 and len(slack.messages) == 1
    assert not dispatch(es, [DRAFT.id]).sent
