"""comment_deadline against the table in cases/deadline.yaml."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from transforms.deadline import comment_deadline

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "deadline.yaml").read_text(encoding="utf-8"))


def _date(value: object) -> date | None:
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["text"][:30] or "<empty>")
def test_comment_deadline(case: dict) -> None:
    assert comment_deadline(case["text"], _date(case.get("published"))) == _date(case["want"])
