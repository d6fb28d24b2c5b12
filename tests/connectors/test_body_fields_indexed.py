"""What an analyst acts on (comments_to, typed attachments, committees, plan numbers) survives indexing."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from connectors import store
from records.items import Attachment, FetchedItem
from records.notice import Notice
from transforms.normalise import SourceMeta, normalise

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)
# The body and files of tests/fixtures/miit-yjzj's TC 590 draft (art_a4079f862aa1419a9005840702e86824.html).
BODY = ("全国区块链和分布式记账技术标准化技术委员会（SAC/TC 590）组织起草的国家标准《区块链 跨链互操作技术要求》"
        "（计划号：20253417-T-339）已形成征求意见稿，现公开征求意见。\n请于2026年12月10日前将意见反馈至tc590@cesi.cn。")
ITEM = FetchedItem(
    source_id="miit-yjzj", url="https://www.miit.gov.cn/gzcy/yjzj/art/2026/art_a4079f862aa1419a9005840702e86824.html",
    title="关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知", published="2026-11-10", body=BODY,
    attachments=(Attachment("https://www.miit.gov.cn/f/57512cace8149ad4efe3dfeac9e8c398.pdf",
                            "《区块链 跨链互操作技术要求》（征求意见稿）.pdf"),
                 Attachment("https://www.miit.gov.cn/f/9b145bdfc02fd59fa3d4857764c58b0d.wps", "编制说明.wps")))


def test_the_extracted_fields_index_and_filter(es) -> None:
    notice = normalise(ITEM, SourceMeta("miit-yjzj", "工业和信息化部", "CN"), NOW)
    store.upsert_notices(es, [notice])
    es.indices.refresh(index=store.NOTICES)
    # The store adds when it first saw the notice; everything else comes back as written.
    assert store.get_notices(es, [notice.id]) == [replace(notice, first_seen_at=notice.fetched_at)]
    stored: Notice = store.get_notices(es, [notice.id])[0]
    assert (stored.committees, stored.plan_numbers) == (["SAC/TC 590"], ["20253417-T-339"])
    assert stored.comments_to == {"emails": ["tc590@cesi.cn"], "postal_address": None, "contact": None,
                                  "phones": [], "form_url": None}
    assert [(a["type"], a["format"]) for a in stored.attachments] == [("draft", "pdf"), ("explanation", "wps")]
    for field, value in (("committees", "SAC/TC 590"), ("plan_numbers", "20253417-T-339"),
                         ("attachments.type", "explanation"), ("comments_to.emails", "tc590@cesi.cn")):
        hits = es.search(index=store.NOTICES, query={"term": {field: value}})["hits"]["hits"]
        assert [h["_id"] for h in hits] == [notice.id], field
    assert es.search(index=store.NOTICES, query={"term": {"attachments.type": "feedback_form"}})["hits"]["hits"] == []
