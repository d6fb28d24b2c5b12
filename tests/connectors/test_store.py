"""The store against the real local Elasticsearch node."""
from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest
from elasticsearch import AuthenticationException

from connectors import store
from infra import local_es
from records.items import FetchedItem
from records.notice import Notice, content_hash, notice_id
from transforms.normalise import SourceMeta, normalise


def make_notice(url: str, title: str, stage: str | None = "draft", **extra) -> Notice:
    fields = dict(
        id=notice_id("miit-yjzj", url), source_id="miit-yjzj", issuer="工业和信息化部", jurisdiction="CN",
        url=url, title=title, summary="", body="", lang="zh", published_at="2026-11-20T16:35:00+08:00",
        fetched_at="2026-11-29T02:00:00+00:00", blockchain="区块链" in title, kind="standard", stage=stage,
        level="industry", standard_numbers=[], standard_key=None, comment_deadline="2026-12-20",
        attachments=[], content_hash=content_hash(title, stage), warnings=[])
    fields.update(extra)
    return Notice(**fields)


def test_upsert_says_created_then_unchanged_then_updated(es) -> None:
    a = make_notice("https://www.miit.gov.cn/a.html", "《区块链 跨链互操作技术要求》（征求意见稿）")
    b = make_notice("https://www.miit.gov.cn/b.html", "人形机器人 通用技术要求")
    first = store.upsert_notices(es, [a, b])
    assert sorted(first.created) == sorted([a.id, b.id]) and not first.updated
    again = store.upsert_notices(es, [a, b])
    assert sorted(again.unchanged) == sorted([a.id, b.id]) and not again.created
    moved = replace(a, stage="published", content_hash=content_hash(a.title, "published"))
    retitled = replace(b, title="人形机器人 通用技术要求（修订）", content_hash="other")
    third = store.upsert_notices(es, [moved, retitled])
    assert sorted(third.updated) == sorted([a.id, b.id])
    assert third.stage_changed == [a.id] and third.alertable == [a.id]
    assert es.count(index=store.NOTICES)["count"] == 2


def test_indices_sit_behind_versioned_aliases(es) -> None:
    aliases = es.indices.get_alias(name="regwatch-*")
    assert aliases["regwatch-notices-v1"]["aliases"]["regwatch-notices"]["is_write_index"] is True
    store.ensure_indices(es)  # idempotent
    assert set(es.indices.get_alias(name="regwatch-*")) == set(store.INDICES.values())


def test_chinese_phrase_search_finds_the_right_notice(es) -> None:
    store.upsert_notices(es, [
        make_notice("https://x/1", "关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知"),
        make_notice("https://x/2", "关于推动制造业产业链供应链协同发展的指导意见"),  # 链 and 区/块 apart
        make_notice("https://x/3", "块状经济区域发展链条研究"),
    ])
    assert [h["url"] for h in store.search_notices(es, "区块链")] == ["https://x/1"]
    assert [h["url"] for h in store.search_notices(es, "供应链")] == ["https://x/2"]
    assert [h["url"] for h in store.search_notices(es, '"跨链互操作" 区块链')] == ["https://x/1"]
    assert store.search_notices(es, "", filters={"stage": ["published"]}) == []


def test_rejected_documents_raise_after_the_rest_are_indexed(es) -> None:
    good = make_notice("https://x/good", "区块链 好")
    bad = replace(make_notice("https://x/bad", "区块链 坏"), published_at="not a date")
    with pytest.raises(store.StoreError, match="1 documents rejected"):
        store.upsert_notices(es, [good, bad])
    assert es.exists(index=store.NOTICES, id=good.id)


def test_known_urls(es) -> None:
    store.upsert_notices(es, [make_notice("https://x/1", "t")])
    assert store.known_urls(es, "miit-yjzj", ["https://x/1", "https://x/2"]) == {"https://x/1"}


def test_a_notice_whose_detail_failed_is_unknown_until_complete(es) -> None:
    pending = make_notice("https://x/1", "t", detail_pending=True, warnings=["detail page: HTTP 500"])
    assert store.upsert_notices(es, [pending]).detail_pending == [pending.id]
    assert store.known_urls(es, "miit-yjzj", ["https://x/1"]) == set()  # so its detail is fetched again
    again = store.upsert_notices(es, [pending])  # failed again, nothing else changed: the attempt counts
    assert again.unchanged == [pending.id] and again.detail_pending == [pending.id]
    assert es.get(index=store.NOTICES, id=pending.id)["_source"]["detail_attempts"] == 2
    complete = replace(pending, body="正文", warnings=[], detail_pending=False, content_hash="with body")
    assert store.upsert_notices(es, [complete]).updated == [pending.id]
    assert store.known_urls(es, "miit-yjzj", ["https://x/1"]) == {"https://x/1"}


