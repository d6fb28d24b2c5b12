"""Dispatch through real Elasticsearch and a real SMTP server: matched, delivered once."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from alerts import subscriptions as subs
from alerts.dispatch import dispatch
from connectors import store
from tests.connectors.test_store import make_notice

KNOWN = ["miit-yjzj", "nist-csrc"]
NOW = datetime.now(timezone.utc)  # dispatch reads the real clock here: every date is built from it


def days(n: int) -> str:
    return (NOW + timedelta(days=n)).isoformat()


# Published two days ago, comments open for three weeks more: news by any policy.
DRAFT = make_notice("https://www.miit.gov.cn/a.html",
                    "关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知",
                    published_at=days(-2), fetched_at=days(0), comment_deadline=days(21)[:10])
OTHER = make_notice("https://www.miit.gov.cn/b.html", "关于公开征求《人形机器人 通用技术要求》国家标准（征求意见稿）意见的公示",
                    published_at=days(-2), fetched_at=days(0))


def subscribe(es, target: str = "analyst@example.org", backfill_days: int = 0, **filters) -> subs.Subscription:
    sub = subs.make("email", target, subs.Filters(**filters), known_sources=KNOWN, backfill_days=backfill_days)
    subs.save(es, sub)
    return sub


def test_matching_delivers_once_across_reruns(es, smtp, monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_LINK_KEY", "k" * 32)
    store.upsert_notices(es, [DRAFT, OTHER])
    subscribe(es)
    first = dispatch(es, [DRAFT.id, OTHER.id])
    assert len(first.sent) == 1 and not first.failed
    [message] = smtp.messages
    assert message["Subject"].startswith("[regwatch] Draft for comment: 关于公开征求《区块链")
    assert message["To"] == "analyst@example.org"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert DRAFT.url in plain and DRAFT.url in html
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8090/u/sub-")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    again = dispatch(es, [DRAFT.id, OTHER.id])
    assert not again.sent and len(again.skipped) == 1 and len(smtp.messages) == 1


def test_filters_select_in_elasticsearch(es, smtp) -> None:
    published = replace(DRAFT, id="p1", url="https://x/p", stage="published")
    store.upsert_notices(es, [DRAFT, OTHER, published])
    subscribe(es, "drafts@example.org", stages=("draft",))
    subscribe(es, "all@example.org", blockchain_only=False)
    subscribe(es, "text@example.org", text="跨链")
    subscribe(es, "nist@example.org", sources=("nist-csrc",))
    result = dispatch(es, [DRAFT.id, OTHER.id, "p1"])
    by_target: dict[str, int] = {}
    for m in smtp.messages:
        by_target[m["To"]] = by_target.get(m["To"], 0) + 1
    assert by_target == {"drafts@example.org": 1, "all@example.org": 3, "text@example.org": 2}
    assert len(result.sent) == 6


def test_failed_delivery_is_retried_and_sent_once(es, smtp, monkeypatch) -> None:
    store.upsert_notices(es, [DRAFT])
    subscribe(es)
    monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens there
    failed = dispatch(es, [DRAFT.id])
    assert len(failed.failed) == 1 and not smtp.messages
    monkeypatch.setenv("SMTP_PORT", str(smtp.port))
    retried = dispatch(es, [])  # the next dispatch, even for other notices, retries the failure
    assert len(retried.sent) == 1 and len(smtp.messages) == 1
    assert not dispatch(es, [DRAFT.id]).sent and len(smtp.messages) == 1


def test_history_is_indexed_but_alerted_only_to_who_opted_in(es, smtp, monkeypatch) -> None:
    monkeypatch.delenv("REGWATCH_BACKFILL_DAYS", raising=False)  # the default: 14 days
    # A new publisher's archive: first seen now, published 40 days ago (and one 10 days ago).
    old = replace(DRAFT, id="old", url="https://www.miit.gov.cn/old.html", published_at=days(-40))
    recent = replace(DRAFT, id="recent", url="https://www.miit.gov.cn/recent.html", published_at=days(-10))
    store.upsert_notices(es, [old, recent])
    subscribe(es, "default@example.org")
    subscribe(es, "backfill@example.org", backfill_days=60)
    result = dispatch(es, ["old", "recent"], clock=lambda: NOW)
    got = sorted((m["To"], m["X-Regwatch-Notice"]) for m in smtp.messages)
    assert got == [("backfill@example.org", "old"), ("backfill@example.org", "recent"),
                   ("default@example.org", "recent")]
    assert len(result.sent) == 3 and not result.failed
    assert {n["id"] for n in store.search_notices(es, "跨链互操作")} == {"old", "recent"}  # searchable
    # Nothing is left due: the old notice was handled (not alerted), not forgotten for later.
    assert not dispatch(es, [], clock=lambda: NOW).sent and len(smtp.messages) == 3


def test_an_update_keeps_the_first_sight_so_old_news_stays_old(es, smtp) -> None:
    # Seen a year ago when published; its page changes now: the same stage, nothing to alert...
    seen = replace(DRAFT, published_at=days(-400), fetched_at=days(-399), comment_deadline=None)
    store.upsert_notices(es, [seen])
    changed = replace(seen, summary="更正", fetched_at=days(0), content_hash="changed")
    assert store.upsert_notices(es, [changed]).updated == [seen.id]
    [doc] = store.get_notices(es, [seen.id])
    assert (doc.first_seen_at, doc.fetched_at) == (seen.fetched_at, changed.fetched_at)
    # ...and when it moves to a new stage it is news: first seen a day after publication.
    moved = replace(changed, stage="published", content_hash="moved")
    store.upsert_notices(es, [moved])
    subscribe(es)
    assert len(dispatch(es, [seen.id], clock=lambda: NOW).sent) == 1
    # A rebuilt index sees the same page for the first time today: history, not news.
    for index in store.INDICES.values():
        es.indices.delete(index=index)
    store.ensure_indices(es)
    store.upsert_notices(es, [moved])
    subscribe(es)
    assert not dispatch(es, [seen.id], clock=lambda: NOW).sent and len(smtp.messages) == 1


def test_notices_read_a_chunk_at_a_time_still_alert_each_subscription_once(es, smtp, monkeypatch) -> None:
    """A dispatch reads its notices CHUNK at a time (memory stays flat at thousands of
    publishers); a flood spread over chunks is still one summary, and every notice is handled."""
    from alerts import dispatch as dispatch_module

    monkeypatch.setattr(dispatch_module, "CHUNK", 2)
    monkeypatch.setenv("REGWATCH_FLOOD_LIMIT", "3")
    drafts = [replace(DRAFT, id=f"chunk-{i}", url=f"https://www.miit.gov.cn/c{i}.html") for i in range(5)]
    store.upsert_notices(es, [*drafts, OTHER])
    subscribe(es)
    result = dispatch(es, [n.id for n in [*drafts, OTHER]])
    assert len(smtp.messages) == 1 and len(result.sent) == 5  # one summary of the five drafts
    es.indices.refresh(index=store.NOTICES)
    assert all(d["_source"]["announced_at"] for d in store.read_notices(es, [n.id for n in [*drafts, OTHER]]))


def test_with_no_subscription_the_notices_are_only_marked_handled(es, smtp) -> None:
    store.upsert_notices(es, [DRAFT, OTHER])
    result = dispatch(es, [DRAFT.id, OTHER.id, "no-such-notice"])
    assert not result.sent and not smtp.messages
    es.indices.refresh(index=store.NOTICES)
    assert [bool(d["_source"]["announced_at"]) for d in store.read_notices(es, [DRAFT.id, OTHER.id])] == [True, True]
    assert store.unannounced_ids(es, DRAFT.source_id) == []
