"""rss: feed bytes through feedparser; malformed feeds salvaged, unreadable ones typed errors."""
from __future__ import annotations

import pytest

from connectors.errors import SourceChanged
from connectors.rss import parse_feed

FEED = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>Draft ISO/TS 23635 &amp; blockchain governance</title><link>https://x.org/a</link>
<pubDate>Tue, 24 Nov 2026 14:30:00 -0500</pubDate><description>&lt;p&gt;Comments due &lt;b&gt;soon&lt;/b&gt;&lt;/p&gt;</description></item>
<item><title>Second</title><link>https://x.org/b</link></item>
<item><title>Second again</title><link>https://x.org/b</link></item>
<item><title></title><link>https://x.org/no-title</link></item>
</channel></rss>"""


def test_entries_become_items_with_utc_dates_and_plain_text() -> None:
    items = parse_feed(FEED, "f", "https://x.org/feed")
    assert [i.url for i in items] == ["https://x.org/a", "https://x.org/b"]
    assert items[0].title == "Draft ISO/TS 23635 & blockchain governance"
    assert items[0].published == "2026-11-24T19:30:00Z"
    assert items[0].summary == "Comments due soon"
    assert not items[0].warnings


def test_malformed_feed_is_salvaged_with_a_warning() -> None:
    broken = FEED.replace(b"</channel></rss>", b"<item><title>Unclosed</title><link>https://x.org/c</link>")
    items = parse_feed(broken, "f", "https://x.org/feed")
    assert "https://x.org/a" in [i.url for i in items]
    assert items[0].warnings and items[0].warnings[0].startswith("feed salvaged")


@pytest.mark.parametrize("body", [b"", b"<html><body>Service temporarily unavailable</body></html>",
                                  b"\x00\xff\xfe garbage", b'{"json": true}'])
def test_unreadable_feeds_are_changed_sources(body: bytes) -> None:
    with pytest.raises(SourceChanged, match="not a readable feed"):
        parse_feed(body, "f", "https://x.org/feed")


def test_empty_but_valid_feed_is_quiet_not_broken() -> None:
    assert parse_feed(b'<rss version="2.0"><channel><title>t</title></channel></rss>', "f", "u") == []
