"""Publisher health: which publishers are due, stale, blocked or changed. Pure: `now` is given.

Stale has two reasons, kept apart because they need different fixes:

    no-success   no successful poll for `stale_after` poll intervals (our side: the scheduler,
                 the network, a failing connector that never raised)
    quiet        polls succeed but the newest notice is older than `stale_after` × the
                 publisher's cadence (their side: a column abandoned or moved, a list frozen)

The cadence is the catalogue's `expect_every`, else learned from the publisher's history: the
median gap between its notices' published dates, with a floor, once it has enough notices.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from croniter import croniter

from connectors.catalog import Source

DEFAULT_SCHEDULE = "*/15 * * * *"
# A learned cadence needs this many dated notices, and is never shorter than a week: ministries
# post in bursts and close for the Spring Festival and National Day weeks, so three learned
# cadences of silence are at least three weeks (set `expect_every` for a tighter watch).
MIN_NOTICES = 5
CADENCE_FLOOR = timedelta(days=7)
NO_SUCCESS, QUIET = "no-success", "quiet"


@dataclass(frozen=True)
class Health:
    source_id: str
    state: str  # ok | stale | blocked | changed | unavailable | error | never
    detail: str = ""
    reason: str = ""  # for stale: NO_SUCCESS or QUIET


def learned_cadence(published: Iterable[datetime], *, floor: timedelta = CADENCE_FLOOR,
                    min_notices: int = MIN_NOTICES) -> timedelta | None:
    """The median gap between published dates (at least `floor`); None with too few notices."""
    dates = sorted(set(published))
    if len(dates) < min_notices:
        return None
    gaps = [later - earlier for earlier, later in zip(dates, dates[1:])]
    return max(floor, statistics.median(gaps))


def cadence(source: Source, published: Iterable[datetime]) -> timedelta | None:
    """How often this publisher posts: as catalogued (`expect_every`), else as learned."""
    return source.expected_every or learned_cadence(published)


def quiet(source: Source, published: Sequence[datetime], now: datetime,
          stale_after: int = 3) -> str | None:
    """Why the publisher is quiet for too long (no new notice for `stale_after` cadences), or None."""
    every = cadence(source, published)
    if every is None or not published:
        return None
    newest = max(published)
    if now - newest <= stale_after * every:
        return None
    return (f"no new notice since {newest.date().isoformat()} "
            f"(more than {stale_after} × {_days(every)}, its {_origin(source)} cadence)")


def _days(every: timedelta) -> str:
    days = every / timedelta(days=1)
    return f"{days:g} days" if days >= 1 else f"{every / timedelta(hours=1):g} hours"


def _origin(source: Source) -> str:
    return "catalogued" if source.expected_every else "learned"


def interval(schedule: str | None, now: datetime) -> timedelta:
    """The time between two polls on this cron schedule."""
    it = croniter(schedule or DEFAULT_SCHEDULE, now)
    nxt = it.get_next(datetime)
    return it.get_next(datetime) - nxt


def is_due(source: Source, doc: Mapping[str, Any] | None, now: datetime) -> bool:
    """A publisher is due when its schedule ticked since its last attempt (or it never ran).

    Never before `blocked_until`: the time its last answer's Retry-After asked us to wait for.
    """
    until = _time((doc or {}).get("blocked_until"))
    if until is not None and now < until:
        return False
    last = _time((doc or {}).get("last_attempt"))
    if last is None:
        return True
    return croniter(source.schedule or DEFAULT_SCHEDULE, now).get_prev(datetime) > last


def assess(source: Source, doc: Mapping[str, Any] | None, now: datetime,
           stale_after: int = 3, published: Sequence[datetime] = ()) -> Health:
    """Judge one publisher from its health document and its notices' published dates."""
    if not doc:
        return Health(source.id, "never", "never polled")
    status = doc.get("status") or "ok"
    if status != "ok":
        return Health(source.id, status, doc.get("last_error") or "")
    last_ok = _time(doc.get("last_success"))
    limit = stale_after * interval(source.schedule, now)
    if last_ok is None or now - last_ok > limit:
        return Health(source.id, "stale", f"no successful poll for more than {limit}", NO_SUCCESS)
    why = quiet(source, published, now, stale_after)
    if why:
        return Health(source.id, "stale", why, QUIET)
    return Health(source.id, "ok")


def changes(sources: Iterable[Source], docs: Mapping[str, Mapping[str, Any]], now: datetime,
            stale_after: int = 3,
            history: Mapping[str, Sequence[datetime]] | None = None) -> list[Health]:
    """Publishers whose state (or stale reason) differs from the one last reported to operators."""
    return unreported(assess_all(sources, docs, now, stale_after, history), docs)


def unreported(assessed: Iterable[Health], docs: Mapping[str, Mapping[str, Any]]) -> list[Health]:
    """The judgements operators have not been told yet (a never-polled publisher is no news)."""
    return [h for h in assessed
            if h.state != "never" and (h.state, h.reason) != reported(docs.get(h.source_id))]


def assess_all(sources: Iterable[Source], docs: Mapping[str, Mapping[str, Any]], now: datetime,
               stale_after: int = 3,
               history: Mapping[str, Sequence[datetime]] | None = None) -> list[Health]:
    """Judge every enabled publisher; `history` holds each one's published dates."""
    return [assess(s, docs.get(s.id), now, stale_after, (history or {}).get(s.id, ()))
            for s in sources if s.enabled]


def reported(doc: Mapping[str, Any] | None) -> tuple[str, str]:
    """The state and stale reason operators were last told about (never told: ok)."""
    state = (doc or {}).get("reported_state") or "ok"
    # Before stale had reasons, a reported "stale" could only mean no successful poll.
    reason = (doc or {}).get("reported_reason") or (NO_SUCCESS if state == "stale" else "")
    return state, reason


def state_doc(health: Health, source: Source, published: Sequence[datetime],
              now: datetime) -> dict[str, Any]:
    """The fields of the publisher's health document that show its judged state (in Kibana)."""
    every = cadence(source, published)
    return {"state": health.state, "state_reason": health.reason or None,
            "state_detail": health.detail or None, "assessed_at": now.isoformat(),
            "newest_published": max(published).isoformat() if published else None,
            "cadence_days": round(every / timedelta(days=1), 3) if every else None}


def dates(values: Iterable[Any]) -> list[datetime]:
    """Published dates read from the index; values that are no ISO date are skipped."""
    out = []
    for value in values:
        try:
            parsed = _time(value)
        except ValueError:
            continue
        if parsed is not None and parsed.tzinfo is not None:
            out.append(parsed)
    return out


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
