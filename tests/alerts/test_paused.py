"""A paused subscription (the manage page's Pause) matches nothing until resumed: instant,
digest and reminder runs all pass it by, against real Elasticsearch and SMTP."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from alerts import subscriptions as subs
from alerts.digest import send_digests
from alerts.dispatch import dispatch
from alerts.match import match
from alerts.reminders import send_reminders
from connectors import store
from tests.connectors.test_store import make_notice

KNOWN = ["miit-yjzj"]
DRAFT = make_notice("https://www.miit.gov.cn/p.html", "《区块链 跨链互操作技术要求》（征求意见稿）",
                    fetched_at="2026-11-30T03:00:00+00:00", comment_deadline="2026-12-20")


def pair(es, **options) -> tuple[subs.Subscription, subs.Subscription]:
    """Two identical subscriptions but for the address, the second one paused."""
    active = subs.make("email", "active@example.org", subs.Filters(), known_sources=KNOWN, **options)
    paused = replace(subs.make("email", "paused@example.org", subs.Filters(), known_sources=KNOWN,
                               **options), paused=True)
    for sub in (active, paused):
        subs.save(es, sub)
    return active, paused


def recipients(smtp) -> list[str]:
    return sorted(str(m["To"]) for m in smtp.messages)


def test_match_passes_a_paused_subscription_by(es) -> None:
    store.upsert_notices(es, [DRAFT])
    active, paused = pair(es)
    assert match(es, [DRAFT], [active, paused]) == {active.id: [DRAFT.id]}
    assert match(es, [DRAFT], [replace(paused, paused=False)]) == {paused.id: [DRAFT.id]}


def test_paused_gets_no_instant_alert(es, smtp) -> None:
    store.upsert_notices(es, [DRAFT])
    pair(es)
    assert len(dispatch(es, [DRAFT.id]).sent) == 1 and recipients(smtp) == ["active@example.org"]


def test_paused_gets_no_digest(es, smtp) -> None:
    store.upsert_notices(es, [DRAFT])
    pair(es, mode="daily")
    assert len(send_digests(es, datetime.fromisoformat("2026-12-01T09:05:00+08:00")).sent) == 1
    assert recipients(smtp) == ["active@example.org"]


def test_paused_gets_no_reminder_until_resumed(es, smtp) -> None:
    store.upsert_notices(es, [DRAFT])
    _, paused = pair(es, reminders=True, reminder_days=3)
    send_reminders(es, datetime.fromisoformat("2026-12-18T10:00:00+08:00"))
    assert recipients(smtp) == ["active@example.org"]
    subs.save(es, replace(paused, paused=False))  # resumed: the next run reminds it too
    send_reminders(es, datetime.fromisoformat("2026-12-18T11:00:00+08:00"))
    assert recipients(smtp) == ["active@example.org", "paused@example.org"]