def test_a_failed_detail_never_replaces_a_complete_notice(es) -> None:
    complete = make_notice("https://x/1", "t", body="正文", content_hash="with body")
    store.upsert_notices(es, [complete])
    failed = replace(complete, body="", detail_pending=True, content_hash="without body")
    result = store.upsert_notices(es, [failed])  # an overlapping poll whose detail fetch failed
    assert result.unchanged == [complete.id] and not result.detail_pending and not result.updated
    assert es.get(index=store.NOTICES, id=complete.id)["_source"]["body"] == "正文"


@pytest.fixture(scope="module")
def secured_node():
    port = int(os.environ.get("REGWATCH_TEST_ES_PORT", "9250")) + 20
    node = local_es.Node(name=f"test-secured-{port}", port=port, security=True, password="regwatch-Test-1")
    local_es.stop(node)
    local_es.wipe(node)
    local_es.start(node)
    yield node
    local_es.stop(node)


def test_authenticates_against_a_node_with_security_on(secured_node, monkeypatch) -> None:
    monkeypatch.setenv("ES_USERNAME", secured_node.username)
    monkeypatch.setenv("ES_PASSWORD", secured_node.password)
    client = store.connect(secured_node.url)
    store.ensure_indices(client)
    store.upsert_notices(client, [make_notice("https://x/1", "区块链")])
    assert client.count(index=store.NOTICES)["count"] == 1
    # Wrong credentials: a clear one-line message, without the password in it.
    monkeypatch.setenv("ES_PASSWORD", "wrong-password-123")
    with pytest.raises(AuthenticationException) as info:
        store.connect(secured_node.url).count(index=store.NOTICES)
    message = store.describe(info.value)
    assert "HTTP 401" in message and "wrong-password-123" not in message and "\n" not in message


# --- mapping: Chinese subfields where the cluster has an analyzer for them --------------------

def _recreate(es, monkeypatch, analyzer):
    from connectors import es_templates

    monkeypatch.setattr(es_templates, "detect_chinese_analyzer", lambda client: analyzer)
    for index in store.INDICES.values():
        es.options(ignore_status=404).indices.delete(index=index)
    return store.ensure_indices(es)


def test_local_node_has_no_chinese_analyzer_so_no_subfields(es) -> None:
    from connectors import es_templates

    assert es_templates.detect_chinese_analyzer(es) is None  # the integ-test-zip: standard only
    assert store.ensure_indices(es) is None
    title = es.indices.get_mapping(index=store.NOTICES)["regwatch-notices-v1"]["mappings"][
        "properties"]["title"]
    assert title["analyzer"] == "standard" and set(title["fields"]) == {"raw"}


def test_subfields_install_and_phrase_search_uses_them(es, monkeypatch) -> None:
    # The shape a full cluster gets (title.zh…), with `standard` standing in for smartcn here.
    assert _recreate(es, monkeypatch, "standard") == "standard"
    props = es.indices.get_mapping(index=store.NOTICES)["regwatch-notices-v1"]["mappings"]["properties"]
    assert {f: props[f]["fields"]["zh"]["analyzer"] for f in ("title", "summary", "body")} == dict.fromkeys(
        ("title", "summary", "body"), "standard")
    store.upsert_notices(es, [
        make_notice("https://x/1", "关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知"),
        make_notice("https://x/2", "关于推动制造业产业链供应链协同发展的指导意见"),
        make_notice("https://x/3", "标准公告", summary="分布式账本技术 参考架构"),
    ])
    zh_only = es.search(index=store.NOTICES, query={"match_phrase": {"title.zh": "区块链"}})
    assert [h["_source"]["url"] for h in zh_only["hits"]["hits"]] == ["https://x/1"]
    assert [h["url"] for h in store.search_notices(es, "区块链")] == ["https://x/1"]
    assert [h["url"] for h in store.search_notices(es, "分布式账本")] == ["https://x/3"]
    assert store.search_notices(es, "链区块") == []


