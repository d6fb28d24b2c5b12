"""attachment_type and file_format against the table in cases/attachments.yaml."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from transforms.attachments import attachment_type, describe, file_format

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "attachments.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: (c["name"] or c["url"])[:30])
def test_attachment_type_and_format(case: dict) -> None:
    publishes = case.get("publishes", False)
    assert attachment_type(case["name"], case["url"], publishes_standard=publishes) == case["type"]
    assert file_format(case["name"], case["url"]) == case["format"]


def test_describe_is_the_indexed_shape() -> None:
    assert describe("https://x.gov.cn/a.pdf", "编制说明.pdf") == {
        "url": "https://x.gov.cn/a.pdf", "name": "编制说明.pdf", "type": "explanation", "format": "pdf"}
