"""The alerting policy's pure parts, by table: history, closed periods, and how batches are ordered."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from alerts import grouping, policy, render
from alerts.subscriptions import Filters, Subscription
from tests.connectors.test_store import make_notice

NOW = datetime.now(timezone.utc)
TODAY = NOW.date()
SUB = Subscription("sub-1", "email", "analyst@example.org", Filters())


def seen(published_days_before: float | None, backfill: int = 0, first_seen: bool = True) -> bool:
    """Is a notice published this long before its first sight history for a subscription?"""
    published = None if published_days_before is None else (NOW - timedelta(days=published_days_before))
    n = make_notice("https://www.miit.gov.cn/a.html", "《区块链 参考架构》",
                    published_at=published.isoformat() if published else None,
                    fetched_at=(NOW + timedelta(days=30)).isoformat(),  # a later update
                    first_seen_at=NOW.isoformat() if first_seen else None)
    return policy.is_history(n, replace(SUB, backfill_days=backfill), 14)


@pytest.mark.parametrize("days_before, backfill, history", [
    (0, 0, False), (13.9, 0, False), (14.1, 0, True), (400, 0, True),
    (400, 365, True), (300, 365, False), (10, 5, False),  # a backfill narrower than the default
    (-3, 0, False),  # "published" after first sight (a publisher's future date): news
    (None, 0, False),  # no publication date: judged by its first sight, which is now
])
def test_history_is_judged_from_the_first_sight(days_before, backfill, history) -> None:
    assert seen(days_before, backfill) is history


def test_without_first_seen_at_the_fetch_time_is_the_first_sight() -> None:
    # Documents indexed before first_seen_at existed: fetched_at (30 days later here) stands in.
    assert seen(0, first_seen=False) is True and seen(0) is False


def test_the_default_window_is_a_setting(monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_BACKFILL_DAYS", "30")
    assert policy.default_backfill_days() == 30
    monkeypatch.setenv("REGWATCH_BACKFILL_DAYS", "")
    assert policy.default_backfill_days() == 14


DEADLINE = "2026-12-20"


@pytest.mark.parametrize("today, left, closed, text", [
    (date(2026, 12, 6), 14, False, "comments close 2026-12-20 — 14 days left"),
    (date(2026, 12, 19), 1, False, "comments close 2026-12-20 — 1 day left"),
    (date(2026, 12, 20), 0, False, "comments close 2026-12-20 — last day today"),
    (date(2026, 12, 21), -1, True, "comments closed on 2026-12-20"),
    (date(2028, 1, 1), -377, True, "comments closed on 2026-12-20"),
    (None, None, False, "comments close 2026-12-20"),
])
def test_deadline_left_closed_and_in_words(today, left, closed, text) -> None:
    n = make_notice("https://x/a", "《区块链》", comment_deadline=DEADLINE)
    if today is not None:
        assert policy.days_left(n, today) == left and policy.comments_closed(n, today) is closed
    assert render.deadline_text(n, today) == text


@pytest.mark.parametrize("deadline", [None, "", "not a date"])
def test_no_readable_deadline_is_neither_open_nor_closed(deadline) -> None:
    n = make_notice("https://x/a", "《区块链》", comment_deadline=deadline)
    assert policy.days_left(n, TODAY) is None and not policy.comments_closed(n, TODAY)
    assert render.deadline_text(n, TODAY) is None


@pytest.mark.parametrize("now, zone, today", [
    ("2026-12-06T17:00:00+00:00", "Asia/Shanghai", date(2026, 12, 7)),  # 01:00 next day in Beijing
    ("2026-12-06T17:00:00+00:00", "UTC", date(2026, 12, 6)),
    ("2026-12-06T17:00:00", "Asia/Shanghai", date(2026, 12, 7)),  # naive: UTC
])
def test_today_is_the_subscribers_date(now, zone, today) -> None:
    assert policy.local_today(datetime.fromisoformat(now), replace(SUB, timezone=zone)) == today


def _n(key: str | None, stage: str, deadline: str | None = None, published: str = "2026-11-20", n: int = 0):
    return make_notice(f"https://x/{key}/{stage}/{n}", f"《{key}》{stage}", stage=stage, standard_key=key,
                       comment_deadline=deadline, published_at=f"{published}T10:00:00+08:00")


def test_batches_group_by_standard_under_its_latest_stage_deadlines_first() -> None:
    today = date(2026, 12, 1)
    notices = [
        _n("a", "plan"), _n("a", "draft", "2026-12-30"),                # a's draft leads: open, late
        _n("b", "draft", "2026-12-03"),                                 # soonest
        _n("c", "draft", "2026-11-01"),                                 # closed
        _n("d", "published", published="2026-11-21"), _n("d", "published", n=1),  # two publishers
        _n("e", "draft", "2026-11-02"), _n("e", "published", published="2026-11-10"),
        _n(None, "plan", n=1), _n(None, "plan", n=2),                   # no key: one group each
        _n("f", "draft"),                                               # open, no deadline: after b and a
        _n("g", "withdrawn", n=1), _n("g", "published", published="2026-11-01"),  # a new edition
        _n("h", "withdrawn"),
    ]
    got = [(section, [[(n.standard_key, n.stage) for n in g] for g in groups])
           for section, groups in grouping.sections(notices, today)]
    assert got == [
        ("plan", [[(None, "plan")], [(None, "plan")]]),
        ("draft", [[("b", "draft")], [("a", "plan"), ("a", "draft")], [("f", "draft")]]),
        (grouping.CLOSED, [[("c", "draft")]]),
        ("published", [[("d", "published"), ("d", "published")], [("e", "draft"), ("e", "published")],
                       [("g", "withdrawn"), ("g", "published")]]),
        ("withdrawn", [[("h", "withdrawn")]]),
    ]
    # Without a date, nothing can be called closed: c files under draft.
    assert [s for s, _ in grouping.sections(notices, None)] == ["plan", "draft", "published", "withdrawn"]