def test_subfields_are_added_in_place_when_an_analyzer_appears_later(es, monkeypatch) -> None:
    store.upsert_notices(es, [make_notice("https://x/1", "区块链 服务 技术要求")])
    from connectors import es_templates

    monkeypatch.setattr(es_templates, "detect_chinese_analyzer", lambda client: "standard")
    store.ensure_indices(es)  # the alias exists: no new index, the subfields are put in place
    props = es.indices.get_mapping(index=store.NOTICES)["regwatch-notices-v1"]["mappings"]["properties"]
    assert props["title"]["fields"]["zh"] == {"type": "text", "analyzer": "standard"}
    assert [h["url"] for h in store.search_notices(es, "区块链")] == ["https://x/1"]


# --- search filters: dates, deadlines and the saved-search presets --------------------------

def _days_from(es) -> Callable[[int], str]:
    """Dates n days from the node's own today: date math ("now-30d", "now/d") reads its clock."""
    today = datetime.fromtimestamp(int(es.cat.health(format="json")[0]["epoch"]), timezone.utc)
    return lambda n: (today + timedelta(days=n)).strftime("%Y-%m-%d")


def test_deadline_and_date_filters(es) -> None:
    _days = _days_from(es)
    store.upsert_notices(es, [
        make_notice("https://x/open", "区块链 草案 一", comment_deadline=_days(10), published_at=_days(-5)),
        make_notice("https://x/closed", "区块链 草案 二", comment_deadline=_days(-3), published_at=_days(-40)),
        make_notice("https://x/undated", "区块链 草案 三", comment_deadline=None, published_at=_days(-2)),
    ])
    urls = lambda **f: sorted(h["url"] for h in store.search_notices(es, filters=f))  # noqa: E731
    assert urls(deadline_open=True) == ["https://x/open", "https://x/undated"]
    assert urls(deadline_after="now/d") == ["https://x/open"]
    assert urls(deadline_before=_days(0)) == ["https://x/closed"]
    assert urls(published_after="now-30d") == ["https://x/open", "https://x/undated"]
    assert urls(published_before=_days(-30)) == ["https://x/closed"]


def test_presets_return_what_the_saved_searches_describe(es) -> None:
    from infra.kibana.searches import presets

    _days = _days_from(es)
    store.upsert_notices(es, [
        make_notice("https://x/d-soon", "区块链 草案 甲", comment_deadline=_days(5), published_at=_days(-20)),
        make_notice("https://x/d-later", "区块链 草案 乙", comment_deadline=_days(30), published_at=_days(-3)),
        make_notice("https://x/d-closed", "区块链 草案 丙", comment_deadline=_days(-1), published_at=_days(-60)),
        make_notice("https://x/d-old", "区块链 草案 丁", comment_deadline=_days(9), published_at=_days(-400)),
        make_notice("https://x/d-other", "机器人 草案", comment_deadline=_days(9), published_at=_days(-3)),
        make_notice("https://x/std-new", "区块链 标准 发布", stage="published", published_at=_days(-7)),
        make_notice("https://x/std-old", "区块链 标准 旧", stage="published", published_at=_days(-45)),
        make_notice("https://x/policy", "区块链 政策", stage="published", kind="policy", published_at=_days(-7)),
    ])
    found = {name: [h["url"] for h in store.search_notices(es, filters=p.filters, sort=p.sort)]
             for name, p in presets().items()}
    assert found == {"open-drafts": ["https://x/d-soon", "https://x/d-later"],
                     "new-standards": ["https://x/std-new"]}


def test_a_term_also_matches_as_its_translation_and_title_en_is_searched(es) -> None:
    store.upsert_notices(es, [
        make_notice("https://x/zh", "关于公开征求《区块链 智能合约 安全要求》国家标准（征求意见稿）意见的通知"),
        make_notice("https://x/en", "Smart contract security: draft guidance", lang="en"),
        make_notice("https://x/glossed", "区块链 存证应用指南", title_en="Blockchain—Evidence guidelines"),
        make_notice("https://x/other", "人形机器人 通用技术要求"),
    ])
    es.indices.refresh(index=store.NOTICES)
    both = {"smart contract": ["智能合约"], "智能合约": ["smart contract"]}
    urls = lambda text, t=None: sorted(h["url"] for h in store.search_notices(es, text, translations=t))  # noqa: E731
    assert urls("smart contract") == ["https://x/en"]  # without the glossary: one language only
    assert urls("smart contract", both) == urls("智能合约", both) == ["https://x/en", "https://x/zh"]
    assert urls("SMART CONTRACT", both) == ["https://x/en", "https://x/zh"]  # one term, any case
    assert urls("smart contract security", both) == ["https://x/en"]  # every term must match
    assert urls("evidence") == ["https://x/glossed"]  # the English gloss is indexed and searched


