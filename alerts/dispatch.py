"""Dispatch: match a poll's new notices to subscriptions and deliver each alert once."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Sequence

from elasticsearch import Elasticsearch

from alerts import ledger, subscriptions
from alerts.channels import CHANNELS
from alerts.errors import DeliveryError
from alerts.match import match
from connectors.store import get_notices


@dataclass
class DispatchResult:
    sent: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)

    def raise_for_failures(self) -> None:
        """Raise DeliveryError if any alert failed (the ledger makes the retry safe)."""
        if self.failed:
            raise DeliveryError(f"{len(self.failed)} alerts failed, {len(self.sent)} sent; "
                                f"first: {self.failed[0][2]}")


def dispatch(es: Elasticsearch, notice_ids: Sequence[str], *,
             clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> DispatchResult:
    """Deliver alerts for these notices (and earlier failures), each once; failures are listed."""
    result = DispatchResult()
    wanted = list(dict.fromkeys([*notice_ids, *ledger.unfinished_notice_ids(es)]))
    notices = {n.id: n for n in get_notices(es, wanted)}
    subs = {s.id: s for s in subscriptions.list_all(es)}
    for sub_id, matched in match(es, list(notices), list(subs.values())).items():
        sub, channel = subs[sub_id], CHANNELS.get(subs[sub_id].channel)
        for notice in (notices[i] for i in matched):
            if channel is None:
                result.failed.append((sub_id, notice.id, f"no delivery for channel {sub.channel}"))
                continue
            lid = ledger.claim(es, sub_id, notice.id, notice.stage, sub.channel, clock())
            if lid is None:
                result.skipped.append((sub_id, notice.id))
                continue
            try:
                channel.send(sub.target, channel.render(notice, sub))
            except DeliveryError as exc:
                ledger.mark_failed(es, lid, str(exc))
                result.failed.append((sub_id, notice.id, str(exc)))
                continue
            ledger.mark_sent(es, lid, clock())
            result.sent.append((sub_id, notice.id))
    return result
