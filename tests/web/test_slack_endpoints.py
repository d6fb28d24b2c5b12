"""The Slack endpoints through a real uvicorn server on loopback, with Slack's own payload formats,
signatures made by slack_sdk's verifier, the real Elasticsearch node and the Slack stand-in."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from alerts import reminder_requests, subscriptions
from alerts.dispatch import dispatch
from alerts.reminders import send_reminders
from connectors import store
from tests.connectors.test_store import make_notice
from tests.web_server import WebServer

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the example secret of Slack's documentation
CHANNEL = "C0STANDARD1"  # "#standards" in tests/slack_server.py
NOW = datetime.now(timezone.utc)


@pytest.fixture
def app(es, slack, two_publishers, monkeypatch) -> Iterator[WebServer]:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    with WebServer() as served:
        yield served


def fresh(url: str, title: str, **fields: Any):
    """A notice published yesterday and fetched an hour ago (alerting skips old history)."""
    # Its comment period is open for ten more days, whatever today is (a closed one offers no reminder).
    fields.setdefault("comment_deadline", (NOW + timedelta(days=10)).date().isoformat())
    return make_notice(url, title, published_at=(NOW - timedelta(days=1)).isoformat(),
                       fetched_at=(NOW - timedelta(hours=1)).isoformat(), **fields)


def signed(body: str, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": str(signature),
            "Content-Type": "application/x-www-form-urlencoded"}


def slash_body(text: str, channel: str = CHANNEL, name: str = "standards", user: str = "U0ANALYST") -> str:
    """A slash command as Slack posts it (form-encoded, every field Slack sends)."""
    return urlencode({
        "token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0REGWATCH", "team_domain": "regwatch-test",
        "channel_id": channel, "channel_name": name, "user_id": user, "user_name": "analyst",
        "command": "/regwatch", "text": text, "api_app_id": "A0REGWATCH", "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0REGWATCH/1/abc",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0"})


def command(app: WebServer, text: str, **kw: str) -> dict[str, Any]:
    body = slash_body(text, **kw)
    r = app.post("/slack/commands", body, signed(body))
    assert r.status_code == 200, r.text
    return dict(r.json())


def subs(es) -> list[subscriptions.Subscription]:
    es.indices.refresh(index=subscriptions.INDEX)
    return subscriptions.list_all(es)


# --- verification ---------------------------------------------------------------------------------

def test_forged_stale_and_missing_signatures_get_401_and_change_nothing(app, es) -> None:
    body = slash_body("subscribe stage=draft")
    for headers in (signed(body, secret="not-the-secret"),            # forged
                    signed(body, at=time.time() - 6 * 60),          # stale: outside 5 minutes
                    signed(body, at=time.time() + 6 * 60),          # from the future
                    {"Content-Type": "application/x-www-form-urlencoded"},  # missing
                    {**signed(body), "X-Slack-Request-Timestamp": "soon"}):
        r = app.post("/slack/commands", body, headers)
        assert r.status_code == 401, (headers, r.text)
    tampered = slash_body("subscribe stage=published")
    assert app.post("/slack/commands", tampered, signed(body)).status_code == 401
    assert app.post("/slack/interactions", "payload=%7B%7D", signed(body)).status_code == 401
    assert subs(es) == []
    assert SECRET not in json.dumps(es.search(index="regwatch-*", size=100)["hits"]["hits"])


def test_a_replayed_request_is_refused_by_every_instance(app, es) -> None:
    body = slash_body("subscribe stage=draft")
    headers = signed(body)
    assert app.post("/slack/commands", body, headers).status_code == 200
    assert app.post("/slack/commands", body, headers).status_code == 401
    # A second app instance (another worker or host) on the same Elasticsearch refuses it too.
    with WebServer() as other:
        again = other.post("/slack/commands", body, headers)
    assert again.status_code == 401 and "replayed" in again.text
    [sub] = subs(es)
    assert sub.filters.stages == ("draft",)


def test_without_a_signing_secret_every_request_is_refused(app, es, monkeypatch) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    body = slash_body("subscribe")
    assert app.post("/slack/commands", body, signed(body)).status_code == 503
    assert subs(es) == []


# --- the slash command ------------------------------------------------------------------------------

def test_an_unknown_filter_word_gets_one_clear_line_and_saves_nothing(app, es) -> None:
    answer = command(app, "subscribe stage=draft colour=red")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("⚠️ unknown filter word 'colour=red' (known: stage=")
    assert answer["text"].endswith("nothing saved") and "\n" not in answer["text"]
    unknown_source = command(app, "subscribe source=no-such-publisher")
    assert unknown_source["text"].startswith("⚠️ unknown publisher: no-such-publisher")
    assert subs(es) == []


def test_subscribe_list_preview_unsubscribe(app, es) -> None:
    draft = fresh("https://www.miit.gov.cn/sc.html", "关于公开征求《区块链 智能合约 安全要求》行业标准（征求意见稿）意见的通知",
                        comment_deadline=(NOW + timedelta(days=20)).date().isoformat())
    other = fresh("https://www.miit.gov.cn/x.html", "关于公开征求《区块链 跨链 技术要求》行业标准（征求意见稿）意见的通知")
    store.upsert_notices(es, [draft, other])
    es.indices.refresh(index=store.NOTICES)

    made = command(app, "subscribe stage=draft source=miit-yjzj text=智能合约 lang=en daily")
    assert made["response_type"] == "in_channel"
    [sub] = subs(es)
    assert (sub.channel, sub.target, sub.lang, sub.mode) == ("slack", CHANNEL, "en", "daily")
    assert sub.filters.stages == ("draft",) and sub.filters.text == "智能合约"
    assert made["text"].startswith(f"<@U0ANALYST> subscribed this channel: `{sub.id}`")

    listed = command(app, "list")
    assert listed["response_type"] == "ephemeral" and sub.id in listed["text"]
    assert "`text=智能合约`" in listed["text"] and "`lang=en`" in listed["text"]
    assert sub.id not in command(app, "list", channel="C0COMPLY002", name="compliance")["text"]

    by_words = command(app, "preview stage=draft text=智能合约")
    assert by_words["text"].startswith("1 notices in the last 30 days") and draft.url in by_words["text"]
    assert other.url not in by_words["text"]
    assert draft.url in command(app, f"preview {sub.id}")["text"]
    assert command(app, "preview stage=drafty")["text"].startswith("⚠️ unknown stage: drafty")

    # Another channel cannot end this channel's subscription, even knowing its id.
    foreign = command(app, f"unsubscribe {sub.id}", channel="C0COMPLY002", name="compliance")
    assert foreign["text"].startswith(f"⚠️ no subscription `{sub.id}` in this channel")
    assert len(subs(es)) == 1
    gone = command(app, f"unsubscribe {sub.id}")
    assert gone["response_type"] == "in_channel" and "unsubscribed this channel" in gone["text"]
    assert subs(es) == []
    assert "no regwatch subscriptions" in command(app, "list")["text"]
    assert command(app, "help")["text"].startswith("*`/regwatch` subscribes")


# --- the alert buttons ------------------------------------------------------------------------------

def _alerted(es, slack, notice) -> list[dict[str, Any]]:
    """Subscribe #standards with the CLI's words, dispatch the notice, return the posted buttons."""
    sub = subscriptions.make("slack", "#standards", subscriptions.Filters(), known_sources=["miit-yjzj"])
    subscriptions.save(es, sub)
    store.upsert_notices(es, [notice])
    assert len(dispatch(es, [notice.id]).sent) == 1
    [actions] = [b for b in slack.messages[-1].blocks if b["type"] == "actions"]
    return list(actions["elements"])


