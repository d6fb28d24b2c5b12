"""Dispatch through real Elasticsearch and a real SMTP server: matched, delivered once."""
from __future__ import annotations

from dataclasses import replace

from alerts import subscriptions as subs
from alerts.dispatch import dispatch
from connectors import store
from tests.connectors.test_store import make_notice

KNOWN = ["miit-yjzj", "nist-csrc"]
DRAFT = make_notice("https://www.miit.gov.cn/a.html",
                    "关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知")
OTHER = make_notice("https://www.miit.gov.cn/b.html", "关于公开征求《人形机器人 通用技术要求》国家标准（征求意见稿）意见的公示")


def subscribe(es, target: str = "analyst@example.org", **filters) -> subs.Subscription:
    sub = subs.make("email", target, subs.Filters(**filters), known_sources=KNOWN)
    subs.save(es, sub)
    return sub


def test_matching_delivers_once_across_reruns(es, smtp, monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_LINK_KEY", "k" * 32)
    store.upsert_notices(es, [DRAFT, OTHER])
    subscribe(es)
    first = dispatch(es, [DRAFT.id, OTHER.id])
    assert len(first.sent) == 1 and not first.failed
    [message] = smtp.messages
    assert message["Subject"].startswith("[regwatch] Draft for comment: 关于公开征求《区块链")
    assert message["To"] == "analyst@example.org"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert DRAFT.url in plain and DRAFT.url in html
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/u/sub-")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    again = dispatch(es, [DRAFT.id, OTHER.id])
    assert not again.sent and len(again.skipped) == 1 and len(smtp.messages) == 1


def test_filters_select_in_elasticsearch(es, smtp) -> None:
    published = replace(DRAFT, id="p1", url="https://x/p", stage="published")
    store.upsert_notices(es, [DRAFT, OTHER, published])
    subscribe(es, "drafts@example.org", stages=("draft",))
    subscribe(es, "all@example.org", blockchain_only=False)
    subscribe(es, "text@example.org", text="跨链")
    subscribe(es, "nist@example.org", sources=("nist-csrc",))
    result = dispatch(es, [DRAFT.id, OTHER.id, "p1"])
    by_target: dict[str, int] = {}
    for m in smtp.messages:
        by_target[m["To"]] = by_target.get(m["To"], 0) + 1
    assert by_target == {"drafts@example.org": 1, "all@example.org": 3, "text@example.org": 2}
    assert len(result.sent) == 6


def test_failed_delivery_is_retried_and_sent_once(es, smtp, monkeypatch) -> None:
    store.upsert_notices(es, [DRAFT])
    subscribe(es)
    monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens there
    failed = dispatch(es, [DRAFT.id])
    assert len(failed.failed) == 1 and not smtp.messages
    monkeypatch.setenv("SMTP_PORT", str(smtp.port))
    retried = dispatch(es, [])  # the next dispatch, even for other notices, retries the failure
    assert len(retried.sent) == 1 and len(smtp.messages) == 1
    assert not dispatch(es, [DRAFT.id]).sent and len(smtp.messages) == 1
