"""A failed detail page is fetched again on later polls until the notice is complete, or given up on.

Every kind that reads detail pages (jpaas-unit, gkmlpt, html-list) runs against a scripted
loopback publisher and the real Elasticsearch node; alerts go to a real SMTP sink.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from alerts import subscriptions as subs
from connectors import store
from connectors.catalog import Source, parse_entry
from connectors.http import HttpOptions
from regwatch.pipeline import poll_source, run_cycle
from tests.servers import Reply, ScriptedServer

FAST = HttpOptions(attempts=1, read_timeout=1.0, connect_timeout=1.0, total_timeout=3.0, politeness=0)
TITLE = "关于公开征求《区块链 节点服务能力要求》行业标准（征求意见稿）意见的通知"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Publisher:
    source: Source
    detail: str        # the detail page's path on the scripted server
    page: bytes        # a good detail page


def _body(deadline: datetime) -> str:
    return (f"<p>现将征求意见稿公开征求意见，请于{deadline:%Y年%m月%d日}前反馈。</p>"
            '<p><a href="/files/draft.pdf">征求意见稿.pdf</a></p>')


def _entry(ident: str, kind: str, url: str, **options) -> Source:
    return parse_entry({"id": ident, "kind": kind, "url": url, "allow_private": True, **options}, 1)


def jpaas(server: ScriptedServer, now: datetime, deadline: datetime) -> Publisher:
    server.script["/jp/index.html"] = [Reply(200, (
        '<script parseType="buildstatic" url="/api-gateway/jpaas-publish-server/front/page/build/unit"'
        " querydata=\"{'webId':'w1','pageId':'p1'}\"></script>").encode())]
    row = f'<li><span class="fr">{now.astimezone(SHANGHAI):%Y-%m-%d}</span><a href="/jp/art_1.html">{TITLE}</a></li>'
    server.script["/api-gateway/jpaas-publish-server/front/page/build/unit"] = [
        Reply(200, json.dumps({"data": {"html": f"<ul>{row}</ul>"}}).encode())]
    page = f'<div id="con_con">{_body(deadline)}</div>'.encode()
    return Publisher(_entry("t-jpaas", "jpaas-unit", server.url("/jp/index.html")), "/jp/art_1.html", page)


def gkmlpt(server: ScriptedServer, now: datetime, deadline: datetime) -> Publisher:
    server.script["/gkmlpt/index"] = [Reply(200, b"<script>window._CONFIG = {SID:'755038'};</script>")]
    article = {"id": 1, "title": TITLE, "url": "/gkmlpt/content/1/post_1.html", "create_time": int(now.timestamp())}
    server.script["/gkmlpt/api/all/0"] = [Reply(200, json.dumps({"total": 1, "articles": [article]}).encode())]
    page = f"<script>window._CONFIG.DETAIL = {json.dumps({'content': _body(deadline)})};</script>".encode()
    return Publisher(_entry("t-gk", "gkmlpt", server.url("/gkmlpt/index")), "/gkmlpt/content/1/post_1.html", page)


def html_list(server: ScriptedServer, now: datetime, deadline: datetime, *, etag: bool = False) -> Publisher:
    listing = (f'<ul><li><a href="/hl/post_1.html">{TITLE}</a><span>{now.astimezone(SHANGHAI):%Y-%m-%d}</span>'
               "</li></ul>").encode()
    # With an ETag, every later poll gets a 304: the list costs no byte, only the detail page is new.
    server.script["/hl/index.html"] = [Reply(200, listing, {"ETag": '"v1"'}), Reply(304)] if etag else [
        Reply(200, listing)]
    page = f'<div class="body">{_body(deadline)}</div>'.encode()
    source = _entry("t-list", "html-list", server.url("/hl/index.html"), item_selector="ul li",
                    date_selector="span", detail_body_selector="div.body")
    return Publisher(source, "/hl/post_1.html", page)


def subscribe(es, source_id: str) -> None:
    subs.save(es, subs.make("email", "analyst@example.org", subs.Filters(blockchain_only=False, kinds=()),
                            known_sources=[source_id], backfill_days=36500))  # any publication date


def notice(es, notice_id: str) -> dict:
    return es.get(index=store.NOTICES, id=notice_id)["_source"]


@pytest.mark.parametrize("make", [jpaas, gkmlpt, html_list])
@pytest.mark.parametrize("failure, reason", [(Reply(500), "HTTP 500"), (Reply(200, b"late", delay=2), "timed out")])
def test_a_failed_detail_page_is_fetched_again_and_completes_the_notice(es, smtp, scripted, make, failure,
                                                                       reason) -> None:
    now = datetime.now(timezone.utc)
    deadline = now.astimezone(SHANGHAI) + timedelta(days=20)
    pub = make(scripted, now, deadline)
    scripted.script[pub.detail] = [failure, Reply(200, pub.page)]
    subscribe(es, pub.source.id)

    first = run_cycle(es, [pub.source], clock=lambda: now, options=FAST)
    [poll] = first.polls
    [notice_id] = poll.created
    doc = notice(es, notice_id)
    assert poll.error is None and poll.details_pending == [notice_id]
    assert doc["detail_pending"] is True and doc["detail_attempts"] == 1
    assert (doc["body"], doc["attachments"], doc["comment_deadline"]) == ("", [], None)
    assert len(doc["warnings"]) == 1 and doc["warnings"][0].startswith(f"detail page: {reason}")
    assert len(first.delivery.sent) == 1 and len(smtp.messages) == 1  # alerted from the list alone

    second = run_cycle(es, [pub.source], clock=lambda: now, options=FAST)
    [poll] = second.polls
    doc = notice(es, notice_id)
    assert scripted.hits[pub.detail] == 2
    assert (poll.created, poll.updated, poll.stage_changed, poll.details_pending) == ([], 1, [], [])
    assert doc["body"].startswith("现将征求意见稿公开征求意见")
    assert [a["name"] for a in doc["attachments"]] == ["征求意见稿.pdf"]
    assert doc["comment_deadline"] == deadline.date().isoformat()
    assert doc["warnings"] == [] and doc["detail_pending"] is False and "detail_attempts" not in doc
    assert doc["announced_at"] is not None  # the same stage: still announced, no second alert
    assert second.delivery.sent == [] and len(smtp.messages) == 1

    run_cycle(es, [pub.source], clock=lambda: now, options=FAST)
    assert scripted.hits[pub.detail] == 2  # complete now: its detail page is not fetched again


def test_a_stage_found_in_the_detail_page_alerts_as_a_stage_change(es, smtp, scripted) -> None:
    now = datetime.now(timezone.utc)
    pub = html_list(scripted, now, now + timedelta(days=20))
    scripted.script["/hl/index.html"] = [Reply(200, (
        '<ul><li><a href="/hl/post_1.html">《区块链 节点服务能力要求》行业标准</a>'
        f"<span>{now.astimezone(SHANGHAI):%Y-%m-%d}</span></li></ul>").encode())]
    scripted.script[pub.detail] = [Reply(503), Reply(200, pub.page)]
    subscribe(es, pub.source.id)
    [first] = run_cycle(es, [pub.source], clock=lambda: now, options=FAST).polls
    before = notice(es, first.created[0])
    second = run_cycle(es, [pub.source], clock=lambda: now, options=FAST)
    after = notice(es, first.created[0])
    assert before["stage"] != "draft" and after["stage"] == "draft"
    assert second.polls[0].stage_changed == first.created and len(second.delivery.sent) == 1
    assert len(smtp.messages) == 2


def test_a_detail_page_that_keeps_failing_is_given_up_and_reported(es, scripted, caplog) -> None:
    now = datetime.now(timezone.utc)
    pub = html_list(scripted, now, now + timedelta(days=20), etag=True)
    scripted.script[pub.detail] = [Reply(500)]  # no body either: a poll may cost no byte at all
    for attempt in range(1, store.DETAIL_ATTEMPTS):
        poll = poll_source(es, pub.source, clock=lambda: now, options=FAST)
        [notice_id] = poll.details_pending
        assert notice(es, notice_id)["detail_attempts"] == attempt and not poll.details_given_up
    with caplog.at_level(logging.WARNING, logger="regwatch.pipeline"):
        last = poll_source(es, pub.source, clock=lambda: now, options=FAST)
    doc = notice(es, notice_id)
    assert last.bytes == 0 and last.details_given_up == [notice_id] and last.details_pending == []
    assert doc["detail_pending"] is False and doc["detail_attempts"] == store.DETAIL_ATTEMPTS
    assert doc["warnings"][0].startswith("detail page: HTTP 500")
    assert doc["warnings"][1] == f"detail page given up after {store.DETAIL_ATTEMPTS} failed attempts"
    assert f"t-list: gave up on the detail pages of 1 notices after {store.DETAIL_ATTEMPTS}" in caplog.text
    health = store.source_health(es)["t-list"]
    assert (health["status"], health["details_given_up"], health["details_pending"]) == ("ok", 1, 0)

    again = poll_source(es, pub.source, clock=lambda: now, options=FAST)
    assert scripted.hits[pub.detail] == store.DETAIL_ATTEMPTS  # given up: never fetched again
    assert again.details_given_up == [] and store.source_health(es)["t-list"]["details_given_up"] == 1
