"""understand / classify: the output contract of `regwatch classify`."""
from __future__ import annotations

import json

import pytest

from transforms.classify import Classification, classify
from transforms.understand import understand

KINDS = {"standard", "policy", "other"}
STAGES = {"plan", "draft", "published", "effective", "withdrawn", None}
LEVELS = {"international", "national", "industry", "local", "group", None}

SAMPLES = [
    {"title": "市场监管总局批准发布《区块链和分布式记账技术 参考架构》国家标准", "summary": "GB/T 42752－2023"},
    {"title": "SP 800-63-4 Digital Identity Guidelines", "summary": "Comments Due: 10/7/2026",
     "url": "https://csrc.nist.gov/pubs/sp/800/63/4/2pd", "jurisdiction": "US"},
    {"title": "Treasury issues guidance on stablecoin reserve attestations", "summary": None},
    {"title": ""},
]


@pytest.mark.parametrize("fields", SAMPLES, ids=lambda f: f["title"][:20] or "<empty>")
def test_understand_contract(fields: dict) -> None:
    out = understand(**fields)
    assert {"lang", "blockchain", "kind", "stage", "level", "standard_numbers", "standard_key"} <= out.keys()
    assert out["kind"] in KINDS and out["stage"] in STAGES and out["level"] in LEVELS
    assert isinstance(out["standard_numbers"], list) and isinstance(out["blockchain"], bool)
    json.dumps(out, ensure_ascii=False)


def test_understand_is_deterministic() -> None:
    runs = {json.dumps([understand(**f) for f in SAMPLES], ensure_ascii=False) for _ in range(3)}
    assert len(runs) == 1


def test_nist_url_suffix_gives_stage_and_deadline() -> None:
    out = understand(**SAMPLES[1])
    assert (out["stage"], out["comment_deadline"], out["standard_numbers"]) == ("draft", "2026-10-07", ["NIST SP 800-63-4"])


def test_classification_is_frozen_and_json_ready() -> None:
    result = classify("团体标准T/CBD 002-2024《区块链 跨链协议》发布")
    assert isinstance(result, Classification)
    assert result.as_dict() == {"lang": "zh", "blockchain": True, "kind": "standard", "stage": "published",
                                "level": "group", "standard_numbers": ["T/CBD 002-2024"]}
    with pytest.raises(AttributeError):
        result.kind = "policy"  # type: ignore[misc]


def test_policy_and_other_carry_no_stage_or_level() -> None:
    out = classify("国家互联网信息办公室关于《区块链信息服务管理规定（修订草案征求意见稿）》公开征求意见的通知")
    assert (out.kind, out.stage, out.level) == ("policy", None, None)


@pytest.mark.parametrize("title, summary, stage", [
    ("ISO 22739:2024 Blockchain and distributed ledger technologies — Vocabulary", "60.60", "published"),
    ("ISO/DTS 23516 Blockchain and distributed ledger technology — Interoperability framework", "50.00", "draft"),
    ("ISO/AWI 7603 Decentralized finance lending — Guidelines", "20.00", "plan"),
    ("ISO/TR 23244:2020 Blockchain — Privacy and personally identifiable information protection", "95.99",
     "withdrawn"),
    ("ISO 23257:2022 Blockchain and distributed ledger technologies — Reference architecture", "Stage: 90.93",
     "published"),
])
def test_iso_harmonized_stage_codes(title: str, summary: str, stage: str) -> None:
    assert understand(title, summary)["stage"] == stage


@pytest.mark.parametrize("jurisdiction, level", [("CN-GD-SZ", "local"), ("INTL", "international"),
                                                 ("CN", "national"), (None, "national")])
def test_level_falls_back_on_the_publishers_jurisdiction(jurisdiction, level) -> None:
    title = "关于公开征求《金融行业区块链平台技术规范》（征求意见稿）意见的通知"
    assert understand(title, jurisdiction=jurisdiction)["level"] == level


@pytest.mark.parametrize("title, level", [
    ("关于公开征求《区块链 跨链协议 技术规范》（征求意见稿）意见的通知", "group"),  # names no level
    ("关于公开征求《区块链 跨链协议 技术规范》地方标准（征求意见稿）意见的通知", "local"),  # the text wins
    ("ISO/DIS 24643 Blockchain — Smart contract security", "international"),
    ("关于印发《区块链应用试点工作方案》的通知", None),  # a policy has no level
])
def test_a_publishers_default_level_fills_in_only_a_missing_level(title: str, level: str | None) -> None:
    out = understand(title, jurisdiction="CN-GD-SZ", hints={"default_level": "group"})
    assert out["level"] == level and "default_level" not in out


def test_a_publishers_stated_facts_win_over_the_text() -> None:
    title = "关于公开征求《区块链 跨链协议 技术规范》（征求意见稿）意见的通知"
    assert understand(title)["stage"] == "draft"
    out = understand(title, hints={"stage": "published", "level": "industry", "default_level": "group"})
    assert (out["kind"], out["stage"], out["level"]) == ("standard", "published", "industry")