def test_kibana_free_text_finds_either_language_through_the_glossary_terms(es) -> None:
    """Kibana's free-text search reads every field: the glossary terms stored beside a title
    (normalise fills them) let 智能合约 find an English notice and "smart contract" a Chinese one."""
    zh = normalise(FetchedItem("miit-yjzj", "https://x/zh", "《区块链 智能合约 安全要求》（征求意见稿）"),
                   SourceMeta("miit-yjzj", "工业和信息化部", "CN"), datetime.now(timezone.utc))
    en = normalise(FetchedItem("nist-csrc", "https://x/en", "Smart Contract Security Considerations"),
                   SourceMeta("nist-csrc", "NIST", "US"), datetime.now(timezone.utc))
    store.upsert_notices(es, [zh, en])
    es.indices.refresh(index=store.NOTICES)

    def kibana(text: str) -> list[str]:  # KQL free text: a phrase over every field (default_field *)
        query = {"query_string": {"query": f'"{text}"', "default_field": "*", "lenient": True}}
        return sorted(h["_source"]["url"] for h in es.search(index=store.NOTICES, query=query)["hits"]["hits"])

    assert kibana("smart contract") == kibana("智能合约") == ["https://x/en", "https://x/zh"]


def _busy(es, busy: bool) -> None:
    """Make Elasticsearch refuse writes to the notices with 429 (its flood-stage disk block).

    Its disk monitor lifts that block when the disk has room, on each new disk reading (every
    30 s by default): there is none meanwhile.
    """
    if busy:
        es.cluster.put_settings(persistent={"cluster.info.update.interval": "1h"})
    es.indices.put_settings(index=store.NOTICES,
                            settings={"index.blocks.read_only_allow_delete": True if busy else None})
    if not busy:
        es.cluster.put_settings(persistent={"cluster.info.update.interval": None})


def test_a_bulk_refused_as_too_busy_is_sent_again_after_1_2_and_4_seconds(es) -> None:
    notice = make_notice("https://www.miit.gov.cn/busy.html", "区块链 标准")
    health = store.health_action("miit-yjzj", {"status": "ok"})
    _busy(es, True)
    try:
        started = time.monotonic()
        written = store.write_notices(es, [notice], also=[health])
        elapsed = time.monotonic() - started
    finally:
        _busy(es, False)
    assert 7 <= elapsed < 30  # 1 + 2 + 4 s of waiting, then the refusal is the notice's
    assert list(written.rejected) == [notice.id] and "TOO_MANY_REQUESTS" in written.rejected[notice.id]
    assert not written.also_rejected  # the health update beside it went through the first time
    assert store.source_state(es, "miit-yjzj")["status"] == "ok"


def test_a_notice_refused_while_elasticsearch_is_busy_is_written_once_it_is_not(es) -> None:
    notice = make_notice("https://www.miit.gov.cn/busy.html", "区块链 标准")
    _busy(es, True)
    # Lifted 1.5 s in, between the second try (1 s) and the third (3 s). time.sleep in a thread,
    # not threading.Timer: a timed Event.wait never ends under the CI's faketime pass.
    calm = threading.Thread(target=lambda: (time.sleep(1.5), _busy(es, False)))
    calm.start()
    try:
        started = time.monotonic()
        written = store.write_notices(es, [notice])
        elapsed = time.monotonic() - started
    finally:
        calm.join()
    assert elapsed >= 3 and not written.rejected and written.result([notice.id]).created == [notice.id]
    assert es.get(index=store.NOTICES, id=notice.id)["found"]


@pytest.mark.parametrize("actions, size, expected", [
    (3, 5 * 1024 * 1024, [3, 3, 1]),  # at most so many actions per request
    (2000, 1500, [1] * 7),           # nor more bytes than this, unless one action is larger
    (2000, 5 * 1024 * 1024, [7]),
])
def test_bulk_requests_are_cut_by_actions_and_bytes(es, monkeypatch, actions, size, expected) -> None:
    batch = [make_notice(f"https://www.miit.gov.cn/c{i}.html", "区块链 标准 " + "长" * 300) for i in range(7)]
    monkeypatch.setattr(store, "_CHUNK_ACTIONS", actions)
    monkeypatch.setattr(store, "_CHUNK_BYTES", size)
    sent, send = [], store._send
    monkeypatch.setattr(store, "_send", lambda es, chunk: sent.append(len(chunk)) or send(es, chunk))
    assert sorted(store.upsert_notices(es, batch).created) == sorted(n.id for n in batch)
    assert sent == expected and es.count(index=store.NOTICES)["count"] == 7
