"""Publisher dates in every shape they come in, to timezone-aware datetimes. Pure."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                  r"(?:[ T]*(\d{1,2})[:：时](\d{2})(?:[:：分](\d{2}))?)?")
_MD = re.compile(r"^(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?$")
_EPOCH = re.compile(r"^\d{10}(\d{3})?$")


def parse_datetime(raw: str | None, *, tz: ZoneInfo = SHANGHAI,
                   now: datetime | None = None) -> datetime | None:
    """Parse a publisher date; naive times are in `tz` (Chinese publishers: Asia/Shanghai).

    Year-less ``MM-DD`` (SAMR lists) takes the year of `now`, or the year before when that
    would put the date in the future.
    """
    text = (raw or "").strip()
    if not text:
        return None
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, tz)
    iso = _iso(text, tz)
    if iso:
        return iso
    match = _YMD.search(text)
    if match:
        return _build(match.groups(), tz)
    match = _MD.match(text)
    if match and now is not None:
        guess = _build((str(now.year), *match.groups(), None, None, None), tz)
        if guess and guess > now:
            guess = guess.replace(year=guess.year - 1)
        return guess
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def to_date(raw: str | None, *, tz: ZoneInfo = SHANGHAI) -> date | None:
    """Parse a publisher date and keep the calendar day in `tz`."""
    parsed = parse_datetime(raw, tz=tz)
    return parsed.astimezone(tz).date() if parsed else None


def closing_day(instant: datetime, *, tz: ZoneInfo = SHANGHAI) -> date:
    """Return the last day of a period that closes at `instant` (local midnight closes the day before).

    MIIT's hidden ``span.endtime`` is the instant the comment period closes: 1791993600000 is
    2026-10-15 00:00 +08 on a notice that says "请于2026年10月14日前" (code-corpus file id
    71276415316, live check). Read as a calendar day, it would make every deadline a day late.
    """
    local = instant.astimezone(tz)
    return local.date() - timedelta(days=1) if local.time() == time(0) else local.date()


def closing_date(raw: str | None, *, tz: ZoneInfo = SHANGHAI) -> date | None:
    """Parse a deadline: an instant (epoch, date with time) closes as `closing_day` says; a date is that day."""
    parsed = parse_datetime(raw, tz=tz)
    if parsed is None:
        return None
    return closing_day(parsed, tz=tz) if _carries_time((raw or "").strip()) else parsed.astimezone(tz).date()


def _carries_time(text: str) -> bool:
    # A bare "2026-12-15" names the last day itself; only a stated time of day is an instant.
    if _EPOCH.match(text) or re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        return True
    match = _YMD.search(text)
    return bool(match and match.group(4))


def _iso(text: str, tz: ZoneInfo) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _build(parts: tuple[str | None, ...], tz: ZoneInfo) -> datetime | None:
    year, month, day, hour, minute, second = (int(p) if p else 0 for p in parts)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def iso(value: datetime | date | None) -> str | None:
    """Render a datetime as ISO 8601 with offset (dates as YYYY-MM-DD)."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()
