"""The poll cycle at scale: hosts side by side but one request at a time each, a few
Elasticsearch requests per cycle rather than five per publisher, a refused notice failing its
own publisher only, two cycles at once losing and duplicating nothing (real loopback hosts,
the real node)."""
from __future__ import annotations

import hashlib
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from elastic_transport import Urllib3HttpNode
from elasticsearch import Elasticsearch

from connectors import store
from connectors.catalog import Source, parse_entry
from connectors.http import HttpOptions
from regwatch import writer
from regwatch.pipeline import poll_sources

FAST = HttpOptions(politeness=0, allow_private=True)
ITEMS = 3
# An item link Elasticsearch refuses to index: a keyword term may not exceed 32,766 bytes.
IMMENSE = "https://x.org/" + "a" * 33_000


def rss(host: int, feed: str, items: int = ITEMS) -> bytes:
    links = [IMMENSE, f"https://h{host}.example.org/ok"] if feed == "immense" else [
        f"https://h{host}.example.org/{feed}/{i}" for i in range(items)]
    entries = "".join(f"<item><title>区块链 通知 {host}-{feed}-{n}</title><link>{link}</link></item>"
                      for n, link in enumerate(links))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>h{host}</title>'
            f"{entries}</channel></rss>").encode()


class Hosts:
    """Loopback hosts (127.0.0.100 …) serving feeds with ETags, counting requests in flight."""

    def __init__(self, count: int, delay: float = 0.05) -> None:
        self.delay, self.lock = delay, threading.Lock()
        self.in_flight = [0] * count
        self.most = [0] * count        # the most requests one host had at once
        self.most_overall = 0          # ... and all hosts together
        self.hits: dict[str, int] = {}
        self.failing: set[str] = set()
        self.servers = [ThreadingHTTPServer((f"127.0.0.{100 + h}", 0), self._handler(h))
                        for h in range(count)]
        for server in self.servers:
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def sources(self, feeds: list[str]) -> list[Source]:
        return [parse_entry({"id": f"h{h}-{f}", "kind": "rss", "allow_private": True,
                             "url": f"http://{s.server_address[0]}:{s.server_address[1]}/{f}.xml"}, 1)
                for h, s in enumerate(self.servers) for f in feeds]

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def _handler(self, host: int) -> type[BaseHTTPRequestHandler]:
        hosts = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                feed = self.path.strip("/").removesuffix(".xml")
                with hosts.lock:
                    hosts.hits[f"h{host}-{feed}"] = hosts.hits.get(f"h{host}-{feed}", 0) + 1
                    hosts.in_flight[host] += 1
                    hosts.most[host] = max(hosts.most[host], hosts.in_flight[host])
                    hosts.most_overall = max(hosts.most_overall, sum(hosts.in_flight))
                try:
                    time.sleep(hosts.delay)
                    self._answer(feed)
                finally:
                    with hosts.lock:
                        hosts.in_flight[host] -= 1

            def _answer(self, feed: str) -> None:
                if f"h{host}-{feed}" in hosts.failing:
                    return self._send(500, b"down")
                body = rss(host, feed)
                etag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
                status = 304 if self.headers.get("If-None-Match") == etag else 200
                self._send(status, b"" if status == 304 else body,
                           {"ETag": etag, "Content-Type": "application/rss+xml"})

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in {**(headers or {}), "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def hosts():
    made: list[Hosts] = []
    yield lambda count, **kw: made.append(Hosts(count, **kw)) or made[-1]
    for h in made:
        h.stop()


class CountingNode(Urllib3HttpNode):
    """The client's real HTTP node, counting the requests it sends to Elasticsearch."""

    sent = 0

    def perform_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        CountingNode.sent += 1
        return super().perform_request(*args, **kwargs)


def test_hosts_side_by_side_one_request_each_and_two_cycles_lose_and_duplicate_nothing(es, hosts) -> None:
    farm = hosts(4)
    sources = farm.sources([f"f{n}" for n in range(5)])
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: poll_sources(es, sources, options=FAST), range(2))
    assert farm.most == [1, 1, 1, 1]  # never two requests at once on one host, across both cycles
    assert farm.most_overall >= 2     # ... while hosts were polled side by side
    assert all(p.error is None for p in first + second)
    created = [i for p in first + second for i in p.created]
    assert len(created) == len(set(created)) == 4 * 5 * ITEMS  # each notice created by one cycle
    assert es.count(index=store.NOTICES)["count"] == 4 * 5 * ITEMS
    # Each cycle finds due for alerting every notice it created (the other cycle's, only if
    # written before its search), so whichever cycle created a notice, it is alerted.
    for cycle in (first, second):
        assert {i for p in cycle for i in p.created} <= {i for p in cycle for i in p.pending}


