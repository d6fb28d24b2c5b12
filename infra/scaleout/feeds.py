"""Many loopback publishers: a catalogue of N rss entries and the server that answers for them.

    python -m infra.scaleout.feeds --publishers 200 --hosts 20 --port 8797 --catalog catalog.yaml

writes the catalogue, then serves `/<id>/feed.xml` for each publisher (each answer taking
100–300 ms, `--latency`) until stopped, and
`/_hits` (JSON: path -> requests) so a run can show each feed was fetched once per poll.
The publishers are spread over hosts 127.0.0.1 … 127.0.0.K (all loopback on Linux), because
poll_publishers polls one host's publishers one at a time and different hosts in parallel.
"""
from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

# Per publisher: blockchain drafts and publications, and notices that must not alert.
TITLES = (
    "关于公开征求《区块链 跨链互操作 第{n}部分：技术要求》国家标准（征求意见稿）意见的通知",
    "《分布式账本技术 参考架构 第{n}部分》行业标准发布公告",
    "关于推动制造业产业链供应链协同发展的指导意见（{n}）",
    "Blockchain and distributed ledger technologies - Smart contracts part {n} (draft for comment)",
    "人工智能 术语 第{n}部分 标准立项公示",
)


def source_id(n: int) -> str:
    """The id of publisher n."""
    return f"scale-{n:03d}"


def host_of(n: int, hosts: int) -> str:
    """The loopback address that serves publisher n."""
    return f"127.0.0.{(n - 1) % hosts + 1}"


def catalogue(publishers: int, hosts: int, port: int) -> list[dict[str, object]]:
    """Return N rss catalogue entries pointing at the loopback servers."""
    return [{"id": source_id(n), "kind": "rss", "name": f"Scale-out publisher {n}",
             "issuer": f"测试发布机构{n}", "jurisdiction": "CN",
             "url": f"http://{host_of(n, hosts)}:{port}/{source_id(n)}/feed.xml",
             "allow_private": True}  # the HTTP client refuses loopback hosts unless told
            for n in range(1, publishers + 1)]


def feed(n: int, base: str, now: datetime) -> bytes:
    """Return publisher n's RSS document: one item per title, all with distinct links."""
    items = "".join(
        f"<item><title>{escape(t.format(n=n))}</title>"
        f"<link>{base}/{source_id(n)}/notice-{j}.html</link>"
        f"<pubDate>{format_datetime(now - timedelta(hours=j + 1))}</pubDate></item>"
        for j, t in enumerate(TITLES))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{source_id(n)}</title><link>{base}/</link>{items}</channel></rss>").encode()


class FeedServer(ThreadingHTTPServer):
    """Serves every publisher's feed and counts the requests."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: str, port: int, pages: dict[str, bytes], hits: Counter[str],
                 lock: threading.Lock, latency: tuple[float, float] = (0.0, 0.0)) -> None:
        super().__init__((address, port), _Handler)
        self.pages, self.hits, self.lock = pages, hits, lock  # shared by every host
        self.latency = latency


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/_hits":
            with self.server.lock:
                body = json.dumps(dict(self.server.hits)).encode()
            ctype = "application/json"
        else:
            with self.server.lock:
                self.server.hits[self.path] += 1
            # A real publisher takes its time: poll tasks then run long enough to be killed mid-way.
            time.sleep(random.uniform(*self.server.latency))
            body = self.server.pages.get(self.path, b"")
            ctype = "application/rss+xml; charset=utf-8"
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    """Write the catalogue and serve the feeds until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publishers", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--latency", default="0.1,0.3", help="seconds per answer, MIN,MAX (default 0.1,0.3)")
    args = parser.parse_args()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    pages = {f"/{source_id(n)}/feed.xml": feed(n, f"http://{host_of(n, args.hosts)}:{args.port}", now)
             for n in range(1, args.publishers + 1)}
    hits: Counter[str] = Counter()
    lock = threading.Lock()
    low, high = (float(v) for v in args.latency.split(","))
    servers = [FeedServer(host_of(h, args.hosts), args.port, pages, hits, lock, (low, high))
               for h in range(1, min(args.hosts, args.publishers) + 1)]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    args.catalog.write_text(yaml.safe_dump(catalogue(args.publishers, args.hosts, args.port),
                                           allow_unicode=True, sort_keys=False))
    print(f"{args.publishers} publishers on {len(servers)} hosts, port {args.port}, "
          f"catalogue {args.catalog}", flush=True)
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
