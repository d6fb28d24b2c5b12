"""A farm of loopback publishers for the polling benchmarks: many hosts, real latency, failures.

Each host is its own loopback address (127.0.0.1, 127.0.0.2 … 127.0.0.254, then 127.0.1.1 …: all
of 127/8 is loopback on Linux; regwatch polls one host's publishers one after another, by host
name, so ports of one address would be one host) serving a few RSS feeds with ETag and
Last-Modified; every answer waits 100–300 ms, and a fixed 5% of the feeds answer 500.
The server counts the bytes it writes (status line, headers and body), so every poller is
measured on the wire, the same way. It also watches politeness and the network's limit: per
host, the most requests it was serving at once, its busy time, and the sum of the latencies it
served. The largest of those sums is the round's *network floor*: a poller that keeps one
request per host at a time cannot finish the round sooner.
"""
from __future__ import annotations

import hashlib
import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer


def feed(host: int, index: int, items: int = 20) -> bytes:
    """A realistic RSS feed: mostly generic notices, now and then a blockchain draft."""
    entries = []
    for i in range(items):
        topic = "区块链 跨链互操作技术要求（征求意见稿）" if (host + index + i) % 17 == 0 else f"产业政策通知 第{i}号"
        entries.append(
            f"<item><title>关于{topic}的公告 {host}-{index}-{i}</title>"
            f"<link>https://pub{host}.example.org/feeds/{index}/items/{i}.html</link>"
            f"<description>{'本通知就有关事项说明如下。' * 8}</description>"
            f"<pubDate>{formatdate(1_790_000_000 + i * 3600, usegmt=True)}</pubDate></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Publisher {host}</title><link>https://pub{host}.example.org/</link>"
            f"{''.join(entries)}</channel></rss>").encode()


HOSTS_PER_BLOCK = 254  # 127.0.x.1 … 127.0.x.254: no .0 or .255 address, which some tools treat apart
MAX_HOSTS = HOSTS_PER_BLOCK * 256


def address(host: int) -> str:
    """The loopback address of farm host `host` (0-based): 127.0.0.1 … 127.0.0.254, 127.0.1.1 …"""
    if not 0 <= host < MAX_HOSTS:
        raise ValueError(f"a farm has at most {MAX_HOSTS} loopback hosts, not host #{host}")
    block, offset = divmod(host, HOSTS_PER_BLOCK)
    return f"127.0.{block}.{offset + 1}"


@dataclass
class HostLoad:
    """One host's load over a round: concurrency, busy time and the latencies it served."""

    in_flight: int = 0
    max_in_flight: int = 0
    served: float = 0.0  # sum of the latencies of the answers it gave (seconds)
    busy: float = 0.0  # time with at least one request in flight (seconds)
    busy_since: float = 0.0
    requests: int = 0


def network_floor(served: dict[int, float]) -> float:
    """The least time a round can take at one request per host: the busiest host's served latencies."""
    return max(served.values(), default=0.0)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer's own looks up the address's host name (getfqdn): 80 ms a host, 20 s a farm.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


@dataclass
class Farm:
    hosts: int = 60
    feeds_per_host: int = 5
    fail_ratio: float = 0.05
    latency: tuple[float, float] = (0.1, 0.3)
    seed: int = 7
    servers: list[_Server] = field(default_factory=list)
    bytes_out: int = 0
    requests: int = 0
    loads: dict[int, HostLoad] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        total = self.hosts * self.feeds_per_host
        self.failing = set(rng.sample(range(total), round(total * self.fail_ratio)))
        self.bodies = {(h, f): feed(h, f) for h in range(self.hosts) for f in range(self.feeds_per_host)}

    def start(self) -> Farm:
        for host in range(self.hosts):
            server = _Server((address(host), 0), _handler(self, host))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
        return self

    def stop(self) -> None:
        # Side by side: each shutdown waits up to a poll interval (0.5 s), 300 hosts in a row take minutes.
        stopping = [threading.Thread(target=server.shutdown) for server in self.servers]
        for thread in stopping:
            thread.start()
        for thread, server in zip(stopping, self.servers):
            thread.join()
            server.server_close()

    def urls(self) -> list[str]:
        return [f"http://{s.server_address[0]}:{s.server_address[1]}/feeds/{f}.xml"
                for s in self.servers for f in range(self.feeds_per_host)]

    def count(self, nbytes: int) -> None:
        with self._lock:
            self.bytes_out += nbytes
            self.requests += 1

    def reset(self) -> None:
        with self._lock:
            self.bytes_out = self.requests = 0
            self.loads = {}

    def begin(self, host: int) -> float:
        """A request to `host` starts being served; return the clock."""
        now = time.monotonic()
        with self._lock:
            load = self.loads.setdefault(host, HostLoad())
            if load.in_flight == 0:
                load.busy_since = now
            load.in_flight += 1
            load.requests += 1
            load.max_in_flight = max(load.max_in_flight, load.in_flight)
        return now

    def end(self, host: int, latency: float) -> None:
        """The request is answered (called *before* writing the answer: a client that waits
        for it cannot have its next request counted as overlapping this one)."""
        now = time.monotonic()
        with self._lock:
            load = self.loads[host]
            load.in_flight -= 1
            load.served += latency
            if load.in_flight == 0:
                load.busy += now - load.busy_since

    def load(self) -> dict[str, float | int]:
        """This round so far: the most concurrent requests one host saw, the network floor, busy time."""
        with self._lock:
            loads = dict(self.loads)
            served = {h: x.served for h, x in loads.items()}
            return {"max_concurrent_per_host": max((x.max_in_flight for x in loads.values()), default=0),
                    "hosts_over_one": sum(1 for x in loads.values() if x.max_in_flight > 1),
                    "network_floor": round(network_floor(served), 4),
                    "busiest_host_busy": round(max((x.busy for x in loads.values()), default=0.0), 4),
                    "hosts_served": len(loads)}


def _handler(farm: Farm, host: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            started = farm.begin(host)
            time.sleep(random.uniform(*farm.latency))
            farm.end(host, time.monotonic() - started)
            try:
                index = int(self.path.rsplit("/", 1)[-1].split(".")[0])
                body = farm.bodies[(host, index)]
            except (ValueError, KeyError):
                return self._send(404, b"")
            if host * farm.feeds_per_host + index in farm.failing:
                return self._send(500, b"internal error")
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            headers = {"ETag": etag, "Last-Modified": formatdate(1_790_000_000, usegmt=True),
                       "Content-Type": "application/rss+xml; charset=utf-8"}
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", headers)
            self._send(200, body, headers)

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            head = f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n"
            lines = {"Content-Length": str(len(body)), **(headers or {})}
            head += "".join(f"{k}: {v}\r\n" for k, v in lines.items()) + "\r\n"
            self.wfile.write(head.encode() + body)
            farm.count(len(head) + len(body))

        def log_message(self, *args: object) -> None:
            pass

    return Handler
