"""The shared HTTP client against a real loopback server."""
from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

from connectors.errors import (
    HttpBlocked,
    HttpStatusError,
    HttpUnavailable,
    SourceBlocked,
    SourceUnavailable,
    status_error,
)
from connectors.http import HttpClient, HttpOptions, challenge, decode, user_agent
from records.settings import DEFAULTS
from tests.servers import Reply

# The scripted server is on loopback, which the client refuses unless told otherwise.
FAST = HttpOptions(attempts=3, read_timeout=1.0, connect_timeout=1.0, total_timeout=3.0,
                   allow_private=True, politeness=0)
FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize("content, content_type, expected", [
    ("区块链".encode("gbk"), "text/html; charset=gb2312", "区块链"),
    ("区块链".encode("gb18030"), "text/html", "区块链"),  # no label: UTF-8 fails, GB18030 works
    (b'<meta charset="gbk">' + "链".encode("gbk"), "text/html", '<meta charset="gbk">链'),
    ("\ufeff区块链".encode("utf-8"), "text/html; charset=iso-8859-1", "区块链"),  # BOM wins
    ("区块链".encode("utf-8"), "text/html; charset=utf-8", "区块链"),
    ("区块链".encode("utf-8"), "text/html; charset=no-such-charset", "区块链"),
])
def test_decode_picks_the_right_charset(content: bytes, content_type: str, expected: str) -> None:
    assert decode(content, content_type) == expected


def test_retries_5xx_then_succeeds(scripted) -> None:
    scripted.script["/p"] = [Reply(503), Reply(502), Reply(200, b"ok")]
    with HttpClient(FAST) as http:
        assert http.get(scripted.url("/p")).content == b"ok"
    assert scripted.hits["/p"] == 3


def test_gives_up_after_attempts_with_a_typed_error(scripted) -> None:
    scripted.script["/p"] = [Reply(500)]
    with HttpClient(FAST) as http, pytest.raises(SourceUnavailable, match="HTTP 500"):
        http.get(scripted.url("/p"))
    assert scripted.hits["/p"] == 3


def test_honours_retry_after_on_429(scripted) -> None:
    scripted.script["/p"] = [Reply(429, headers={"Retry-After": "2"}), Reply(200, b"ok")]
    start = time.monotonic()
    with HttpClient(FAST) as http:
        assert http.get(scripted.url("/p")).content == b"ok"
    assert time.monotonic() - start >= 2.0


# 401, 403 and 429 refuse this client, not the page: "blocked", so health says so and no one
# reads a ban as the publisher being down (std.samr 401/429, MIIT 403 for bare requests).
@pytest.mark.parametrize("status, cls, category, message", [
    (400, HttpUnavailable, "unavailable", "HTTP 400"),
    (401, HttpBlocked, "blocked", "HTTP 401 access refused"),
    (403, HttpBlocked, "blocked", "HTTP 403 access refused"),
    (404, HttpUnavailable, "unavailable", "HTTP 404"),
    (410, HttpUnavailable, "unavailable", "HTTP 410"),
    (412, HttpBlocked, "blocked", "HTTP 412 JavaScript challenge"),
    (429, HttpBlocked, "blocked", "HTTP 429 too many requests"),
    (500, HttpUnavailable, "unavailable", "HTTP 500"),
    (503, HttpUnavailable, "unavailable", "HTTP 503"),
])
def test_each_error_status_maps_to_a_typed_error(status, cls, category, message) -> None:
    exc = status_error(status, "https://x.gov.cn/p")
    assert type(exc) is cls and isinstance(exc, HttpStatusError)
    assert (exc.status, exc.category, str(exc)) == (status, category, f"{message} (https://x.gov.cn/p)")


