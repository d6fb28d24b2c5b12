"""The `regwatch` subcommands, grouped by what they work on; `regwatch.cli` wires them up."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any


class UsageError(Exception):
    """Bad input from the user; printed as one line."""


def json_line(obj: Any) -> None:
    """Print one JSON line (Chinese kept readable)."""
    print(json.dumps(obj, ensure_ascii=False, default=str))


def now_arg(value: str | None) -> datetime:
    """The moment a `--now ISO` option names (a time without offset is UTC), else now."""
    if not value:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--now: not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
