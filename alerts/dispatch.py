"""Dispatch: match a poll's new notices to instant subscriptions and deliver each alert once."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, Sequence

from elasticsearch import Elasticsearch

from alerts import ledger, subscriptions
from alerts.deliver import DispatchResult, deliver
from alerts.match import match_once
from connectors.store import get_notices, mark_announced

__all__ = ["DispatchResult", "dispatch"]


def dispatch(es: Elasticsearch, notice_ids: Sequence[str], *,
             clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
             flood_limit: int | None = None) -> DispatchResult:
    """Deliver alerts for these notices (and earlier failures), each once; failures are listed.

    An alert another dispatcher is sending right now (its claim's lease is live) is skipped:
    that dispatcher sends it, or its lease runs out and a later dispatch retries it.

    Daily subscriptions are left to send_digests; more than `flood_limit` alerts for one
    subscription (default REGWATCH_FLOOD_LIMIT or 5) become one summary message.
    """
    result = DispatchResult()
    wanted = list(dict.fromkeys([*notice_ids, *ledger.unfinished_notice_ids(es, clock())]))
    notices = {n.id: n for n in get_notices(es, wanted)}
    subs = {s.id: s for s in subscriptions.list_all(es, mode="instant")}
    for sub_id, matched in match_once(es, list(notices.values()), list(subs.values())).items():
        deliver(es, subs[sub_id], [notices[i] for i in matched], result, clock(), limit=flood_limit)
    # Failed deliveries stay in the ledger and are retried from there; the notices are handled.
    mark_announced(es, {n.id: n.stage for n in notices.values()}, clock().isoformat())
    return result