@pytest.mark.parametrize("replies, cls, status, hits", [
    ([Reply(404)], HttpUnavailable, 404, 1),
    ([Reply(412, b"<html>challenge</html>")], HttpBlocked, 412, 1),
    ([Reply(503), Reply(502), Reply(500)], HttpUnavailable, 500, 3),  # the last attempt's status
    ([Reply(429, headers={"Retry-After": "0"})], HttpBlocked, 429, 3),  # retried, then blocked
    ([Reply(403)], HttpBlocked, 403, 1),  # a refusal is not retried: asking again changes nothing
    ([Reply(401)], HttpBlocked, 401, 1),
])
def test_the_status_survives_retries_on_the_raised_error(scripted, replies, cls, status, hits) -> None:
    scripted.script["/p"] = replies
    with HttpClient(FAST) as http, pytest.raises(cls) as info:
        http.get(scripted.url("/p"))
    assert info.value.status == status and info.value.url == scripted.url("/p")
    assert scripted.hits["/p"] == hits


def test_a_transport_failure_carries_no_status(scripted) -> None:
    scripted.script["/p"] = [Reply(reset=True)]
    with HttpClient(FAST) as http, pytest.raises(SourceUnavailable) as info:
        http.get(scripted.url("/p"))
    assert not isinstance(info.value, HttpStatusError) and "network error" in str(info.value)


def test_no_retry_on_404(scripted) -> None:
    scripted.script["/p"] = [Reply(404)]
    with HttpClient(FAST) as http, pytest.raises(SourceUnavailable, match="HTTP 404"):
        http.get(scripted.url("/p"))
    assert scripted.hits["/p"] == 1


def test_size_cap(scripted) -> None:
    scripted.script["/big"] = [Reply(200, b"x" * 5000)]
    with HttpClient(HttpOptions(max_bytes=1000, allow_private=True)) as http, pytest.raises(SourceUnavailable, match="larger"):
        http.get(scripted.url("/big"))


def test_redirect_loop_is_cut(scripted) -> None:
    scripted.script["/loop"] = [Reply(302, headers={"Location": "/loop"})]
    with HttpClient(FAST) as http, pytest.raises(SourceUnavailable, match="redirects"):
        http.get(scripted.url("/loop"))


def test_slow_server_times_out_within_bounds(scripted) -> None:
    scripted.script["/slow"] = [Reply(200, b"late", delay=3)]
    start = time.monotonic()
    with HttpClient(HttpOptions(attempts=2, read_timeout=0.5, allow_private=True)) as http, pytest.raises(SourceUnavailable):
        http.get(scripted.url("/slow"))
    assert time.monotonic() - start < 6


@pytest.mark.parametrize("reply, what", [
    (Reply(412, b"<html>challenge</html>"), "412"),
    (Reply(200, "<noscript>请开启JavaScript并刷新该页.</noscript><script>eval(function(p,a,c,k,e,r){})"
           "</script>".encode()), "JavaScript challenge"),
    (Reply(200, b"<script>var dynamicurl='/WZWSREL2d6Y3kvZW4=';var wzwsquestion='x';</script>"), "WZWS"),
])
def test_anti_bot_answers_are_blocked_not_empty(scripted, reply: Reply, what: str) -> None:
    scripted.script["/list"] = [reply]
    with HttpClient(FAST) as http, pytest.raises(SourceBlocked, match=what):
        http.get(scripted.url("/list"))


def test_rebase_keeps_publisher_urls(scripted) -> None:
    scripted.script["/gzcy/index.html"] = [Reply(200, b"page")]
    origin = "https://www.miit.gov.cn"
    with HttpClient(replace(FAST, allow_private=False), rebase={origin: scripted.url("")}) as http:
        response = http.get(f"{origin}/gzcy/index.html")
    assert response.url == f"{origin}/gzcy/index.html" and response.content == b"page"


@pytest.mark.parametrize("target", ["http://127.0.0.1:9/", "http://10.1.2.3/", "http://169.254.169.254/latest/",
                                    "http://[::1]/", "http://localhost/"])
def test_private_targets_are_refused(target: str) -> None:
    with HttpClient(replace(FAST, allow_private=False)) as http, pytest.raises(SourceBlocked, match="refused"):
        http.get(target)


