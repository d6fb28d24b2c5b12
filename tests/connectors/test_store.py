"""The store against the real local Elasticsearch node."""
from __future__ import annotations

import os
from dataclasses import replace

import pytest
from elasticsearch import AuthenticationException

from connectors import store
from infra import local_es
from transforms.notice import Notice, content_hash, notice_id


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
