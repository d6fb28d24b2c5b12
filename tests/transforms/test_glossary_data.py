"""Shape of the gloss data: the terminology table (transforms/glossary.yaml) and the cited
title pairs that measure the gloss (tests/transforms/gloss_titles.jsonl)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "transforms" / "glossary.yaml"
TITLES = Path(__file__).parent / "gloss_titles.jsonl"

HAN = re.compile(r"[\u3400-\u9fff]")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated inside one mapping (PyYAML keeps the last silently)."""


def _construct_unique(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise AssertionError(f"duplicate key in glossary: {key!r} (line {key_node.start_mark.line + 1})")
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique)


def _sections() -> dict[str, dict[str, str]]:
    data = yaml.load(GLOSSARY.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
    assert isinstance(data, dict) and data, "glossary must be a mapping of sections"
    return data


def _rows() -> list[dict[str, Any]]:
    lines = TITLES.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_glossary_has_the_three_sections() -> None:
    assert list(_sections()) == ["terms", "process", "bodies"]


def test_glossary_sections_are_mappings_of_chinese_to_ascii() -> None:
    for name, section in _sections().items():
        assert isinstance(section, dict) and section, f"section {name} must be a non-empty mapping"
        for zh, en in section.items():
            assert isinstance(zh, str) and HAN.search(zh), f"{name}: key {zh!r} has no Chinese"
            assert isinstance(en, str) and en.strip(), f"{name}: {zh} has an empty value"
            assert en.isascii(), f"{name}: {zh} -> {en!r} is not ASCII"
            assert en == en.strip(), f"{name}: {zh} -> {en!r} has stray spaces"


def test_glossary_has_no_key_in_two_sections() -> None:
    seen: dict[str, str] = {}
    for name, section in _sections().items():
        for zh in section:
            assert zh not in seen, f"{zh} is in both {seen[zh]} and {name}"
            seen[zh] = name
    assert len(seen) >= 250


def test_glossary_holds_no_whole_title() -> None:
    # A whole title, or the specific element of one, as a single entry would make the gloss
    # measure trivial: only the leading domain element (信息安全技术, 区块链和分布式记账技术 …)
    # and standard field terms may coincide with a title element longer than four characters.
    keys = {zh for section in _sections().values() for zh in section}
    for row in _rows():
        parts = row["zh"].split(" ")
        assert row["zh"].replace(" ", "") not in keys, f"whole title in glossary: {row['zh']}"
        for part in parts[1:] if len(parts) > 1 else parts:
            if len(part) > 4 and part in keys:
                assert part in _FIELD_TERMS, f"title element used as one entry: {part} ({row['number']})"


# Field terms and generic title heads that are also complete title elements in some catalogue
# titles; each is shared by many standards, so it gives the gloss no title for free.
_FIELD_TERMS = {"公钥基础设施", "信息技术", "安全技术", "分类与代码"}


def test_gloss_titles_rows_are_cited_pairs() -> None:
    rows = _rows()
    assert len(rows) >= 40
    for row in rows:
        assert HAN.search(row["zh"]), row
        assert row["en"].strip() and not HAN.search(row["en"]), row
        assert re.match(r"https?://\S+$", row["found_at"]), row
    zh = [row["zh"] for row in rows]
    assert len(zh) == len(set(zh)), "duplicate zh title"
