"""Dispatch: match a poll's new notices to instant subscriptions and deliver each alert once."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Callable, Sequence

from elasticsearch import Elasticsearch

from alerts import ledger, subscriptions
from alerts.deliver import DispatchResult, deliver
from alerts.match import match_once
from connectors.store import get_notices, mark_announced, mark_unalerted
from records.notice import Notice

__all__ = ["DispatchResult", "dispatch"]

# Notices read and matched at a time (see dispatch).
CHUNK = 2000


def dispatch(es: Elasticsearch, notice_ids: Sequence[str], *,
             clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
             flood_limit: int | None = None, retry_unfinished: bool = True) -> DispatchResult:
    """Deliver alerts for these notices (and earlier failures), each once; failures are listed.

    An alert another dispatcher is sending right now (its claim's lease is live) is skipped:
    that dispatcher sends it, or its lease runs out and a later dispatch retries it.

    Daily subscriptions are left to send_digests; more than `flood_limit` alerts for one
    subscription (default REGWATCH_FLOOD_LIMIT or 5) become one summary message.
    `retry_unfinished=False` leaves earlier failures to the next full dispatch: a poll task
    alerting its own notices must not spend its time on a failing channel's backlog.
    """
    result = DispatchResult()
    retries = ledger.unfinished_notice_ids(es, clock()) if retry_unfinished else []
    wanted = list(dict.fromkeys([*notice_ids, *retries]))
    subs = {s.id: s for s in subscriptions.list_all(es, mode="instant")}
    if not subs:
        # Nothing to match and no one to alert: the notices are handled at the stage they have.
        mark_unalerted(es, wanted, clock().isoformat())
        return result
    stages: dict[str, str | None] = {}
    matched: dict[str, list[Notice]] = defaultdict(list)
    # A chunk of notices at a time, keeping only the matched ones: a first cycle of thousands
    # of publishers hands one dispatch tens of thousands of notices.
    for start in range(0, len(wanted), CHUNK):
        ids = wanted[start:start + CHUNK]
        notices = {n.id: n for n in get_notices(es, ids)}
        stages.update({i: n.stage for i, n in notices.items()})
        for sub_id, hits in match_once(es, list(notices.values()), list(subs.values())).items():
            matched[sub_id] += [notices[i] for i in hits]
    for sub_id, found in matched.items():
        deliver(es, subs[sub_id], found, result, clock(), limit=flood_limit)
    # Failed deliveries stay in the ledger and are retried from there; the notices are handled.
    mark_announced(es, stages, clock().isoformat())
    return result
