"""One meaning of "host": the server name, for `regwatch run` and the poll DAG alike."""
from __future__ import annotations

import time

from connectors.catalog import parse_entry
from connectors.http import HttpOptions
from regwatch.dagkit import catalogue_hosts
from regwatch.pipeline import run_cycle
from tests.servers import Reply, ScriptedServer

FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Blockchain draft</title><link>https://x.org/a</link></item></channel></rss>")
URLS = {"miit-a": "https://www.MIIT.gov.cn/a.xml", "miit-b": "http://www.miit.gov.cn:8080/b.xml",
        "nist-c": "https://csrc.nist.gov/c.xml"}


def test_the_cli_and_the_dag_see_the_same_hosts(tmp_path, monkeypatch) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("".join(f'- {{id: {i}, kind: rss, url: "{u}"}}\n' for i, u in URLS.items()))
    monkeypatch.setenv("REGWATCH_CATALOG", str(catalog))
    sources = [parse_entry({"id": i, "kind": "rss", "url": u}, 1) for i, u in URLS.items()]
    assert [s.host for s in sources] == ["www.miit.gov.cn", "www.miit.gov.cn", "csrc.nist.gov"]
    assert sorted({s.host_slug for s in sources}) == catalogue_hosts() == ["csrc_nist_gov", "www_miit_gov_cn"]


def test_publishers_on_one_server_are_polled_one_after_another_whatever_the_port(es) -> None:
    servers = [ScriptedServer(), ScriptedServer()]  # two ports of 127.0.0.1: one server
    arrivals: dict[str, float] = {}
    try:
        for n, server in enumerate(servers):
            server.script["/feed.xml"] = lambda n=n: (arrivals.setdefault(f"p{n}", time.monotonic()),
                                                      Reply(200, FEED, delay=1.0))[1]
        sources = [parse_entry({"id": f"p{n}", "kind": "rss", "url": s.url("/feed.xml"),
                                "allow_private": True}, 1) for n, s in enumerate(servers)]
        summary = run_cycle(es, sources, options=HttpOptions(politeness=0))
    finally:
        for server in servers:
            server.stop()
    assert all(p.error is None for p in summary.polls)
    assert abs(arrivals["p1"] - arrivals["p0"]) >= 1.0  # the second waited for the first's answer