def test_redirect_into_the_private_network_is_refused(scripted) -> None:
    scripted.script["/go"] = [Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data"})]
    origin = "https://publisher.example.org"
    with HttpClient(replace(FAST, allow_private=False), rebase={origin: scripted.url("")}) as http, \
            pytest.raises(SourceBlocked, match="169.254.169.254"):
        http.get(f"{origin}/go")


def test_conditional_get_answers_304_from_the_cache(scripted) -> None:
    body = "<ul><li>区块链</li></ul>".encode()
    def answer() -> Reply:
        if any(h.get("If-None-Match") == '"v1"' for h in scripted.request_headers[-1:]):
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, body, {"ETag": '"v1"', "Content-Type": "text/html; charset=utf-8"})
    scripted.script["/list"] = answer
    cache: dict = {}
    with HttpClient(FAST, cache=cache) as http:
        first = http.get(scripted.url("/list"), conditional=True)
        second = http.get(scripted.url("/list"), conditional=True)
        transferred = http.bytes_received
    assert first.text == second.text == "<ul><li>区块链</li></ul>"
    assert not first.from_cache and second.from_cache
    assert transferred == len(body)  # the 304 carried no body
    assert list(cache) == [scripted.url("/list")]


def test_politeness_spaces_requests_to_one_host(scripted) -> None:
    scripted.script["/p"] = [Reply(200, b"ok")]
    start = time.monotonic()
    with HttpClient(replace(FAST, politeness=0.3)) as http:
        for _ in range(3):
            http.get(scripted.url("/p"))
    assert time.monotonic() - start >= 0.6


def test_cookie_replay_waf_is_passed(scripted) -> None:
    # The first answer sets a cookie and redirects to the same URL; with the cookie it is 200.
    def answer() -> Reply:
        if "CT6T=ok" in scripted.request_headers[-1].get("Cookie", ""):
            return Reply(200, b"<ul><li>list</li></ul>")
        return Reply(302, headers={"Set-Cookie": "CT6T=ok; Path=/", "Location": "/waf"})
    scripted.script["/waf"] = answer
    with HttpClient(FAST) as http:
        assert http.get(scripted.url("/waf")).content == b"<ul><li>list</li></ul>"
    assert scripted.hits["/waf"] == 2


@pytest.mark.parametrize("status, cls", [(429, HttpBlocked), (503, HttpUnavailable)])
def test_a_retry_after_beyond_our_patience_stops_at_once_and_says_until_when(scripted, status, cls) -> None:
    scripted.script["/p"] = [Reply(status, headers={"Retry-After": "1800"}), Reply(200, b"ok")]
    start = time.monotonic()
    with HttpClient(replace(FAST, max_retry_after=5)) as http, pytest.raises(cls) as info:
        http.get(scripted.url("/p"))
    assert time.monotonic() - start < 2 and scripted.hits["/p"] == 1
    assert info.value.retry_after == 1800 and info.value.status == status
    assert str(info.value).endswith(f"retry after 1800s ({scripted.url('/p')})")


def test_a_retry_after_date_counts_from_now(scripted) -> None:
    later = format_datetime(datetime.now(timezone.utc) + timedelta(hours=2), usegmt=True)
    scripted.script["/p"] = [Reply(429, headers={"Retry-After": later})]
    with HttpClient(FAST) as http, pytest.raises(HttpBlocked) as info:
        http.get(scripted.url("/p"))
    assert 7100 < (info.value.retry_after or 0) <= 7200 and scripted.hits["/p"] == 1


def test_a_short_retry_after_is_waited_out_and_not_reported(scripted) -> None:
    scripted.script["/p"] = [Reply(503, headers={"Retry-After": "1"})]
    with HttpClient(FAST) as http, pytest.raises(HttpUnavailable) as info:
        http.get(scripted.url("/p"))
    assert scripted.hits["/p"] == 3 and info.value.retry_after is None and "retry after" not in str(info.value)


