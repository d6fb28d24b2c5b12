"""A subscription's filters in words (pure; the table is the spec)."""
from __future__ import annotations

import pytest

from alerts.subscriptions import Filters, Subscription
from alerts.web.words import describe, pick_lang

NAMES = {"miit-yjzj": "MIIT 意见征集", "nist-csrc": "NIST CSRC"}
CASES = [
    (Filters(), "Blockchain standards", "区块链标准"),
    (Filters(stages=("draft",), levels=("national",), sources=("miit-yjzj",)),
     "Blockchain standards · stage: draft for comment · level: national · publishers: MIIT 意见征集",
     "区块链标准 · 阶段：征求意见 · 级别：国家 · 发布机构：MIIT 意见征集"),
    (Filters(kinds=(), blockchain_only=False), "All notices", "全部通知"),
    (Filters(kinds=("standard", "policy"), sources=("nist-csrc", "unknown-id"), text="跨链"),
     "Blockchain standards and policies · publishers: NIST CSRC, unknown-id · words: “跨链”",
     "区块链标准、政策 · 发布机构：NIST CSRC、unknown-id · 关键词：“跨链”"),
    (Filters(jurisdictions=("CN", "INTL"), standard_numbers=("GB/T 42752-2023",), levels=("group",)),
     "Blockchain standards · level: association · jurisdiction: CN, INTL · standard: GB/T 42752-2023",
     "区块链标准 · 级别：团体 · 地区：CN、INTL · 标准号：GB/T 42752-2023"),
]


@pytest.mark.parametrize("filters, en, zh", CASES)
def test_filters_in_words(filters: Filters, en: str, zh: str) -> None:
    assert describe(filters, "en", NAMES) == en
    assert describe(filters, "zh", NAMES) == zh


@pytest.mark.parametrize("asked, sub_lang, expected", [
    (None, "both", "zh"), (None, "en", "en"), (None, "zh", "zh"), ("en", "zh", "en"),
    ("zh", "en", "zh"), ("fr", "en", "en"), ("<script>", "both", "zh")])
def test_page_language(asked, sub_lang, expected) -> None:
    sub = Subscription("sub-1", "email", "a@example.org", lang=sub_lang)
    assert pick_lang(asked, sub) == expected
