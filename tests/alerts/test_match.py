"""Matching in Python on the batch's keyword facets agrees with Elasticsearch's own query."""
from __future__ import annotations

import random
from dataclasses import replace

from alerts.match import match, match_once, query_for
from alerts.subscriptions import Filters, Subscription
from connectors import store
from records.notice import notice_id
from tests.connectors.test_store import make_notice

TITLES = ["关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知",
          "《区块链和分布式记账技术 参考架构》行业标准发布", "人形机器人 通用技术要求（征求意见稿）",
          "Blockchain and distributed ledger technologies — Vocabulary", "供应链金融 区块链应用指南"]
TEXTS = ["区块链", "跨链", '"分布式记账"', "blockchain vocabulary", "供应链 区块链", "机器人"]


def notices(rng: random.Random) -> list:
    out = []
    for i in range(60):
        title = rng.choice(TITLES)
        out.append(replace(
            make_notice(f"https://x.example/{i}", title, stage=rng.choice(["plan", "draft", "published", None])),
            source_id=rng.choice(["miit-yjzj", "nist-csrc", "sz-amr"]),
            jurisdiction=rng.choice(["CN", "CN-GD-SZ", "INTL"]), kind=rng.choice(["standard", "policy"]),
            level=rng.choice(["national", "industry", None]), blockchain=rng.random() < 0.7,
            standard_numbers=rng.sample(["GB/T 42752-2023", "ISO 22739:2024", "JR/T 0184-2020"], rng.randint(0, 2))))
    return out


def filters(rng: random.Random) -> Filters:
    pick = lambda values: tuple(rng.sample(values, rng.randint(0, 2)))  # noqa: E731
    return Filters(sources=pick(["miit-yjzj", "nist-csrc", "sz-amr"]), jurisdictions=pick(["CN", "INTL"]),
                   kinds=pick(["standard", "policy"]), stages=pick(["plan", "draft", "published"]),
                   levels=pick(["national", "industry"]), standard_numbers=pick(["GB/T 42752-2023", "ISO 22739:2024"]),
                   text=rng.choice(["", "", *TEXTS]), blockchain_only=rng.random() < 0.5)


def test_match_agrees_with_the_elasticsearch_query_for_every_subscription(es) -> None:
    rng = random.Random(5)
    batch = notices(rng)
    store.upsert_notices(es, batch)
    subs = [Subscription(f"s{i}", "console", "console", filters(rng)) for i in range(150)]
    subs += [replace(s, id=f"{s.id}-twin") for s in subs[:20]]  # identical filters are grouped
    got = match(es, batch, subs)
    ids = [n.id for n in batch]
    searches = []
    for sub in subs:
        searches += [{"index": store.NOTICES}, {"query": query_for(sub.filters, ids), "size": 100, "_source": False}]
    for sub, resp in zip(subs, es.msearch(searches=searches)["responses"]):
        expected = sorted(h["_id"] for h in resp["hits"]["hits"])
        assert sorted(got.get(sub.id, [])) == expected, sub.filters
    assert sum(1 for s in subs if s.id in got) > 20  # the draw exercises real matches
    assert got.get("s0") == got.get("s0-twin")


def copy(source: str, url: str, fetched_at: str, stage: str = "draft"):
    """The same page as carried by one publisher."""
    return replace(make_notice(url, "NIST IR 8472 (Initial Public Draft), Non-Fungible Token Security 区块链"),
                   id=notice_id(source, url), source_id=source, fetched_at=fetched_at, stage=stage)


def test_a_page_two_publishers_carry_is_matched_once_per_subscription(es) -> None:
    url = "https://csrc.nist.gov/pubs/ir/8472/ipd"
    feed = copy("nist-csrc", url, "2026-11-29T02:00:00+00:00")
    api = copy("nist-drafts", url + "#x", "2026-11-29T02:00:05+00:00")  # same page, other spelling
    other = make_notice("https://csrc.nist.gov/pubs/ir/8202/r1/ipd", "区块链 Blockchain Technology Overview")
    anyone = Subscription("any", "console", "console", Filters())
    api_only = Subscription("api", "console", "console", Filters(sources=("nist-drafts",)))
    store.upsert_notices(es, [feed, api, other])
    # One batch: the earliest-fetched copy, once; a subscription to the second publisher keeps its own.
    got = match_once(es, [api, feed, other], [anyone, api_only])
    assert got == {"any": [feed.id, other.id], "api": [api.id]}
    # A later poll: the copy already indexed was fetched earlier, so the new copy is a repeat …
    assert match_once(es, [api], [anyone, api_only]) == {"api": [api.id]}
    # … but a copy fetched later does not hide an earlier one (a digest window closing between them).
    assert match_once(es, [feed], [anyone]) == {"any": [feed.id]}
    # A new stage of the page is a new event.
    published = copy("nist-drafts", url, "2026-11-30T02:00:00+00:00", stage="published")
    assert match_once(es, [published], [anyone]) == {"any": [published.id]}
