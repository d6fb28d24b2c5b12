"""The `regwatch` command as a user runs it: subprocesses against real loopback services."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from infra.replay import ReplayServer, load_routes
from regwatch.commands import UsageError
from regwatch.commands.services import checkout_fixtures
from tests.conftest import FIXTURES
from tests.servers import free_port

BIN = Path(sys.executable).with_name("regwatch")


def regwatch(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def services(es, smtp, replay, two_publishers):
    """Environment for a subprocess: the test node, the SMTP sink, the replay server."""
    return {"ES_URL": os.environ["ES_URL"], "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
            "REPLAY": replay.base, "REGWATCH_CATALOG": str(two_publishers)}


def test_run_once_indexes_alerts_by_email_then_nothing_new(services, smtp) -> None:
    sub = regwatch("subscribe", "--email", "analyst@example.org", "--backfill", "36500", env=services)
    assert sub.returncode == 0, sub.stderr
    first = regwatch("run", "--once", "--replay", services["REPLAY"], env=services)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 publishers polled (2 ok, 0 failed); 10 notices seen, 10 new" in first.stdout
    assert "alerts: 4 delivered" in first.stdout
    assert len(smtp.messages) == 4
    second = regwatch("run", "--once", "--replay", services["REPLAY"], env=services)
    assert "0 new" in second.stdout and "alerts: 0 delivered" in second.stdout
    assert len(smtp.messages) == 4
    found = regwatch("search", "区块链", "--json", env=services)
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert any("跨链互操作" in h["title"] for h in hits)
    # Across the two languages: 区块链 also finds the English notices about blockchain.
    assert all("区块链" in h["title"] or "blockchain" in f"{h['title']} {h['title_en']} {h['summary']}".lower()
               for h in hits), [(h["title"], h["title_en"]) for h in hits]
    assert any(h["lang"] == "en" for h in hits) and any(h["lang"] == "zh" for h in hits)
    sources = regwatch("sources", env=services)
    assert "miit-yjzj" in sources.stdout and " ok " in sources.stdout
    assert regwatch("sources", "--status", "blocked,changed", env=services).stdout == ""


def test_a_broken_publisher_is_reported_while_the_other_completes(services, tmp_path) -> None:
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root)
    index = root / "miit-yjzj" / "index.html"
    page = index.read_text(encoding="utf-8")
    assert "queryData=" in page, "the fixture's script tag (file id 67355739809) changed: pick another break"
    index.write_text(page.replace("queryData=", "data-q="), encoding="utf-8")
    server = ReplayServer(root).start()
    try:
        run = regwatch("run", "--once", "--replay", server.base, env=services)
    finally:
        server.stop()
    assert run.returncode == 1
    assert "miit-yjzj              changed      SourceChanged: list page has no jpaas script tag" in run.stdout
    broken = regwatch("sources", "--status", "changed", env=services).stdout
    assert broken.startswith("miit-yjzj") and len(broken.splitlines()) == 1
    assert "nist-csrc              ok           4 seen, 4 new" in run.stdout


@pytest.mark.parametrize("args, message", [
    (("subscribe", "--email", "not-an-address"), "regwatch subscribe: error: invalid email address"),
    (("subscribe", "--email", "a@b.org", "--stage", "drafty"), "unknown stage: drafty"),
    (("fetch", "--source", "nope"), "unknown source 'nope'"),
    (("unsubscribe", "sub-nope"), "no subscription 'sub-nope'"),
])
def test_bad_input_is_one_clear_line(services, args, message) -> None:
    done = regwatch(*args, env=services)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [("search", "区块链"), ("sources",), ("sources", "--json")])
def test_unreachable_elasticsearch_is_one_clear_line(args) -> None:
    # `sources` once showed every publisher as "never polled" here, and exited 0.
    done = regwatch(*args, env={"ES_URL": f"http://127.0.0.1:{free_port()}"})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (f"regwatch {args[0]}: error: cannot reach Elasticsearch: "
                                   "ConnectionError (is it running? `regwatch es start`)")


def test_classify_contract() -> None:
    rows = [{"title": "关于公开征求《区块链 节点服务能力要求》行业标准（征求意见稿）意见的通知"},
            {"title": "Markets in Crypto-Assets: final guidelines", "summary": "ESMA", "source": "esma"},
            {"title": "关于推动产业链供应链协同发展的指导意见"}]
    done = regwatch("classify", stdin="".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["blockchain"] for o in out] == [True, True, False]
    assert out[0]["stage"] == "draft" and out[0]["lang"] == "zh" and out[1]["lang"] == "en"
    bad = regwatch("classify", stdin='{"title": "ok"}\n{"summary": "no title"}\n')
    assert bad.returncode == 2 and bad.stdout == "" and "line 2" in bad.stderr


def test_classify_takes_a_named_publishers_facts_from_the_catalogue(tmp_path: Path) -> None:
    catalog = tmp_path / "sources.yaml"
    catalog.write_text('- {id: group-platform, kind: rss, url: "https://x.org/f", '
                       'hints: {default_level: group}}\n')
    title = "关于公开征求《区块链 跨链协议 技术规范》（征求意见稿）意见的通知"
    rows = [{"title": title}, {"title": title, "source": "group-platform"},
            {"title": title, "source": "elsewhere"}]
    done = regwatch("--catalog", str(catalog), "classify",
                    stdin="".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    assert done.returncode == 0, done.stderr
    levels = [json.loads(line)["level"] for line in done.stdout.splitlines()]
    assert levels == ["national", "group", "national"]
    bad = regwatch("classify", stdin='{"title": "ok", "source": 7}\n')
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith("line 1: 'source' must be a string (a catalogue id)")


def test_fetch_any_feed_by_url(replay) -> None:
    url = f"{replay.base}/nist-csrc/csrc/media/feeds/metafeeds/all.rss"
    refused = regwatch("fetch", "--url", url)
    assert refused.returncode == 2 and "refused to fetch 127.0.0.1" in refused.stderr
    done = regwatch("fetch", "--url", url, "--allow-private")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 4


def test_run_once_reads_catalog_after_the_subcommand_and_replay_from_the_env(services, tmp_path) -> None:
    # `.invalid` never resolves: this run can only succeed through $REGWATCH_REPLAY.
    one = tmp_path / "one.yaml"
    one.write_text("- {id: nist-csrc, kind: rss, url: "
                   "'https://csrc.nist.invalid/csrc/media/feeds/metafeeds/all.rss'}\n")
    env = {**services, "REGWATCH_REPLAY": services["REPLAY"]}
    run = regwatch("--catalog", str(tmp_path / "absent.yaml"), "run", "--once", "--catalog", str(one),
                   env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 publishers polled (1 ok, 0 failed); 4 notices seen, 4 new" in run.stdout
    flag_wins = regwatch("run", "--once", "--catalog", str(one), "--replay", "http://127.0.0.1:9",
                         env=env)
    assert flag_wins.returncode == 1 and "1 publishers polled (0 ok, 1 failed)" in flag_wins.stdout


def test_replay_serves_the_checkout_fixtures_and_says_so(tmp_path) -> None:
    server = subprocess.Popen([str(BIN), "replay", "--port", "0"], cwd=tmp_path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = server.stdout.readline()
        base = line.rsplit(" at ", 1)[-1].strip()
        feed = httpx.get(f"{base}/nist-csrc/csrc/media/feeds/metafeeds/all.rss", timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
    pages = len(load_routes(FIXTURES))
    assert line.startswith(f"replaying {pages} recorded pages from {FIXTURES} at http://127.0.0.1:")
    assert feed.status_code == 200 and b"<rss" in feed.content


def test_replay_needs_a_root_outside_a_checkout(tmp_path) -> None:
    with pytest.raises(UsageError, match=r"^no recorded publishers here \(not a checkout with "
                                         r"tests/fixtures\): give the fixture folder with --root DIR$"):
        checkout_fixtures([tmp_path])
    done = regwatch("replay", "--root", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == ("regwatch replay: error: no recorded publishers (<source_id>/routes.yaml) "
                           f"under {tmp_path}\n")


def test_search_crosses_the_two_languages_through_the_glossary(es) -> None:
    from connectors import store
    from tests.connectors.test_store import make_notice

    store.upsert_notices(es, [
        make_notice("https://x/zh", "关于公开征求《区块链 智能合约 安全要求》国家标准（征求意见稿）意见的通知"),
        make_notice("https://x/en", "Smart contracts: security considerations (draft)", lang="en"),
        make_notice("https://x/other", "人形机器人 通用技术要求"),
    ])
    es.indices.refresh(index=store.NOTICES)
    env = {"ES_URL": os.environ["ES_URL"]}
    for text in ("smart contract", "智能合约", "Smart Contracts"):
        found = regwatch("search", text, "--json", env=env)
        assert found.returncode == 0, found.stderr
        assert sorted(json.loads(line)["url"] for line in found.stdout.splitlines()) == [
            "https://x/en", "https://x/zh"], text
