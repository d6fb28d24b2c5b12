"""The prepared gloss table: cut as jieba cuts, kept in the temp folder, rebuilt when broken or stale."""
from __future__ import annotations

import json
import random
import re
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from transforms import gloss

HERE = Path(__file__).parent
HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@pytest.fixture(scope="module")
def temp_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("gloss")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(folder))
        yield folder


@pytest.fixture(scope="module")
def built(temp_dir: Path) -> tuple[gloss._Tables, Any]:
    """Tables built afresh in an empty temp folder, and jieba's tokenizer from the same words."""
    tables = gloss._Tables(gloss.default_glossary())
    tokenizer = gloss._tokenizer(list(tables.terms) + list(tables.words), gloss._cedict())
    return tables, tokenizer


def runs() -> list[str]:
    """Every Han run of the real titles and the gloss cases, and shuffles of their characters."""
    titles = [json.loads(line)["zh"] for line in (HERE / "gloss_titles.jsonl").read_text("utf-8").splitlines()
              if line.strip()]
    titles += [case["zh"] for case in yaml.safe_load((HERE / "cases" / "gloss.yaml").read_text("utf-8"))["cases"]]
    found = [run for title in titles for run in HAN_RUN.findall(title)]
    characters = "".join(found)
    shuffle = random.Random(16)
    found += ["".join(shuffle.choice(characters) for _ in range(shuffle.randint(1, 30))) for _ in range(500)]
    # Characters jieba leaves out of its Han range (CJK extension A, the end of the unified block,
    # compatibility ideographs) are cut alone, between words; a long idiom-laden run; one character.
    found += ["区块链㐀技术鿿要求豈标准", "鿿", "一石二鸟一举两得分布式记账技术要求", "链"]
    return found


def test_the_table_cuts_as_jieba_cuts(built: tuple[gloss._Tables, Any]) -> None:
    tables, tokenizer = built
    cases = runs()
    assert len(cases) > 600
    for run in cases:
        assert list(tables.segment(run)) == list(tokenizer.cut(run, HMM=False)), run


def test_the_table_keeps_cedicts_usable_sense_of_every_headword(built: tuple[gloss._Tables, Any]) -> None:
    tables, _ = built
    cedict = gloss._cedict()
    assert {word: tables.sense(word) for word in cedict} == {
        word: gloss._first_sense(raw) or "" for word, raw in cedict.items()}
    assert tables.sense("标准") == "standard"
    # Not headwords: a word's tail, a word with a character added, one character CEDICT lacks.
    assert [tables.sense(word) for word in ("块链", "区块链区", "㐀")] == [None, None, None]


def test_kept_table_is_read_back_a_broken_one_rebuilt_other_terms_another(
        built: tuple[gloss._Tables, Any], temp_dir: Path) -> None:
    tables, _ = built
    kept = list(temp_dir.glob("regwatch-glosstables-*.marshal"))
    assert len(kept) == 1
    read = gloss._prepared(tables.terms)
    assert read.weights is not tables.weights
    assert (read.weights, read.senses, read.longest, read.floor) == (
        tables.weights, tables.senses, tables.longest, tables.floor)
    assert read.data == yaml.safe_load((HERE.parents[1] / "transforms" / "gloss.yaml").read_text("utf-8"))

    kept[0].write_bytes(b"\x00cut short")
    rebuilt = gloss._prepared(tables.terms)
    assert rebuilt.weights == tables.weights and rebuilt.senses == tables.senses
    assert gloss._prepared(tables.terms).weights == tables.weights  # written afresh, read back

    assert "甲乙丙丁术语" not in tables.terms
    gloss._prepared({**tables.terms, "甲乙丙丁术语": "a made-up term"})
    assert len(list(temp_dir.glob("regwatch-glosstables-*.marshal"))) == 2
