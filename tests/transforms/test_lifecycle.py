"""standard_key links the notices of one standard and keeps different standards apart."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from transforms.lifecycle import standard_key
from transforms.understand import understand

GROUPS = yaml.safe_load((Path(__file__).parent / "cases" / "lifecycle.yaml").read_text(encoding="utf-8"))


def _key(notice: dict) -> str:
    return understand(notice["title"], notice.get("summary", ""))["standard_key"]


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g["standard"][:40])
def test_one_key_per_standard(group: dict) -> None:
    assert {_key(n) for n in group["notices"]} == {group["key"]}


def test_five_stages_from_three_publishers_share_one_key() -> None:
    group = GROUPS[0]
    assert len(group["notices"]) == 5
    assert len({n["source"] for n in group["notices"]}) >= 3
    assert len({_key(n) for n in group["notices"]}) == 1


def test_different_standards_get_different_keys() -> None:
    keys = [group["key"] for group in GROUPS]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(("title", "numbers", "key"), [
    ("关于征求《区块链信息服务管理规定（修订草案征求意见稿）》意见的通知", [], "title:区块链信息服务管理规定"),
    ("ISO/TR 23244:2020 Blockchain and DLT — Privacy", ["ISO/TR 23244:2020"], "num:ISO/TR 23244"),
    ("Blockchain Technology Overview published", [], "title:blockchaintechnologyoverview"),
])
def test_standard_key(title: str, numbers: list[str], key: str) -> None:
    assert standard_key(title, numbers) == key