def click(app: WebServer, slack, button: dict[str, Any], channel: str = CHANNEL) -> dict[str, Any]:
    """Click a button as Slack reports it: `payload=` JSON of type block_actions."""
    before = len(slack.responses)
    payload = {
        "type": "block_actions", "user": {"id": "U0ANALYST", "username": "analyst", "team_id": "T0REGWATCH"},
        "api_app_id": "A0REGWATCH", "token": "gIkuvaNzQIHg97ATvDxqgjtO", "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1767225600.000001", "channel_id": channel,
                      "is_ephemeral": False},
        "team": {"id": "T0REGWATCH", "domain": "regwatch-test"}, "enterprise": None,
        "is_enterprise_install": False, "channel": {"id": channel, "name": "standards"},
        "message": {"type": "message", "ts": "1767225600.000001", "text": "…"}, "state": {"values": {}},
        "response_url": slack.response_url(str(before)),
        "actions": [{**button, "block_id": "regwatch_actions", "action_ts": f"{time.time():.6f}"}]}
    body = urlencode({"payload": json.dumps(payload)})
    r = app.post("/slack/interactions", body, signed(body))
    assert r.status_code == 200, r.text
    assert len(slack.responses) == before + 1, "no answer through the response_url"
    path, message = slack.responses[-1]
    assert path.startswith("/actions/T0REGWATCH/")
    return message


