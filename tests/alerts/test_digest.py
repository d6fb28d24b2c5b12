"""Daily digests and comment-deadline reminders against real Elasticsearch, Slack and SMTP."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from alerts import subscriptions as subs
from alerts.digest import send_digests
from alerts.dispatch import dispatch
from alerts.reminders import send_reminders
from connectors import store
from tests.connectors.test_store import make_notice

KNOWN = ["miit-yjzj"]
SH = "+08:00"


def notice(n: int, stage: str, fetched: str, **extra):
    return make_notice(f"https://www.miit.gov.cn/d{n}.html", f"《区块链 参考架构 第{n}部分》{stage}",
                       stage=stage, fetched_at=fetched, **extra)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def subscribe(es, channel="slack", target="#standards", filters=subs.Filters(), **options):
    sub = subs.make(channel, target, filters, known_sources=KNOWN, **options)
    subs.save(es, sub)
    return sub


def test_daily_digest_once_a_day_after_its_hour_grouped_by_stage(es, slack) -> None:
    subscribe(es, mode="daily")  # 09:00 Asia/Shanghai
    day1 = [notice(1, "published", "2026-11-30T22:00:00+00:00"),
            notice(2, "draft", "2026-11-30T03:00:00+00:00"),
            notice(3, "plan", "2026-11-30T12:00:00+00:00"),
            notice(4, "draft", "2026-12-01T02:00:00+00:00")]
    store.upsert_notices(es, day1)
    assert not dispatch(es, [n.id for n in day1]).sent  # instant dispatch leaves daily subscriptions alone
    assert not send_digests(es, at(f"2026-12-01T08:59:00{SH}")).sent and not slack.messages
    result = send_digests(es, at(f"2026-12-01T09:05:00{SH}"))
    assert result.messages == 1 and len(result.sent) == 3  # notice 4 came after 09:00 (02:00 UTC = 10:00)
    [digest] = slack.messages
    assert digest.blocks[0]["text"]["text"] == "📚 Daily digest 2026-12-01: 3 notices"
    labels = [b["text"]["text"].split("\n")[0] for b in digest.blocks if b["type"] == "section"]
    assert labels == ["*New project (立项)* (1)", "*Draft for comment (征求意见)* (1)", "*Published (发布)* (1)"]
    assert not send_digests(es, at(f"2026-12-01T15:00:00{SH}")).sent and len(slack.messages) == 1
    nxt = send_digests(es, at(f"2026-12-02T09:00:00{SH}"))
    assert [n for _, n in nxt.sent] == [day1[3].id] and len(slack.messages) == 2
    assert not send_digests(es, at(f"2026-12-02T09:30:00{SH}")).sent and len(slack.messages) == 2


def test_digest_hour_and_zone_are_the_subscriptions_own(es, smtp) -> None:
    subscribe(es, "email", "analyst@example.org", mode="daily", digest_hour=7, timezone="Europe/Berlin")
    store.upsert_notices(es, [notice(1, "draft", "2026-12-01T01:00:00+00:00")])
    assert not send_digests(es, at("2026-12-01T05:59:00+00:00")).sent  # 06:59 in Berlin
    assert send_digests(es, at("2026-12-01T06:00:00+00:00")).messages == 1
    [mail] = smtp.messages
    assert mail["Subject"] == "[regwatch] Daily digest 2026-12-01: 1 notice"
    assert "《区块链 参考架构 第1部分》draft" in mail.get_body(("plain",)).get_content()
    assert "Draft for comment (征求意见)" in mail.get_body(("html",)).get_content()


def test_a_failed_digest_is_sent_by_the_next_run_and_only_once(es, slack) -> None:
    subscribe(es, target="#not-yet", mode="daily")
    store.upsert_notices(es, [notice(1, "draft", "2026-11-30T10:00:00+00:00")])
    assert send_digests(es, at(f"2026-12-01T09:00:00{SH}")).failed
    slack.channels["#not-yet"] = "C0NOTYET001"
    assert send_digests(es, at(f"2026-12-01T10:00:00{SH}")).messages == 1
    assert not send_digests(es, at(f"2026-12-01T11:00:00{SH}")).sent and len(slack.messages) == 1


def test_reminders_n_days_before_the_deadline_once(es, slack, smtp) -> None:
    soon = notice(1, "draft", "2026-11-01T00:00:00+00:00", comment_deadline="2026-12-04")
    later = notice(2, "draft", "2026-11-01T00:00:00+00:00", comment_deadline="2026-12-10")
    gone = notice(3, "draft", "2026-11-01T00:00:00+00:00", comment_deadline="2026-11-30")
    final = notice(4, "published", "2026-11-01T00:00:00+00:00", comment_deadline="2026-12-03")
    store.upsert_notices(es, [soon, later, gone, final])
    subscribe(es, reminders=True)  # 3 days
    subscribe(es, "email", "analyst@example.org", reminders=True, reminder_days=10)
    subscribe(es, target="#compliance")  # did not ask
    subscribe(es, target="#compliance", filters=subs.Filters(stages=("published",)), reminders=True)
    result = send_reminders(es, at(f"2026-12-01T09:00:00{SH}"))
    assert len(result.sent) == 3
    [ping] = slack.messages
    assert ping.channel == "#standards"
    assert ping.blocks[0]["text"]["text"] == "⏰ Comments due in 3 days (2026-12-04)"
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert subjects == ["[regwatch] Comments due in 3 days (2026-12-04): 《区块链 参考架构 第1部分》draft",
                        "[regwatch] Comments due in 9 days (2026-12-10): 《区块链 参考架构 第2部分》draft"]
    assert not send_reminders(es, at(f"2026-12-02T09:00:00{SH}")).sent
    extended = replace(soon, comment_deadline="2026-12-05", content_hash="extended")
    store.upsert_notices(es, [extended])
    again = send_reminders(es, at(f"2026-12-02T09:00:00{SH}"))
    assert {n for _, n in again.sent} == {soon.id} and len(again.sent) == 2  # new deadline, new reminder


def test_digest_by_stage_and_standard_with_closed_drafts_closed(es, smtp) -> None:
    subscribe(es, "email", "analyst@example.org", mode="daily", reminders=True, reminder_days=5)
    fetched = "2026-11-30T12:00:00+00:00"
    closed = notice(1, "draft", fetched, comment_deadline="2026-11-28")
    later = notice(2, "draft", fetched, comment_deadline="2026-12-20")
    sooner = notice(3, "draft", fetched, comment_deadline="2026-12-05")
    # One standard listed by two publishers, and its draft from the same run: one group.
    gb = dict(standard_key="num:GB/T 46337", standard_numbers=["GB/T 46337-2026"], comment_deadline=None)
    samr = notice(4, "published", fetched, **gb)
    openstd = replace(notice(5, "published", fetched, **gb), source_id="openstd-gb", issuer="全国标准信息公共服务平台")
    draft = replace(notice(6, "draft", fetched, **gb), comment_deadline="2026-10-01",
                    published_at="2026-11-19T10:00:00+08:00")
    store.upsert_notices(es, [closed, later, sooner, samr, openstd, draft])
    assert send_digests(es, at(f"2026-12-01T09:05:00{SH}")).messages == 1
    [mail] = smtp.messages
    text = mail.get_body(("plain",)).get_content()
    body = text.split("\n--\n")[0]  # the footer below "--" is the subscription's, not a section
    sections = [line for line in body.splitlines() if line.endswith(")") and "(" in line and line[0] not in "- "]
    assert sections == ["Draft for comment (征求意见) (2)", "Draft, comments closed (征求意见已截止) (1)",
                        "Published (发布) (1)"]
    open_part, closed_part = text.split("Draft, comments closed")[0], text.split("Draft, comments closed")[1]
    assert open_part.index("第3部分") < open_part.index("第2部分")  # deadlines soonest first
    assert "comments close 2026-12-05 — 4 days left" in open_part
    assert "第1部分" not in open_part and "comments closed on 2026-11-28" in closed_part
    published = text.split("Published (发布) (1)")[1]
    assert published.count("- ") == 1  # one group: two publishers and the draft of GB/T 46337
    assert all(n.url in published for n in (samr, openstd, draft))
    assert "comments closed on 2026-10-01" in published
    assert "Draft, comments closed" in mail.get_body(("html",)).get_content()
    # Reminders: the draft closing in 4 days, never the closed ones.
    reminded = send_reminders(es, at(f"2026-12-01T09:10:00{SH}"))
    assert [n for _, n in reminded.sent] == [sooner.id]
