"""The buttons on a Slack alert (alerts/blocks.py: actions), and muted standards in matching."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from alerts import blocks
from alerts import subscriptions as subs
from alerts.match import match
from connectors import store
from tests.web.test_slack_endpoints import fresh

SUB = subs.make("slack", "#standards", subs.Filters(), known_sources=["miit-yjzj"])
DRAFT = fresh("https://www.miit.gov.cn/k.html", "《区块链 跨链 技术要求》（征求意见稿）",
                    standard_key="GB/T 88888", comment_deadline="2026-12-20")
MUTE, REMIND, UNSUB = blocks.MUTE, blocks.REMIND, blocks.UNSUBSCRIBE


@pytest.mark.parametrize("notice, kwargs, expected", [
    (DRAFT, {}, [MUTE, REMIND, UNSUB]),
    (DRAFT, {"today": date(2026, 12, 20)}, [MUTE, REMIND, UNSUB]),          # the last day is open
    (DRAFT, {"today": date(2026, 12, 21)}, [MUTE, UNSUB]),                   # closed: nothing to remind
    (DRAFT, {"reminder": True}, [MUTE, UNSUB]),                              # the reminder itself
    (replace(DRAFT, comment_deadline=None), {}, [MUTE, UNSUB]),
    (replace(DRAFT, stage="published"), {}, [MUTE, UNSUB]),
    (replace(DRAFT, standard_key=None), {}, [REMIND, UNSUB]),                # nothing to mute by
], ids=["draft", "last-day", "closed", "reminder", "no-deadline", "published", "no-key"])
def test_buttons_offered(notice, kwargs, expected) -> None:
    block = blocks.actions(notice, SUB, **kwargs)
    assert block["type"] == "actions"
    assert [e["action_id"] for e in block["elements"]] == expected
    for element in block["elements"]:
        assert json.loads(element["value"]) == {"s": SUB.id, "n": notice.id}
        assert len(element["text"]["text"]) <= 75 and len(element["value"]) <= 2000


def test_every_alert_carries_the_buttons_before_its_footer() -> None:
    message = blocks.alert(DRAFT, SUB)
    kinds = [b["type"] for b in message.blocks]
    assert kinds[-2:] == ["actions", "context"]
    reminder = blocks.alert(DRAFT, SUB, days_left=2)
    [actions] = [b for b in reminder.blocks if b["type"] == "actions"]
    assert REMIND not in [e["action_id"] for e in actions["elements"]]


def test_a_muted_standard_is_skipped_for_that_subscription_only(es) -> None:
    other = replace(fresh("https://www.miit.gov.cn/o.html", "《区块链 存证 要求》（征求意见稿）"),
                    standard_key="GB/T 77777")
    store.upsert_notices(es, [DRAFT, other])
    loud = subs.make("slack", "#compliance", subs.Filters(), known_sources=["miit-yjzj"])
    muted = replace(SUB, muted_standards=("GB/T 88888",))
    assert match(es, [DRAFT, other], [loud, muted]) == {loud.id: [DRAFT.id, other.id], muted.id: [other.id]}
    all_muted = replace(SUB, muted_standards=("GB/T 88888", "GB/T 77777"))
    assert match(es, [DRAFT, other], [all_muted]) == {}
