"""The alerting policy of DESIGN.md as pure functions: what is history, when comments are closed.

No clock here: callers pass the moment (``today``) they act at, so a test (or a digest replayed
with ``--now``) decides what "now" is.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from alerts.subscriptions import Subscription
from records.notice import Notice
from records.settings import positive


def default_backfill_days() -> int:
    """REGWATCH_BACKFILL_DAYS (default 14): how much history a first sight still alerts."""
    return int(positive("REGWATCH_BACKFILL_DAYS"))


def first_seen(notice: Notice) -> str:
    """When regwatch first saw the notice (documents indexed before first_seen_at: fetched_at)."""
    return notice.first_seen_at or notice.fetched_at


def is_history(notice: Notice, sub: Subscription, default_days: int) -> bool:
    """Published more than the window before regwatch first saw it: indexed, not alerted.

    The window is REGWATCH_BACKFILL_DAYS, or the subscription's `--backfill DAYS` when wider.
    A notice without a (readable) publication date is judged by its first sight: it is news.
    """
    published, seen = _moment(notice.published_at), _moment(first_seen(notice))
    if published is None or seen is None:
        return False
    return seen - published > timedelta(days=max(default_days, sub.backfill_days))


def local_today(now: datetime, sub: Subscription) -> date:
    """The date it is at `now` where the subscriber is (their digest time zone)."""
    aware = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    return aware.astimezone(ZoneInfo(sub.timezone)).date()


def deadline(notice: Notice) -> date | None:
    """The comment deadline as a date (None when there is none or it cannot be read)."""
    try:
        return date.fromisoformat(str(notice.comment_deadline)[:10]) if notice.comment_deadline else None
    except ValueError:
        return None


def days_left(notice: Notice, today: date) -> int | None:
    """Days from `today` to the comment deadline (0: the last day; negative: closed)."""
    due = deadline(notice)
    return None if due is None else (due - today).days


def comments_closed(notice: Notice, today: date) -> bool:
    """The comment period is over: its last day was before `today`."""
    left = days_left(notice, today)
    return left is not None and left < 0


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    # A bare date or a naive time is taken as UTC: at most hours off, against a window of days.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
