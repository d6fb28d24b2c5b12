"""extract_standard_numbers against the table in cases/numbers.yaml."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from transforms.numbers import extract_standard_numbers, standard_base

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "numbers.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["text"][:30])
def test_extract_standard_numbers(case: dict) -> None:
    assert extract_standard_numbers(case["text"]) == case["want"]


@pytest.mark.parametrize(("number", "base"), [
    ("GB/T 42752-2023", "GB/T 42752"),
    ("ISO/IEC DIS 24643", "ISO/IEC 24643"),
    ("ISO 22739:2024", "ISO 22739"),
    ("ISO/DTS 23516", "ISO/TS 23516"),  # the draft links to its publication, ISO/TS 23516
    ("ISO/AWI 7603", "ISO 7603"),
    ("ISO/TS 23635:2022", "ISO/TS 23635"),
    ("IEEE P2418.1", "IEEE 2418.1"),
    ("NIST SP 800-53 Rev. 5", "NIST SP 800-53"),
    ("NIST SP 800-63-4", "NIST SP 800-63-4"),
    ("FASB ASU 2023-08", "FASB ASU 2023-08"),
    ("EN 17529:2022", "EN 17529"),
    ("CEN/TS 18264:2026", "CEN/TS 18264"),
    ("IEC 62443-4-2:2019", "IEC 62443-4-2"),
    ("RFC 7519", "RFC 7519"),
    ("W3C did-1.1", "W3C did-1.1"),
    ("FIPS 186-5", "FIPS 186-5"),
])
def test_standard_base(number: str, base: str) -> None:
    assert standard_base(number) == base


def test_output_is_ascii() -> None:
    for number in extract_standard_numbers("ＧＢ／Ｔ　４２５７０－２０２３、JR/T 0184—2020、DB44/T 2455–2023"):
        assert number.isascii()
