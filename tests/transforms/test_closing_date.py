"""closing_date (an instant or a date -> the last day of the period) against cases/closing_date.yaml."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from transforms.dates import closing_date

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "closing_date.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["raw"] or "<empty>")
def test_closing_date(case: dict) -> None:
    tz = ZoneInfo(case.get("tz", "Asia/Shanghai"))
    want = date.fromisoformat(case["want"]) if case["want"] else None
    assert closing_date(case["raw"], tz=tz) == want
