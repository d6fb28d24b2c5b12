"""comments_to against the table in cases/contacts.yaml, and its cost on large bodies."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from transforms.contacts import comments_to

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "contacts.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["text"][:30])
def test_comments_to(case: dict) -> None:
    assert comments_to(case["text"]) == case["want"]


@pytest.mark.parametrize("filler", ["a" * 60_000, "1" * 60_000, "联系人：" * 15_000, "x@" * 30_000,
                                    "http://" + "a" * 60_000, "电话：010-" * 8_000, "#" * 60_000 + "换成@",
                                    "".join(f"电话：010-{n:08d}\n" for n in range(4_000))])
def test_large_bodies_stay_linear(filler: str) -> None:
    # A 60 KB run of one shape is where a backtracking pattern goes quadratic; bodies reach 50 KB.
    started = time.perf_counter()
    comments_to(filler + "\n邮箱：tc590@cesi.cn")
    assert time.perf_counter() - started < 1.0
