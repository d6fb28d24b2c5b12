"""The subscriber pages over real HTTP (uvicorn on loopback) and a real Elasticsearch node."""
from __future__ import annotations

import httpx
import pytest

from alerts import links
from alerts import subscriptions as subs
from tests.web_server import WebServer

KEY = "test-link-key-0123456789abcdef"
KNOWN = ["miit-yjzj", "nist-csrc"]


@pytest.fixture
def web(es, monkeypatch):
    monkeypatch.setenv("REGWATCH_LINK_KEY", KEY)
    server = WebServer(es).start()
    monkeypatch.setenv("REGWATCH_PUBLIC_URL", server.url)
    yield httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)
    server.stop()


@pytest.fixture
def sub(es):
    made = subs.make("email", "analyst@example.org",
                     subs.Filters(stages=("draft",), levels=("national",), sources=("miit-yjzj",)),
                     known_sources=KNOWN, now="2026-12-01T00:00:00+00:00")
    subs.save(es, made)
    return made


def token(sub_id: str, scope: str) -> str:
    return links.sign(KEY, sub_id, scope)


def test_manage_page_says_the_filters_in_words_in_both_languages(web, sub) -> None:
    zh = web.get(f"/m/{token(sub.id, 'manage')}")
    assert zh.status_code == 200 and zh.headers["cache-control"] == "no-store"
    assert "区块链标准 · 阶段：征求意见 · 级别：国家 · 发布机构：工业和信息化部 意见征集" in zh.text
    assert "每条通知即时发送" in zh.text and "<script" not in zh.text
    en = web.get(f"/m/{token(sub.id, 'manage')}", params={"lang": "en"})
    assert ("Blockchain standards · stage: draft for comment · level: national · "
            "publishers: 工业和信息化部 意见征集") in en.text
    assert "each notice as it comes" in en.text


def test_manage_changes_one_thing_then_redirects(es, web, sub) -> None:
    path = f"/m/{token(sub.id, 'manage')}"
    moved = web.post(path, data={"action": "daily", "digest_hour": "18", "lang": "en"})
    assert moved.status_code == 303 and moved.headers["location"] == f"{path}?lang=en&done=daily"
    assert (subs.get(es, sub.id).mode, subs.get(es, sub.id).digest_hour) == ("daily", 18)
    assert "one daily digest at 18:00 (Asia/Shanghai)" in web.get(moved.headers["location"]).text
    web.post(path, data={"action": "pause"})
    assert subs.get(es, sub.id).paused is True
    web.post(path, data={"action": "resume"})
    web.post(path, data={"action": "instant"})
    after = subs.get(es, sub.id)
    assert (after.paused, after.mode, after.filters, after.target) == (False, "instant", sub.filters, sub.target)


@pytest.mark.parametrize("form", [{"action": "daily", "digest_hour": "24"}, {"action": "daily"},
                                  {"action": "daily", "digest_hour": "-1"}, {"action": "delete"}, {}])
def test_bad_form_is_one_clear_page_and_changes_nothing(es, web, sub, form) -> None:
    answer = web.post(f"/m/{token(sub.id, 'manage')}", data=form)
    assert answer.status_code == 400 and "nothing was changed" in answer.text
    assert subs.get(es, sub.id) == sub


def test_forged_cross_scope_and_gone_links_are_refused(es, web, sub) -> None:
    forged = token(sub.id, "manage")[:-2] + "xx"
    other_key = links.sign("another-key-0123456789", sub.id, "manage")
    for path in (f"/m/{forged}", f"/m/{other_key}", f"/m/{token(sub.id, 'unsubscribe')}",
                 f"/u/{token(sub.id, 'manage')}", f"/m/{sub.id}"):
        for answer in (web.get(path), web.post(path, data={"action": "pause",
                                                           "List-Unsubscribe": "One-Click"})):
            assert answer.status_code == 404 and "This link is not valid" in answer.text, path
    assert subs.get(es, sub.id) == sub
    subs.delete(es, sub.id)
    gone = web.get(f"/m/{token(sub.id, 'manage')}")
    assert gone.status_code == 410 and "no longer exists" in gone.text and "已不存在" in gone.text
    assert web.post(f"/m/{token(sub.id, 'manage')}", data={"action": "pause"}).status_code == 410
    assert subs.get(es, sub.id) is None  # a POST to a gone subscription does not bring it back


def test_get_never_unsubscribes_and_one_click_post_does(es, web, sub) -> None:
    path = f"/u/{token(sub.id, 'unsubscribe')}"
    for _ in range(3):  # a mail scanner prefetching the link
        page = web.get(path)
        assert page.status_code == 200 and 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert subs.get(es, sub.id) == sub
    assert web.post(path, data={}).status_code == 400 and subs.get(es, sub.id) == sub
    # What a mail provider sends (RFC 8058): no cookie, no confirmation.
    done = web.post(path, content=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and "analyst@example.org" in done.text
    assert subs.get(es, sub.id) is None
    assert web.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 410


def test_one_click_in_multipart_form_data(es, web, sub) -> None:
    done = web.post(f"/u/{token(sub.id, 'unsubscribe')}", files={"List-Unsubscribe": (None, "One-Click")})
    assert done.status_code == 200 and subs.get(es, sub.id) is None


def test_no_key_on_the_server_is_one_clear_page(es, web, sub, monkeypatch) -> None:
    monkeypatch.delenv("REGWATCH_LINK_KEY")
    answer = web.get(f"/m/{token(sub.id, 'manage')}")
    assert answer.status_code == 503 and "not configured" in answer.text
