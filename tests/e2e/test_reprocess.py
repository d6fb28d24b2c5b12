"""`regwatch reprocess` on a real Elasticsearch node: old notices get today's understanding, and
nobody is alerted for it."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from alerts import subscriptions as subs
from alerts.dispatch import dispatch
from connectors import store
from connectors.catalog import load_catalog
from records.items import Attachment, FetchedItem
from regwatch import reprocess as rp
from regwatch.cli import main
from tests.conftest import REPO
from transforms.normalise import SourceMeta, normalise

CATALOG = REPO / "tests" / "catalog.yaml"
SOURCES = load_catalog(CATALOG)
MIIT = SourceMeta("miit-yjzj", "工业和信息化部", "CN")
NOW = datetime.now(timezone.utc)  # dispatch reads the real clock: every date is built from it
TITLE = "关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知"
ITEM = FetchedItem("miit-yjzj", "https://www.miit.gov.cn/gzcy/yjzj/a.html", TITLE,
                   published=(NOW - timedelta(days=2)).isoformat(), body="附件：征求意见稿",
                   attachments=(Attachment("https://www.miit.gov.cn/f/1.pdf", "1.征求意见稿.pdf"),))


def old_doc(item: FetchedItem = ITEM, **fields: Any) -> dict[str, Any]:
    """The notice as the previous version indexed it: same content (and content hash), but
    its own understanding: wrong stage, not blockchain, no English line, untyped attachments,
    no first_seen_at; a dispatch handled it days ago."""
    doc = normalise(item, MIIT, NOW - timedelta(days=1)).to_doc()
    for name in ("title_en", "title_en_origin", "comments_to", "committees", "plan_numbers",
                 "first_seen_at"):
        doc.pop(name)
    doc.update(stage="published", kind="other", blockchain=False, level=None,
               attachments=[{"url": a.url, "name": a.name} for a in item.attachments],
               announced_at=(NOW - timedelta(days=1)).isoformat())
    doc.update(fields)
    return doc


def put(es, doc: dict[str, Any]) -> None:
    es.index(index=store.NOTICES, id=doc["id"], document=doc, refresh=True)


def get(es, notice_id: str) -> dict[str, Any]:
    return es.get(index=store.NOTICES, id=notice_id)


def test_old_notices_get_todays_understanding_and_nobody_is_alerted(es, smtp, monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_LINK_KEY", "k" * 32)
    old = old_doc()
    orphan = old_doc(replace(ITEM, source_id="gone-source"), id="orphan", source_id="gone-source")
    put(es, old)
    put(es, orphan)
    # Blockchain drafts from this publisher: the reprocessed notice matches, were it ever due.
    subs.save(es, subs.make("email", "analyst@example.org", subs.Filters(), known_sources=["miit-yjzj"],
                            backfill_days=30))

    report = rp.reprocess(es, SOURCES, page_size=1)

    assert (report.scanned, report.changed, report.unchanged, report.skipped) == (2, 1, 0, 1)
    assert report.by_field["stage"] == 1 and report.by_field["title_en"] == 1
    now = get(es, old["id"])["_source"]
    assert (now["stage"], now["kind"], now["blockchain"]) == ("draft", "standard", True)
    assert "Blockchain" in now["title_en"] and now["title_en_origin"] == "gloss"
    assert now["attachments"] == [{"url": "https://www.miit.gov.cn/f/1.pdf", "name": "1.征求意见稿.pdf",
                                   "type": "draft", "format": "pdf"}]
    for kept in ("announced_at", "fetched_at", "content_hash", "published_at", "title"):
        assert now[kept] == old[kept], kept
    assert "first_seen_at" not in now  # the policy still reads fetched_at for it, as before
    assert get(es, "orphan")["_source"] == orphan

    # The next cycle: the publisher's page is unchanged, then changed (same stage); neither alerts.
    same = store.upsert_notices(es, [normalise(ITEM, MIIT, NOW)])
    edited = store.upsert_notices(es, [normalise(replace(ITEM, body="附件：征求意见稿（修订）"), MIIT, NOW)])
    assert same.unchanged == [old["id"]] and edited.updated == [old["id"]]
    assert not same.stage_changed and not edited.stage_changed
    assert store.unannounced_ids(es, "miit-yjzj") == []
    result = dispatch(es, [*same.alertable, *edited.alertable, *store.unannounced_ids(es, "miit-yjzj")])
    assert not result.sent and smtp.messages == []


def test_a_notice_still_due_stays_due(es) -> None:
    # One an earlier dispatch failed to handle keeps announced_at null: it is alerted as it would
    # have been, at today's stage.
    old = old_doc(announced_at=None)
    put(es, old)
    rp.reprocess(es, SOURCES)
    assert store.unannounced_ids(es, "miit-yjzj") == [old["id"]]
    assert get(es, old["id"])["_source"]["stage"] == "draft"


def test_dry_run_writes_nothing(es, capsys) -> None:
    old = old_doc()
    put(es, old)
    before = get(es, old["id"])
    assert main(["reprocess", "--dry-run", "--catalog", str(CATALOG)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("reprocess: scanned 1, would change 1 (by field: ")
    assert out[-1].endswith("; dry run: nothing written") and "stage 1" in out[-1]
    assert out[0].startswith(f"{old['id']}: ") and 'stage: "published" -> "draft"' in out[0]
    after = get(es, old["id"])
    assert (after["_seq_no"], after["_source"]) == (before["_seq_no"], before["_source"])


def test_a_second_run_changes_nothing(es, capsys) -> None:
    put(es, old_doc())
    put(es, old_doc(replace(ITEM, url="https://www.miit.gov.cn/gzcy/yjzj/b.html", title="关于印发《工作要点》的通知"),
                    kind="standard"))
    first = rp.reprocess(es, SOURCES)
    assert (first.scanned, first.changed) == (2, 2)
    assert main(["reprocess", "--catalog", str(CATALOG)]) == 0
    assert capsys.readouterr().out.strip() == ("reprocess: scanned 2, changed 0, unchanged 2, "
                                               "skipped 0 (source not in the catalogue)")


def test_only_the_named_sources_and_unknown_ones_refused(es, capsys) -> None:
    put(es, old_doc())
    assert main(["reprocess", "--source", "nist-csrc", "--catalog", str(CATALOG)]) == 0
    assert capsys.readouterr().out.startswith("reprocess: scanned 0, changed 0")
    assert main(["reprocess", "--source", "nope", "--catalog", str(CATALOG)]) == 2
    assert capsys.readouterr().err.strip() == ("regwatch reprocess: error: unknown source 'nope' "
                                               "(see `regwatch sources`)")
    assert get(es, old_doc()["id"])["_source"]["stage"] == "published"


def test_a_write_between_read_and_write_is_not_overwritten(es) -> None:
    old = old_doc()
    put(es, old)
    origins = {s.id: rp.Origin.of(s) for s in SOURCES}
    [[hit]] = list(store.scan_notices(es, {"match_all": {}}))
    stale = rp.plan(hit, origins, NOW)
    assert stale is not None and stale.after["stage"] == "draft"
    # Meanwhile a poll of the old version (a rolling upgrade) writes the publisher's new title:
    # the standard is now published. Its understanding is the old one's again.
    moved = old_doc(replace(ITEM, title="关于《区块链 跨链互操作技术要求》国家标准正式发布的公告"),
                    stage="draft", fetched_at=NOW.isoformat(), announced_at=None)
    put(es, moved)

    report = rp.ReprocessReport()
    rp.apply(es, [stale], origins, NOW, report)

    now = get(es, old["id"])["_source"]
    assert report.retried == 1
    assert now["title"] == moved["title"] and now["fetched_at"] == moved["fetched_at"]
    assert now["announced_at"] is None  # the poll's stage change is still due
    # Re-derived from what the poll wrote, not from the version first read.
    assert now["stage"] == "published" and now["title_en"].startswith("Announcement on ")
    assert now["title_en"] != stale.after["title_en"]
    assert now["attachments"][0]["type"] == "draft"


@pytest.mark.parametrize("page_size", [1, 500])
def test_every_page_is_read(es, page_size: int) -> None:
    for n in range(3):
        put(es, old_doc(replace(ITEM, url=f"https://www.miit.gov.cn/gzcy/yjzj/{n}.html")))
    report = rp.reprocess(es, SOURCES, page_size=page_size)
    assert (report.scanned, report.changed) == (3, 3)
