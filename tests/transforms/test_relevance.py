"""is_blockchain against the table in cases/relevance.yaml (negatives, summary weighting)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from transforms.relevance import blockchain_terms, is_blockchain

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "relevance.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["title"][:30])
def test_is_blockchain(case: dict) -> None:
    assert is_blockchain(case["title"], case.get("summary", "")) is case["want"]


def test_negative_context_is_blanked_not_the_whole_text() -> None:
    assert blockchain_terms("区块链赋能供应链、产业链上") == ["区块链"]
