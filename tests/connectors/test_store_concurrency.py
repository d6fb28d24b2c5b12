"""Two cycles writing the store at once, on the real node: no 409 escapes, no write is lost."""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any, Callable

from connectors import store
from tests.connectors.test_store import make_notice


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; return their results (re-raise a failure)."""
    start, results, errors = threading.Barrier(len(calls)), [None] * len(calls), []

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 — handed to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def notices(tag: str, n: int = 50) -> list:
    return [make_notice(f"https://www.miit.gov.cn/{tag}/{i}.html", f"区块链 标准 {tag} {i}")
            for i in range(n)]


def test_two_polls_of_the_same_new_notices_report_each_created_once(es) -> None:
    for round_ in range(3):
        batch = notices(f"r{round_}")
        first, second = at_once(lambda: store.upsert_notices(es, batch),
                                lambda: store.upsert_notices(es, batch))
        ids = {n.id for n in batch}
        assert not set(first.created) & set(second.created)
        assert set(first.created) | set(second.created) == ids
        for polled in (first, second):
            assert set(polled.created) | set(polled.unchanged) == ids
    assert es.count(index=store.NOTICES)["count"] == 150


def test_a_poll_beside_a_dispatch_keeps_what_the_dispatch_announced(es) -> None:
    for round_ in range(3):
        batch = notices(f"a{round_}", 200)
        store.upsert_notices(es, batch)
        retitled = [replace(n, title=n.title + "（修订）", content_hash=n.content_hash + "x")
                    for n in batch]
        handled = {n.id: n.stage for n in batch}
        polled, _ = at_once(lambda: store.upsert_notices(es, retitled),
                            lambda: store.mark_announced(es, handled, "2026-11-29T02:00:00Z"))
        assert len(polled.updated) == 200 and not polled.stage_changed
        assert store.unannounced_ids(es, "miit-yjzj") == []


def test_a_notice_whose_stage_moved_during_the_dispatch_stays_due(es) -> None:
    draft = make_notice("https://www.miit.gov.cn/s.html", "《区块链 参考架构》（征求意见稿）")
    store.upsert_notices(es, [draft])
    published = replace(draft, stage="published", content_hash="published")
    assert store.upsert_notices(es, [published]).stage_changed == [draft.id]
    store.mark_announced(es, {draft.id: "draft"}, "2026-11-29T02:00:00Z")  # it alerted the draft
    assert store.unannounced_ids(es, "miit-yjzj") == [draft.id]
    store.mark_announced(es, {draft.id: "published"}, "2026-11-29T02:05:00Z")
    assert store.unannounced_ids(es, "miit-yjzj") == []


def test_a_dispatch_with_no_one_to_alert_marks_each_notice_at_the_stage_it_has(es) -> None:
    draft, other = notices("u", 2)
    store.upsert_notices(es, [draft, other])
    store.mark_announced(es, {other.id: other.stage}, "2026-11-29T01:00:00Z")
    published = replace(draft, stage="published", content_hash="published")
    assert store.upsert_notices(es, [published]).stage_changed == [draft.id]
    store.mark_unalerted(es, [draft.id, other.id, "no-such-notice"], "2026-11-29T02:00:00Z")
    assert store.unannounced_ids(es, "miit-yjzj") == []
    got = {d["_id"]: d["_source"] for d in es.mget(index=store.NOTICES, ids=[draft.id, other.id])["docs"]}
    assert got[draft.id]["announced_at"] == "2026-11-29T02:00:00Z" and got[draft.id]["stage"] == "published"
    assert got[other.id]["announced_at"] == "2026-11-29T01:00:00Z"  # handled before: kept


def test_a_poll_beside_a_dispatch_with_no_one_to_alert_loses_no_write(es) -> None:
    batch = notices("v", 200)
    store.upsert_notices(es, batch)
    moved = [replace(n, stage="published", content_hash="p" + n.content_hash) for n in batch]
    polled, _ = at_once(lambda: store.upsert_notices(es, moved),
                        lambda: store.mark_unalerted(es, [n.id for n in batch], "2026-11-29T02:00:00Z"))
    assert sorted(polled.stage_changed) == sorted(n.id for n in batch)
    docs = es.mget(index=store.NOTICES, ids=[n.id for n in batch])["docs"]
    # No 409 escaped either side and no write was lost: each notice has its new stage, marked
    # handled at it or due again (written after the mark).
    assert {d["_source"]["stage"] for d in docs} == {"published"}


def test_unannounced_by_source_pages_through_every_source_oldest_first(es, monkeypatch) -> None:
    monkeypatch.setattr(store, "_PAGE", 3)  # several pages from a few notices
    older = [replace(n, fetched_at=f"2026-11-29T01:00:{i:02d}+00:00") for i, n in enumerate(notices("w", 4))]
    newer = [replace(n, source_id="nist-csrc", fetched_at=f"2026-11-29T00:00:{i:02d}+00:00")
             for i, n in enumerate(notices("x", 3))]
    store.upsert_notices(es, older + newer + notices("y", 2))
    store.mark_announced(es, {older[0].id: older[0].stage}, "2026-11-29T02:00:00Z")
    got = store.unannounced_by_source(es, ["miit-yjzj", "nist-csrc", "never-polled"], limit=2)
    assert got == {"miit-yjzj": [older[1].id, older[2].id], "nist-csrc": [newer[0].id, newer[1].id]}
    assert store.unannounced_by_source(es, ["never-polled"]) == {}


def test_cycles_starting_together_on_an_empty_cluster_all_install_the_indices(es) -> None:
    for index in store.INDICES.values():
        es.indices.delete(index=index)
    at_once(*[lambda: store.ensure_indices(es)] * 4)
    assert all(es.indices.exists_alias(name=alias) for alias in store.INDICES)


def test_outcomes_recorded_at_once_for_one_source_all_merge(es) -> None:
    # Each poll brings the validators of its own pages; the partial updates merge them.
    at_once(*[lambda i=i: store.record_health(es, "miit-yjzj", {
        "status": "ok", "http_cache": {f"https://www.miit.gov.cn/{i}.html": {"etag": f'"{i}"'}}})
        for i in range(8)])
    cache = store.source_state(es, "miit-yjzj")["http_cache"]
    assert {url: v["etag"] for url, v in cache.items()} == {
        f"https://www.miit.gov.cn/{i}.html": f'"{i}"' for i in range(8)}


def test_a_dispatch_marks_its_notices_a_chunk_at_a_time(es, monkeypatch) -> None:
    monkeypatch.setattr(store, "_MGET_CHUNK", 2)
    monkeypatch.setattr(store, "_MARK_CHUNK", 3)
    batch = notices("m", 7)
    store.upsert_notices(es, batch)
    store.mark_announced(es, {n.id: n.stage for n in batch[:5]}, "2026-11-29T02:00:00Z")
    assert sorted(store.unannounced_ids(es, "miit-yjzj")) == sorted(n.id for n in batch[5:])
    store.mark_unalerted(es, [n.id for n in batch], "2026-11-29T03:00:00Z")
    assert store.unannounced_ids(es, "miit-yjzj") == []
