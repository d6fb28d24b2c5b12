"""committees and plan_numbers against the table in cases/committees.yaml."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from transforms.committees import committees, plan_numbers
from transforms.numbers import extract_standard_numbers

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "committees.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["text"][:30])
def test_committees_and_plan_numbers(case: dict) -> None:
    assert (committees(case["text"]), plan_numbers(case["text"])) == (case["committees"], case["plan_numbers"])


@pytest.mark.parametrize("case", [c for c in CASES if c["plan_numbers"]], ids=lambda c: c["text"][:30])
def test_a_plan_number_is_never_a_standard_number(case: dict) -> None:
    numbers = extract_standard_numbers(case["text"])
    assert not any(p in n or n.split()[-1] in p for n in numbers for p in case["plan_numbers"])
