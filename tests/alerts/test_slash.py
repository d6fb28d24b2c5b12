"""The `/regwatch` words, parsed without I/O: a table of inputs and what they mean."""
from __future__ import annotations

import pytest

from alerts.slash import Command, SlashError, parse
from alerts.subscriptions import Filters

CASES = [
    ("", Command("help")),
    ("help", Command("help")),
    ("  LIST ", Command("list")),
    ("subscribe", Command("subscribe")),
    ("subscribe stage=draft level=national source=miit-yjzj number=\"GB/T 42752-2023\" text=智能合约 "
     "lang=en daily",
     Command("subscribe", Filters(stages=("draft",), levels=("national",), sources=("miit-yjzj",),
                                  standard_numbers=("GB/T 42752-2023",), text="智能合约"),
             lang="en", mode="daily")),
    ("subscribe stage=draft,published stage=plan stage=draft", Command(
        "subscribe", Filters(stages=("draft", "published", "plan")))),
    # Slack's clients turn straight quotes into curly ones; a full-width space separates words too.
    ("subscribe text=“smart contract”\u3000level=group", Command(
        "subscribe", Filters(text="smart contract", levels=("group",)))),
    ("subscribe daily=8 reminders kind=policy jurisdiction=CN-GD-SZ", Command(
        "subscribe", Filters(kinds=("policy",), jurisdictions=("CN-GD-SZ",)), mode="daily",
        digest_hour=8, reminders=True)),
    ("subscribe --stage=draft", Command("subscribe", Filters(stages=("draft",)))),
    ("preview stage=draft", Command("preview", Filters(stages=("draft",)))),
    ("preview sub-0123456789ab", Command("preview", subscription_id="sub-0123456789ab")),
    ("unsubscribe sub-0123456789ab", Command("unsubscribe", subscription_id="sub-0123456789ab")),
]

ERRORS = [
    ("subscribe colour=red", r"^unknown filter word 'colour=red' \(known: stage=, level=, source=, .*\); "
                             r"nothing saved$"),
    ("subscribe draft", r"^unknown filter word 'draft'"),
    ("subscribe stage=", r"^unknown filter word 'stage='"),
    ("subscribe text", r"^unknown filter word 'text'"),
    ("subscribe lang=fr", r"^lang must be one of zh, en, both, not 'fr'$"),
    ("subscribe daily=25", r"^daily=H takes the local hour of the digest, 0-23, not '25'$"),
    ("subscribe reminders=5", r"^`reminders` takes no value, not '5'$"),
    ("subscribe text=a text=b", r"^`text` is given twice$"),
    ("subscribe text=\"unclosed", r"^a quote is not closed"),
    ("frobnicate", r"^unknown command 'frobnicate': try `/regwatch help`$"),
    ("list everything", r"^`list` takes no words, not 'everything'$"),
    ("unsubscribe", r"^give one subscription id"),
    ("unsubscribe stage=draft", r"^give one subscription id"),
    ("unsubscribe sub-a sub-b", r"^give one subscription id"),
]


@pytest.mark.parametrize("text, expected", CASES, ids=[c[0][:40] or "empty" for c in CASES])
def test_words_parse(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_words_are_one_line(text: str, message: str) -> None:
    with pytest.raises(SlashError, match=message) as caught:
        parse(text)
    assert "\n" not in str(caught.value)
