"""normalise's comment deadline (listed instant vs. the notice's sentence) against a table."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from records.items import FetchedItem
from transforms.normalise import SourceMeta, normalise

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "normalise_deadline.yaml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)
SOURCE = SourceMeta("miit-yjzj", "工业和信息化部", "CN")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.get('deadline')}|{c['body'][:12]}")
def test_comment_deadline_of_a_notice(case: dict) -> None:
    item = FetchedItem(source_id=SOURCE.id, url="https://www.miit.gov.cn/gzcy/yjzj/art/2026/art_x.html",
                       title=case["title"], published="2026-11-20", body=case["body"],
                       deadline=case.get("deadline"))
    notice = normalise(item, SOURCE, NOW)
    assert notice.comment_deadline == case["want"]
    assert notice.warnings == ([case["warning"]] if case["warning"] else [])
