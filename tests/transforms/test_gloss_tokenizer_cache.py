"""The gloss tokenizer kept in the temp folder is the one built from the dictionaries, word for word."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from transforms import gloss


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_kept_table_equals_the_built_one_and_a_broken_one_is_rebuilt(temp_dir: Path) -> None:
    terms = ["区块链", "分布式记账", "跨链互操作"]
    dictionary = dict(list(gloss._cedict().items())[:5000])

    built = gloss._tokenizer(terms, dictionary)
    kept = list(temp_dir.glob("regwatch-gloss-*.marshal"))
    assert len(kept) == 1
    read = gloss._tokenizer(terms, dictionary)
    assert read.FREQ is not built.FREQ
    assert (read.FREQ, read.total) == (built.FREQ, built.total)
    assert list(read.cut("区块链跨链互操作技术要求", HMM=False)) == list(built.cut("区块链跨链互操作技术要求", HMM=False))

    kept[0].write_bytes(b"\x00cut short")
    rebuilt = gloss._tokenizer(terms, dictionary)
    assert (rebuilt.FREQ, rebuilt.total) == (built.FREQ, built.total)
    assert gloss._read_table(kept[0]) == (built.FREQ, built.total)  # written afresh


def test_other_words_make_another_table(temp_dir: Path) -> None:
    dictionary = dict(list(gloss._cedict().items())[:100])
    gloss._tokenizer(["区块链"], dictionary)
    gloss._tokenizer(["智能合约"], dictionary)
    assert len(list(temp_dir.glob("regwatch-gloss-*.marshal"))) == 2
