"""Our own labelled set (cases/labelled.jsonl): every row, every labelled field."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from transforms.understand import understand

ROWS = [json.loads(line) for line in
        (Path(__file__).parent / "cases" / "labelled.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
FIELDS = ("lang", "blockchain", "kind", "stage", "level", "standard_numbers")


def _number_key(text: str) -> tuple[str, str]:
    # Same judgement as the shared scorer: family letters and the longest digit run, so a
    # label "ISO/IEC 4152" accepts "ISO/IEC AWI 4152" (the stage prefix is not the number).
    text = text.upper().replace("—", "-").replace("－", "-").replace("–", "-").replace(" ", "")
    family = re.match(r"[A-Z]+", text)
    return (family.group(0) if family else "", max(re.findall(r"\d+", text), key=len, default=""))


def _judged(facts: dict) -> dict:
    return {**{f: facts[f] for f in FIELDS},
            "standard_numbers": {_number_key(n) for n in facts["standard_numbers"]}}


@pytest.mark.parametrize("row", [pytest.param(r, id=f"{i}:{r['in']['title'][:30]}") for i, r in enumerate(ROWS, 1)])
def test_labelled_row(row: dict) -> None:
    assert set(row["want"]) == set(FIELDS), "every row labels every field"
    # "source" names the publisher for `regwatch classify`; the pure steps take its facts (hints).
    facts = understand(**{k: v for k, v in row["in"].items() if k != "source"})
    assert _judged(facts) == _judged(row["want"])


def test_labelled_set_is_large_enough() -> None:
    assert len(ROWS) >= 40
