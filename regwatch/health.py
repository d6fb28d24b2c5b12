"""Publisher health: which publishers are due, stale, blocked or changed. Pure: `now` is given."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from croniter import croniter

from connectors.catalog import Source

DEFAULT_SCHEDULE = "*/15 * * * *"


@dataclass(frozen=True)
class Health:
    source_id: str
    state: str  # ok | stale | blocked | changed | unavailable | error | never
    detail: str = ""


def interval(schedule: str | None, now: datetime) -> timedelta:
    """The time between two polls on this cron schedule."""
    it = croniter(schedule or DEFAULT_SCHEDULE, now)
    nxt = it.get_next(datetime)
    return it.get_next(datetime) - nxt


def is_due(source: Source, doc: Mapping[str, Any] | None, now: datetime) -> bool:
    """A publisher is due when its schedule ticked since its last attempt (or it never ran)."""
    last = _time((doc or {}).get("last_attempt"))
    if last is None:
        return True
    return croniter(source.schedule or DEFAULT_SCHEDULE, now).get_prev(datetime) > last


def assess(source: Source, doc: Mapping[str, Any] | None, now: datetime,
           stale_after: int = 3) -> Health:
    """Judge one publisher from its health document."""
    if not doc:
        return Health(source.id, "never", "never polled")
    status = doc.get("status") or "ok"
    if status != "ok":
        return Health(source.id, status, doc.get("last_error") or "")
    last_ok = _time(doc.get("last_success"))
    limit = stale_after * interval(source.schedule, now)
    if last_ok is None or now - last_ok > limit:
        return Health(source.id, "stale", f"no successful poll for more than {limit}")
    return Health(source.id, "ok")


def changes(sources: Iterable[Source], docs: Mapping[str, Mapping[str, Any]], now: datetime,
            stale_after: int = 3) -> list[Health]:
    """Publishers whose state differs from the one last reported to operators."""
    out = []
    for source in sources:
        if not source.enabled:
            continue
        health = assess(source, docs.get(source.id), now, stale_after)
        reported = (docs.get(source.id) or {}).get("reported_state") or "ok"
        if health.state != reported and health.state != "never":
            out.append(health)
    return out


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