def test_requests_say_who_we_are_and_how_to_reach_us(scripted) -> None:
    scripted.script["/p"] = [Reply(200, b"ok")]
    with HttpClient(FAST) as http:
        http.get(scripted.url("/p"))
    agent = scripted.request_headers[-1]["User-Agent"]
    assert re.fullmatch(r"Mozilla/5\.0 \(compatible; regwatch/[\w.]+; \+https://github\.com/regwatch/regwatch\)", agent)


def test_the_contact_url_is_a_setting() -> None:
    assert user_agent({"REGWATCH_CONTACT_URL": "https://ops.example.org/bot"}).endswith(
        "; +https://ops.example.org/bot)")
    assert user_agent({"REGWATCH_CONTACT_URL": ""}).endswith(f"; +{DEFAULTS['REGWATCH_CONTACT_URL']})")


_FR_ACCESS = (FIXTURES / "federal-register" / "request-access.html").read_bytes()
_ARTICLE = "<html><head><title>{title}</title></head><body><div id=\"BodyLabel\">{body}</div></body></html>"


# What a person would call the page: a refusal, or the content asked for (which may mention one).
@pytest.mark.parametrize("content, content_type, what", [
    (_FR_ACCESS, "text/html; charset=utf-8", "Request Access"),
    (b"<html><head><title>Federal Register :: Request Access</title></head></html>", "", "Request Access"),
    (b"<script>var dynamicurl='/WZWSREL2d6Y3kvZW4=';var wzwsquestion='x';</script>", "", "WZWS"),
    ("<noscript>请开启JavaScript并刷新该页.</noscript>".encode(), "", "JavaScript challenge"),
    ("<html><head><title>WEB 应用防火墙</title></head><body>请开启JavaScript</body></html>".encode(),
     "text/html", "firewall"),
    ("<html><head><title>访问过于频繁</title></head></html>".encode("gbk"), "text/html; charset=gbk", "访问过于频繁"),
    ("<title>对不起，您访问过于频繁</title>".encode(), "", "访问过于频繁"),
    ("访问过于频繁，请稍后再试".encode(), "text/plain;charset=UTF-8", "访问过于频繁"),
    ("<html>访问过于频繁</html>".encode(), "text/html", "访问过于频繁"),  # std.samr's bare answer, untitled
    # Normal pages that merely mention the words are the pages they are.
    (_ARTICLE.format(title="关于部署Web应用防火墙的通知", body="部署 WEB 应用防火墙（WAF）").encode(), "", None),
    (_ARTICLE.format(title="Comment request", body="<a>Federal Register :: Request Access</a>").encode(), "", None),
    (_ARTICLE.format(title="关于网站访问过于频繁问题的说明", body="无").encode(), "", None),
    (_ARTICLE.format(title="关于限流的说明", body="访问过于频繁时请稍后再试。" * 200).encode(), "", None),
    (_ARTICLE.format(title="Notes", body="the WZWSREL prefix and wzwsquestion variable").encode(), "", None),
    ('{"msg": "访问过于频繁"}'.encode(), "application/json", None),  # JSON: the connector judges it
    (b'{"results": []}', "application/json", None),
])
def test_an_access_page_is_told_from_content(content: bytes, content_type: str, what: str | None) -> None:
    found = challenge(content, content_type)
    assert (found is None) if what is None else (what in (found or ""))


def test_a_marker_past_a_long_head_does_not_garble_the_title() -> None:
    page = ("<html><head><title>访问过于频繁</title></head><body>" + "区块链" * 9000 + "</body></html>").encode()
    assert challenge(page) == "rate limit page (访问过于频繁)"


def test_an_access_page_served_with_200_is_blocked(scripted) -> None:
    scripted.script["/api/v1/documents.json"] = [Reply(200, _FR_ACCESS, {"Content-Type": "text/html"})]
    with HttpClient(FAST) as http, pytest.raises(SourceBlocked, match="Request Access") as info:
        http.get(scripted.url("/api/v1/documents.json"))
    assert not isinstance(info.value, HttpStatusError) and scripted.hits["/api/v1/documents.json"] == 1
