"""The `regwatch` subcommands, grouped by what they work on; `regwatch.cli` wires them up."""
from __future__ import annotations

import json
from typing import Any


class UsageError(Exception):
    """Bad input from the user; printed as one line."""


def json_line(obj: Any) -> None:
    """Print one JSON line (Chinese kept readable)."""
    print(json.dumps(obj, ensure_ascii=False, default=str))