def test_a_cycle_costs_a_few_elasticsearch_requests_not_five_per_publisher(es, hosts, monkeypatch) -> None:
    farm = hosts(4, delay=0.02)
    sources = farm.sources([f"f{n}" for n in range(15)])  # 60 publishers
    counted = Elasticsearch(es.transport.node_pool.get().base_url, node_class=CountingNode)
    for round_ in ("first", "second"):
        CountingNode.sent, start = 0, time.monotonic()
        polls = poll_sources(counted, sources, options=FAST)
        wall = time.monotonic() - start
        assert all(p.error is None and p.seen == ITEMS for p in polls), round_
        # state mget, refresh, unannounced search, the last health bulk; then an mget and a bulk
        # per batch, and a batch closes every LINGER seconds or BATCH notices.
        batches = 1 + math.ceil(wall / writer.LINGER) + math.ceil(len(sources) * ITEMS / writer.BATCH)
        assert CountingNode.sent <= 4 + 2 * batches, (round_, CountingNode.sent, wall)
        assert CountingNode.sent < len(sources) / 2, (round_, CountingNode.sent)  # was 5 per publisher
    assert sum(p.bytes for p in polls) == 0  # the second round was answered by 304s


def test_a_publisher_whose_notice_elasticsearch_refuses_fails_alone(es, hosts) -> None:
    farm = hosts(1)
    polls = poll_sources(es, farm.sources(["f0", "immense", "f1"]), options=FAST)
    ok, refused, other = polls
    assert refused.status == "error" and "1 notices refused by Elasticsearch" in refused.error
    assert len(refused.created) == 1  # its other notice was written, and is due for alerting
    assert refused.pending == refused.created
    assert ok.error is None and other.error is None and len(ok.created) == len(other.created) == ITEMS
    store.refresh_health(es)
    health = store.source_states(es, [p.source_id for p in polls])
    assert health["h0-immense"]["status"] == "error" and "refused" in health["h0-immense"]["last_error"]
    assert health["h0-f0"]["status"] == "ok"


def test_a_publisher_down_at_its_last_poll_gets_one_attempt_and_recovers(es, hosts) -> None:
    farm = hosts(1, delay=0.0)
    farm.failing.add("h0-f0")
    sources = farm.sources(["f0"])
    first = poll_sources(es, sources, options=FAST)[0]
    assert first.status == "unavailable" and farm.hits["h0-f0"] == FAST.attempts
    again = poll_sources(es, sources, options=FAST)[0]
    assert again.status == "unavailable" and farm.hits["h0-f0"] == FAST.attempts + 1  # one probe
    farm.failing.clear()
    back = poll_sources(es, sources, options=FAST)[0]
    assert back.error is None and len(back.created) == ITEMS


def test_a_connector_that_crashes_fails_its_publisher_not_the_cycle(es, hosts, monkeypatch) -> None:
    from connectors import registry
    from connectors.rss import FeedOptions

    def crash(source, http, seen):  # a connector's bug, not a ConnectorError
        raise KeyError("the page moved its script tag")

    registry.kinds()
    monkeypatch.setitem(registry.KINDS, "crashing", registry.Kind("crashing", FeedOptions, crash))
    farm = hosts(1)
    good, = farm.sources(["f0"])
    broken = parse_entry({"id": "broken", "kind": "crashing", "url": good.url, "allow_private": True}, 1)
    crashed, ok = poll_sources(es, [broken, good], options=FAST)
    assert crashed.status == "error" and "KeyError" in crashed.error
    assert ok.error is None and len(ok.created) == ITEMS
    store.refresh_health(es)
    assert store.source_states(es, ["broken"])["broken"]["status"] == "error"
