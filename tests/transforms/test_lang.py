"""detect_lang against the table in cases/lang.yaml."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from transforms.lang import detect_lang

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "lang.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["text"][:30] or "<empty>")
def test_detect_lang(case: dict) -> None:
    assert detect_lang(case["text"]) == case["want"]


def test_detect_lang_is_deterministic() -> None:
    text = "Leitlinien der BaFin zur Verwahrung von Kryptowerten"
    assert len({detect_lang(text) for _ in range(5)}) == 1
