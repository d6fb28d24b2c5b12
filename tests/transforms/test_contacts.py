"""comments_to against the table in cases/contacts.yaml; every body extractor on large and random bodies."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.attachments import attachment_type
from transforms.committees import committees, plan_numbers
from transforms.contacts import comments_to

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "contacts.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["text"][:30])
def test_comments_to(case: dict) -> None:
    assert comments_to(case["text"]) == case["want"]


@pytest.mark.parametrize("filler", ["a" * 60_000, "1" * 60_000, "联系人：" * 15_000, "x@" * 30_000,
                                    "http://" + "a" * 60_000, "电话：010-" * 8_000, "#" * 60_000 + "换成@",
                                    "".join(f"电话：010-{n:08d}\n" for n in range(4_000)), "TC " * 20_000,
                                    "SAC/ " * 12_000, "20210929-" * 6_000, " " * 60_000])
def test_large_bodies_stay_linear(filler: str) -> None:
    # A 60 KB run of one shape is where a backtracking pattern goes quadratic; bodies reach 50 KB.
    started = time.perf_counter()
    text = filler + "\n邮箱：tc590@cesi.cn SAC/TC 590 20210929-T-469"
    assert comments_to(text) is not None and committees(text) and plan_numbers(text)
    attachment_type(filler[:300], "https://x.cn/" + filler[:2000])
    assert time.perf_counter() - started < 1.0


# Fragments of the shapes the extractors key on, shuffled: whatever comes out keeps its contract.
_PIECES = st.sampled_from(["联系人：", "电话：", "传真：", "邮箱：", "邮编：", "通讯地址：", "寄至：", "北京市", "路1号",
                           "010-", "6498", "1207", "13581567188", "tc590", "@", "#", "＠", "cesi.cn", "换成@", ".",
                           "。", "，", "\n", " ", "http://", "www.", "regulations.gov", "意见", "comment", "TC", "590",
                           "SAC/", "/SC ", "20210929", "-T-", "469", "a", "说明", "征求意见稿", ".pdf"])


@settings(max_examples=200, deadline=2000, derandomize=True)
@given(st.lists(_PIECES, max_size=60).map("".join))
def test_any_mix_keeps_the_contract(text: str) -> None:
    found = comments_to(text)
    if found is not None:
        assert set(found) == {"emails", "postal_address", "contact", "phones", "form_url"} and any(found.values())
        assert all("@" in e and " " not in e for e in found["emails"])
        assert all(sum(c.isdigit() for c in p) >= 7 for p in found["phones"])
    assert all(c.count("TC") == 1 for c in committees(text))
    assert all(re.fullmatch(r"\d{8}-[TZQ]-\d{3}", p) for p in plan_numbers(text))
    assert attachment_type(text) in ("draft", "explanation", "feedback_form", "standard_text", "other")
