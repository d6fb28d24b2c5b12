"""Delivering one subscription's alerts: claim each in the ledger, then send.

Up to the flood limit, each alert is its own message, a later stage of a standard replying in
the thread of that standard's first alert in the same place. Past the limit (more than
REGWATCH_FLOOD_LIMIT, default 5, in one run) the claimed alerts go out as one summary, and the
ledger still records each of them as sent. A summary starts no thread: the next stage of one of
its standards starts that standard's thread instead.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Sequence

from elasticsearch import Elasticsearch

from alerts import channels, ledger, policy, threads
from alerts.channels import Channel
from alerts.errors import DeliveryError
from alerts.render import STAGE_ORDER, Batch
from alerts.subscriptions import Subscription
from records.notice import Notice
from records.settings import positive


@dataclass
class DispatchResult:
    """What a run did, per (subscription id, notice id); `messages` counts what was posted."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    messages: int = 0

    def raise_for_failures(self) -> None:
        """Raise DeliveryError if any alert failed (the ledger makes the retry safe)."""
        if self.failed:
            raise DeliveryError(f"{len(self.failed)} alerts failed, {len(self.sent)} sent; "
                                f"first: {self.failed[0][2]}")


def flood_limit() -> int:
    """How many alerts one subscription may get in one run before they become a summary."""
    return int(positive("REGWATCH_FLOOD_LIMIT"))


def stage_key(notice: Notice, reminder_on: date | None = None) -> str | None:
    """The ledger's stage key: the notice's stage, or its deadline for a reminder."""
    return notice.stage if reminder_on is None else f"reminder:{notice.comment_deadline}"


def deliver(es: Elasticsearch, sub: Subscription, notices: Sequence[Notice], result: DispatchResult,
            now: datetime, *, reminder_on: date | None = None, limit: int | None = None) -> None:
    """Claim and send these notices' alerts (reminders when `reminder_on` is today's date)."""
    channel = channels.available().get(sub.channel)
    if channel is None:
        result.failed += [(sub.id, n.id, f"no delivery for channel {sub.channel}") for n in notices]
        return
    clock = ledger.ticking(now)  # lease times advance with the sends, whatever `now` says
    claimed: list[tuple[Notice, str]] = []
    for notice in _lifecycle_order(notices):
        lid = ledger.claim(es, sub.id, notice.id, stage_key(notice, reminder_on), sub.channel, clock())
        if lid is None:
            result.skipped.append((sub.id, notice.id))
        else:
            claimed.append((notice, lid))
    if len(claimed) > (flood_limit() if limit is None else limit):
        _send_summary(es, sub, channel, claimed, result, now, reminder_on)
        return
    roots = threads.lookup(es, [p for n, _ in claimed if (p := _place(n, sub))])
    for position, (notice, lid) in enumerate(claimed):
        # Sends before this one took time: hold the lease afresh, or leave the alert to its new owner.
        if position and not ledger.renew(es, lid, clock()):
            result.skipped.append((sub.id, notice.id))
            continue
        _send_one(es, sub, channel, notice, lid, roots, result, now, reminder_on)


def _send_one(es: Elasticsearch, sub: Subscription, channel: Channel[Any], notice: Notice, lid: str,
              roots: dict[threads.Place, str], result: DispatchResult, now: datetime,
              reminder_on: date | None) -> None:
    place = _place(notice, sub)
    parent = roots.get(place) if place else None
    days = None if reminder_on is None else policy.days_left(notice, reminder_on)
    today = reminder_on or policy.local_today(now, sub)
    try:
        ref = channel.send(sub.target, channel.alert(notice, sub, parent, days_left=days, today=today))
    except DeliveryError as exc:
        ledger.mark_failed(es, lid, str(exc))
        result.failed.append((sub.id, notice.id, str(exc)))
        return
    ledger.mark_sent(es, lid, now)  # first thing after the send: the crash window stays one call
    result.sent.append((sub.id, notice.id))
    result.messages += 1
    if place and ref:
        roots[place] = threads.record(es, place, parent or ref, notice, now)


def _send_summary(es: Elasticsearch, sub: Subscription, channel: Channel[Any],
                  claimed: list[tuple[Notice, str]], result: DispatchResult, now: datetime,
                  reminder_on: date | None) -> None:
    notices, lids = tuple(n for n, _ in claimed), [lid for _, lid in claimed]
    title = (f"{len(notices)} new notices" if reminder_on is None
             else f"{len(notices)} comment deadlines within {sub.reminder_days} days")
    name = "summary:" + hashlib.sha256("|".join(sorted(lids)).encode()).hexdigest()[:16]
    try:
        channel.send(sub.target, channel.batch(Batch(title, notices, name), sub,
                                               today=reminder_on or policy.local_today(now, sub)))
    except DeliveryError as exc:
        ledger.mark_failed(es, lids, str(exc))
        result.failed += [(sub.id, n.id, str(exc)) for n in notices]
        return
    ledger.mark_all_sent(es, lids, now)
    result.sent += [(sub.id, n.id) for n in notices]
    result.messages += 1


def _place(notice: Notice, sub: Subscription) -> threads.Place | None:
    return (notice.standard_key, sub.channel, sub.target) if notice.standard_key else None


def _lifecycle_order(notices: Sequence[Notice]) -> list[Notice]:
    # A draft and its publication in the same run: the draft goes first and starts the thread.
    rank = {s: i for i, s in enumerate(STAGE_ORDER)}
    return sorted(notices, key=lambda n: (rank.get(n.stage, len(rank)), n.published_at or ""))