def _button(buttons: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    return next(b for b in buttons if b["action_id"] == action_id)


def test_mute_this_standard_stops_its_alerts_in_this_channel_only(app, es, slack) -> None:
    key = "GB/T 99999"
    draft = fresh("https://www.miit.gov.cn/m.html", "《区块链 存证 技术要求》（征求意见稿）",
                        standard_key=key, standard_numbers=["GB/T 99999-2026"])
    buttons = _alerted(es, slack, draft)
    assert [b["action_id"] for b in buttons] == ["regwatch_mute", "regwatch_remind", "regwatch_unsubscribe"]
    elsewhere = subscriptions.make("slack", "#compliance", subscriptions.Filters(), known_sources=["miit-yjzj"])
    subscriptions.save(es, elsewhere)

    answer = click(app, slack, _button(buttons, "regwatch_mute"))
    assert answer["response_type"] == "in_channel" and "muted GB/T 99999-2026 in this channel" in answer["text"]
    assert "already muted" in click(app, slack, _button(buttons, "regwatch_mute"))["text"]
    [muted] = [s for s in subs(es) if s.target == "#standards"]
    assert muted.muted_standards == (key,)

    published = replace(fresh("https://www.miit.gov.cn/m2.html", "《区块链 存证 技术要求》发布",
                                    stage="published", standard_key=key))
    posted = len(slack.messages)
    result = dispatch(es, [published.id] if store.upsert_notices(es, [published]).created else [])
    assert [s for s, _ in result.sent] == [elsewhere.id]  # #compliance still hears of it
    assert [m.channel for m in slack.messages[posted:]] == ["#compliance"]


def test_remind_me_before_the_deadline_is_recorded_once_and_sent(app, es, slack) -> None:
    deadline = (NOW + timedelta(days=10)).date()
    draft = fresh("https://www.miit.gov.cn/r.html", "《区块链 隐私计算 技术要求》（征求意见稿）",
                        comment_deadline=deadline.isoformat())
    buttons = _alerted(es, slack, draft)
    answer = click(app, slack, _button(buttons, "regwatch_remind"))
    assert "set a reminder" in answer["text"] and deadline.isoformat() in answer["text"]
    again = click(app, slack, _button(buttons, "regwatch_remind"))
    assert again["text"].startswith("A reminder for this draft is already set")
    assert es.count(index=reminder_requests.INDEX)["count"] == 1

    # Nothing while the deadline is far; on the day it is within reminder_days, one reminder.
    too_early = datetime.combine(deadline - timedelta(days=5), datetime.min.time(), timezone.utc)
    assert not send_reminders(es, too_early).sent
    posted = len(slack.messages)
    near = datetime.combine(deadline - timedelta(days=2), datetime.min.time(), timezone.utc)
    assert len(send_reminders(es, near).sent) == 1
    assert not send_reminders(es, near + timedelta(hours=1)).sent  # once
    [reminder] = slack.messages[posted:]
    assert reminder.channel == "#standards" and reminder.text.startswith("Comments due in 2 days")


def test_remind_refuses_a_closed_deadline(app, es, slack) -> None:
    draft = fresh("https://www.miit.gov.cn/c.html", "《区块链 数据 要求》（征求意见稿）",
                  comment_deadline=(NOW + timedelta(days=3)).date().isoformat())
    buttons = _alerted(es, slack, draft)
    # The period closes before anyone clicks (here the stored deadline moves into the past).
    closed = replace(draft, comment_deadline=(NOW - timedelta(days=3)).date().isoformat(), content_hash="closed")
    store.upsert_notices(es, [closed])
    assert click(app, slack, _button(buttons, "regwatch_remind"))["text"].startswith("Comments closed on")
    assert es.count(index=reminder_requests.INDEX)["count"] == 0


def test_an_alert_of_a_closed_draft_offers_no_reminder(es, slack) -> None:
    closed = fresh("https://www.miit.gov.cn/c2.html", "《区块链 数据 要求》（征求意见稿）",
                   comment_deadline=(NOW - timedelta(days=3)).date().isoformat())
    offered = [b["action_id"] for b in _alerted(es, slack, closed)]
    assert "regwatch_remind" not in offered and "regwatch_unsubscribe" in offered


def test_unsubscribe_this_channel_ends_its_subscriptions_only(app, es, slack) -> None:
    draft = fresh("https://www.miit.gov.cn/u.html", "《区块链 标识 要求》（征求意见稿）")
    buttons = _alerted(es, slack, draft)
    command(app, "subscribe stage=draft")  # a second one here, by channel id
    elsewhere = subscriptions.make("slack", "#compliance", subscriptions.Filters(), known_sources=["miit-yjzj"])
    subscriptions.save(es, elsewhere)
    unsubscribe = _button(buttons, "regwatch_unsubscribe")
    assert unsubscribe["style"] == "danger" and unsubscribe["confirm"]["confirm"]["text"] == "Unsubscribe"
    answer = click(app, slack, unsubscribe)
    assert answer["response_type"] == "in_channel" and answer["text"].count("`sub-") == 2
    assert [s.id for s in subs(es)] == [elsewhere.id]
    assert "has no regwatch subscriptions" in click(app, slack, unsubscribe)["text"]
