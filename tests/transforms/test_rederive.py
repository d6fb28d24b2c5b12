"""Re-deriving a stored notice (transforms/reprocess.py): the pure half of `regwatch reprocess`."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from records.items import Attachment, FetchedItem
from transforms.normalise import SourceMeta, normalise
from transforms.reprocess import DERIVED, rederive, stored_item

NOW = datetime.now(timezone.utc)  # every date below is built from it
MIIT = SourceMeta("miit-yjzj", "工业和信息化部", "CN")
SAMR = SourceMeta("samr-gb-plans", "国家标准化管理委员会", "CN")
DRAFT_TITLE = "关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知"


def day(n: int) -> str:
    return (NOW + timedelta(days=n)).date().isoformat()


def old_doc(title: str, **fields: Any) -> dict[str, Any]:
    """A notice as an older regwatch indexed it: no English line, untyped attachments, its own stage."""
    doc = {"id": "x", "source_id": "miit-yjzj", "issuer": "工业和信息化部", "jurisdiction": "CN",
           "url": "https://www.miit.gov.cn/a.html", "title": title, "summary": "", "body": "",
           "lang": "zh", "published_at": f"{day(-3)}T10:00:00+08:00", "fetched_at": NOW.isoformat(),
           "blockchain": False, "kind": "other", "stage": None, "level": None, "standard_numbers": [],
           "standard_key": None, "comment_deadline": None, "attachments": [], "content_hash": "h",
           "warnings": []}
    doc.update(fields)
    return doc


# (what the old version stored, the fields today's transforms change -> their new value)
CASES = [
    pytest.param(old_doc(DRAFT_TITLE, stage="published"),
                 {"stage": "draft", "blockchain": True, "kind": "standard", "level": "national",
                  "title_en_origin": "gloss"}, id="wrong-stage-and-no-english"),
    pytest.param(old_doc("关于征求意见的通知", body="附件：征求意见稿", attachments=[
        {"url": "https://www.miit.gov.cn/f/1.docx", "name": "1.征求意见稿.docx"},
        {"url": "https://www.miit.gov.cn/f/2.doc", "name": "2.意见反馈表"}]),
        {"attachments": [
            {"url": "https://www.miit.gov.cn/f/1.docx", "name": "1.征求意见稿.docx", "type": "draft",
             "format": "docx"},
            {"url": "https://www.miit.gov.cn/f/2.doc", "name": "2.意见反馈表", "type": "feedback_form",
             "format": "doc"}]}, id="untyped-attachments"),
    pytest.param(old_doc("关于征求意见的通知", body="请将意见发送至 tc590@example.org。全国区块链和分布式记账技术"
                         "标准化技术委员会（SAC/TC 590）"),
                 {"comments_to": {"emails": ["tc590@example.org"], "postal_address": None, "contact": None,
                                  "phones": [], "form_url": None}}, id="comments-to"),
]


@pytest.mark.parametrize(("doc", "want"), CASES)
def test_an_old_notice_gets_todays_understanding(doc: dict[str, Any], want: dict[str, Any]) -> None:
    changed = rederive(doc, MIIT, NOW)
    assert set(changed) <= set(DERIVED)
    assert {k: changed.get(k) for k in want} == want
    assert rederive({**doc, **changed}, MIIT, NOW) == {}  # a second pass changes nothing


def test_the_english_gloss_is_written_where_there_was_none() -> None:
    changed = rederive(old_doc(DRAFT_TITLE), MIIT, NOW)
    assert "Blockchain" in changed["title_en"] and changed["title_en_origin"] == "gloss"


def test_the_publishers_own_english_title_is_kept() -> None:
    doc = old_doc("GB/T 42752-2023 区块链和分布式记账技术 参考架构", title_en="Blockchain and DLT — Reference "
                  "architecture", title_en_origin="publisher")
    assert "title_en" not in rederive(doc, MIIT, NOW)
    assert "title_en_origin" not in rederive(doc, MIIT, NOW)


def test_a_stated_stage_is_kept_and_a_guessed_one_is_not() -> None:
    # The std.samr plan list says this plan is at 批准阶段 (stated: published); the title alone
    # reads as a draft. Kept when the kind states stages; re-guessed when it does not.
    doc = old_doc(DRAFT_TITLE, source_id="samr-gb-plans", stage="published", kind="standard",
                  level="national")
    stated = ("kind", "level", "stage", "standard_numbers")
    assert "stage" not in rederive(doc, SAMR, NOW, stated)
    assert rederive(doc, SAMR, NOW)["stage"] == "draft"


def test_the_stored_deadline_stays_when_the_text_gives_none() -> None:
    # The listed deadline (a list column) is not stored apart: the stored one stands in for it.
    doc = old_doc(DRAFT_TITLE, comment_deadline=day(20))
    assert "comment_deadline" not in rederive(doc, MIIT, NOW)


def test_a_deadline_in_the_text_is_found_once_the_stage_is_draft() -> None:
    when = NOW + timedelta(days=20)
    doc = old_doc(DRAFT_TITLE, stage="published",
                  body=f"请于{when.year}年{when.month}月{when.day}日前反馈意见。")
    assert rederive(doc, MIIT, NOW)["comment_deadline"] == when.date().isoformat()


def test_the_stored_item_carries_what_normalise_reads() -> None:
    doc = old_doc("标题", summary="摘要", body="正文", attachments=[{"url": "u", "name": "n", "type": "other",
                                                                  "format": None}])
    item = stored_item(doc)
    assert (item.title, item.summary, item.body, item.published) == ("标题", "摘要", "正文", doc["published_at"])
    assert item.attachments == (Attachment("u", "n"),) and item.hints == {}


REAL = [json.loads(line)["in"]["title"] for line in
        (Path(__file__).parent / "real_notices.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
ITEMS = [
    FetchedItem("miit-yjzj", "https://www.miit.gov.cn/b.html", DRAFT_TITLE, published=day(-2),
                body="请于30日内反馈。联系人：张三，电话：010-68208226", deadline=day(25),
                attachments=(Attachment("https://www.miit.gov.cn/f/3.pdf", "征求意见稿.pdf"),)),
    FetchedItem("miit-yjzj", "https://www.miit.gov.cn/c.html", "【已结束】关于 GB/T 42752-2023 的公告",
                published="1733900000000", summary="计划号 20210929-T-469 SAC/TC 590"),
    *[FetchedItem("miit-yjzj", f"https://www.miit.gov.cn/r{i}.html", title, published=day(-5))
      for i, title in enumerate(REAL)],
]


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.url.rsplit("/", 1)[-1])
def test_a_notice_indexed_by_this_version_is_unchanged(item: FetchedItem) -> None:
    assert rederive(normalise(item, MIIT, NOW).to_doc(), MIIT, NOW) == {}
