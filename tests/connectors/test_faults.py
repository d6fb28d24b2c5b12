"""Hostile and broken publishers: each fails alone, within its limits; the others complete."""
from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta, timezone

import pytest

from connectors import store
from connectors.catalog import load_catalog, parse_entry
from connectors.errors import SourceBlocked, SourceChanged
from connectors.http import HttpClient, HttpOptions
from connectors.registry import kinds
from connectors.rss import parse_feed
from infra.replay import ReplayServer
from regwatch import health
from regwatch.pipeline import rebase_for, run_cycle
from tests.conftest import FIXTURES
from tests.servers import Reply

GOOD_FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
             b"<item><title>Blockchain draft</title><link>https://x.org/a</link></item></channel></rss>")
LIMITS = HttpOptions(attempts=2, read_timeout=1.0, connect_timeout=1.0, total_timeout=3.0, politeness=0)


def feed_source(ident: str, url: str):
    return parse_entry({"id": ident, "kind": "rss", "url": url, "allow_private": True}, 1)


def test_hanging_resetting_and_looping_publishers_fail_alone(es, scripted) -> None:
    scripted.script["/drip.xml"] = [Reply(200, GOOD_FEED * 50, drip=0.05)]
    scripted.script["/reset.xml"] = [Reply(reset=True)]
    scripted.script["/loop.xml"] = [Reply(302, headers={"Location": "/loop.xml"})]
    scripted.script["/good.xml"] = [Reply(200, GOOD_FEED)]
    sources = [feed_source(name, scripted.url(f"/{name}.xml")) for name in ("drip", "reset", "loop", "good")]
    start = time.monotonic()
    summary = run_cycle(es, sources, options=LIMITS)
    elapsed = time.monotonic() - start
    outcome = {p.source_id: p for p in summary.polls}
    assert outcome["good"].error is None and len(outcome["good"].created) == 1
    assert "took longer than 3s" in outcome["drip"].error
    assert outcome["reset"].status == "unavailable" and "network error" in outcome["reset"].error
    assert "more than 5 redirects" in outcome["loop"].error
    assert elapsed < 20  # every publisher stopped within its own limits
    assert store.source_health(es)["drip"]["status"] == "unavailable"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>https://x.org/a</link></item></channel></rss>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><title>leak &xxe;</title><link>https://x.org/a</link></item></channel></rss>"""


def test_entity_expansion_is_bounded() -> None:
    start = time.monotonic()
    [item] = parse_feed(BILLION_LAUGHS, "f", "https://x.org/feed")
    assert time.monotonic() - start < 5
    # The strict parser stops at the entity declarations; the lenient one never expands them.
    assert item.title == "&lol9;" and item.warnings[0].startswith("feed salvaged: SAXParseException")


def test_external_entities_are_not_resolved() -> None:
    [item] = parse_feed(XXE, "f", "https://x.org/feed")
    assert item.title == "leak"  # the entity is dropped, /etc/passwd never read


def test_deeply_nested_html_is_refused_within_seconds() -> None:
    start = time.monotonic()
    with pytest.raises(SourceChanged, match="no RSS or Atom root element"):
        parse_feed(("<div>" * 100_000 + "区块链" + "</div>" * 100_000).encode(), "f", "https://x.org/feed")
    assert time.monotonic() - start < 10


def test_invalid_utf8_is_salvaged_with_a_warning() -> None:
    body = ('<rss version="2.0"><channel><title>t</title><item><title>区块链' + "\udcff" * 3 +
            "</title><link>https://x.org/a</link></item></channel></rss>")
    [item] = parse_feed(body.encode("utf-8", "surrogateescape"), "f", "https://x.org/feed")
    assert item.url == "https://x.org/a" and item.warnings[0].startswith("feed salvaged")


def test_mixed_gbk_and_utf8_decodes_without_crashing(es, scripted) -> None:
    body = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            '<item><title>区块链 标准</title><link>https://x.org/a</link></item>').encode() + \
        "<item><title>分布式账本</title><link>https://x.org/b</link></item></channel></rss>".encode("gbk")
    scripted.script["/mixed.xml"] = [Reply(200, body, {"Content-Type": "application/rss+xml"})]
    summary = run_cycle(es, [feed_source("mixed", scripted.url("/mixed.xml"))], options=LIMITS)
    [poll] = summary.polls
    # Salvaged: both items indexed, each with the "feed salvaged" warning (feedparser falls back
    # to a single-byte charset, so the titles are not readable Chinese).
    assert (poll.status, poll.error, poll.seen, len(poll.created), poll.warnings) == ("ok", None, 2, 2, 2)


def test_a_100_mb_body_is_cut_at_the_cap(es, scripted) -> None:
    scripted.script["/huge.xml"] = [Reply(200, b"<rss>" + b" " * (100 * 1024 * 1024))]
    summary = run_cycle(es, [feed_source("huge", scripted.url("/huge.xml"))],
                        options=HttpOptions(attempts=1, max_bytes=5 * 1024 * 1024, politeness=0))
    assert "larger than 5242880 bytes" in summary.polls[0].error


def test_federal_register_request_access_page_is_blocked_not_a_site_change(tmp_path) -> None:
    # The API answers automated clients it distrusts with this HTML page and status 200
    # (usgpo/bulk-data#148): that is a refusal, not "API answered malformed JSON".
    recorded = FIXTURES / "federal-register"
    root = tmp_path / "federal-register"
    root.mkdir()
    shutil.copy(recorded / "request-access.html", root)
    (root / "routes.yaml").write_text(
        "- path: /api/v1/documents.json\n  file: request-access.html\n  content_type: text/html; charset=UTF-8\n")
    source = next(s for s in load_catalog() if s.id == "federal-register")
    server = ReplayServer(tmp_path).start()
    try:
        with HttpClient(LIMITS, rebase=rebase_for(source, server.base)) as http, \
                pytest.raises(SourceBlocked) as info:
            kinds()[source.kind].fetch(source, http, lambda urls: set())
    finally:
        server.stop()
    assert info.value.category == "blocked" and not isinstance(info.value, SourceChanged)
    assert str(info.value).startswith("anti-bot answer: Federal Register 'Request Access' page")
    assert "\n" not in str(info.value) and "www.federalregister.gov/api/v1/documents.json" in str(info.value)


def test_a_publisher_that_asks_for_an_hour_is_not_polled_for_an_hour(es, scripted) -> None:
    now = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
    scripted.script["/busy.xml"] = [Reply(429, headers={"Retry-After": "3600"}), Reply(200, GOOD_FEED)]
    source = feed_source("busy", scripted.url("/busy.xml"))
    [poll] = run_cycle(es, [source], options=LIMITS, clock=lambda: now).polls
    assert poll.status == "blocked" and poll.error.startswith("HttpBlocked: HTTP 429 too many requests; retry after 3600s")
    assert scripted.hits["/busy.xml"] == 1  # stopped at once: waiting out an hour is the scheduler's job
    doc = store.source_health(es)["busy"]
    assert doc["blocked_until"] == (now + timedelta(hours=1)).isoformat()
    assert not health.is_due(source, doc, now + timedelta(minutes=59))
    assert health.is_due(source, doc, now + timedelta(minutes=61))
