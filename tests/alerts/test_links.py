"""Signed links: a token names one subscription and one scope, and only our key makes one."""
from __future__ import annotations

import pytest

from alerts import links, render
from alerts.subscriptions import Filters, Subscription
from records.settings import SettingError
from tests.alerts.test_render import NOTICE

KEY = "k" * 32
ENV = {"REGWATCH_LINK_KEY": KEY, "REGWATCH_PUBLIC_URL": "https://regwatch.example.org/"}


def test_a_token_round_trips_in_its_scope_only() -> None:
    token = links.sign(KEY, "sub-0123456789ab", "manage")
    assert token.startswith("sub-0123456789ab.") and len(token) > 40
    assert links.verify(KEY, token, "manage") == "sub-0123456789ab"
    with pytest.raises(links.LinkError):
        links.verify(KEY, token, "unsubscribe")  # a manage token does not unsubscribe, and back
    with pytest.raises(links.LinkError):
        links.verify(KEY, links.sign(KEY, "sub-0123456789ab", "unsubscribe"), "manage")


@pytest.mark.parametrize("tamper", [
    lambda t: t.replace("sub-0123456789ab", "sub-0123456789ac"),  # another subscription, same MAC
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character of the MAC
    lambda t: t[:-4],  # cut short (a wrapped line in a mail client)
    lambda t: t.split(".")[0],  # no MAC at all: the id alone is not a link
    lambda t: links.sign("another-key-0123456789", "sub-0123456789ab", "manage"),  # another key
    lambda t: "",
], ids=["other-id", "flipped", "cut", "bare-id", "other-key", "empty"])
def test_a_forged_or_damaged_token_is_refused(tamper) -> None:
    token = links.sign(KEY, "sub-0123456789ab", "manage")
    with pytest.raises(links.LinkError, match="^this link is not valid"):
        links.verify(KEY, tamper(token), "manage")


def test_links_from_the_settings() -> None:
    found = links.for_subscription("sub-1", ENV)
    assert found is not None
    assert found.manage == f"https://regwatch.example.org/m/{links.sign(KEY, 'sub-1', 'manage')}"
    assert found.unsubscribe == f"https://regwatch.example.org/u/{links.sign(KEY, 'sub-1', 'unsubscribe')}"
    assert links.for_subscription("sub-1", {}) is None  # no key: no links (email.send logs it)


@pytest.mark.parametrize("env, message", [
    ({"REGWATCH_LINK_KEY": "short"}, "^REGWATCH_LINK_KEY must be at least 16 characters"),
    ({"REGWATCH_LINK_KEY": KEY, "REGWATCH_PUBLIC_URL": "regwatch.example.org"},
     "^REGWATCH_PUBLIC_URL must start with http:// or https://"),
])
def test_unusable_link_settings_are_one_line(env, message) -> None:
    with pytest.raises(SettingError, match=message):
        links.for_subscription("sub-1", env)


def test_every_email_carries_one_click_unsubscribe_and_footer_links(monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_LINK_KEY", KEY)
    monkeypatch.setenv("REGWATCH_PUBLIC_URL", "https://regwatch.example.org")
    sub = Subscription("sub-1", "email", "analyst@example.org", Filters())
    found = links.for_subscription("sub-1")
    assert found is not None
    batch = render.Batch("2 new notices", (NOTICE,), "summary:x")
    for mail in (render.email(NOTICE, sub), render.email(NOTICE, sub, days_left=2),
                 render.email_batch(batch, sub)):
        headers = dict(mail.headers)
        assert headers["List-Unsubscribe"] == f"<{found.unsubscribe}>"
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        for part in (mail.text, mail.html):
            assert found.manage in part and found.unsubscribe in part
            assert "regwatch unsubscribe" not in part


def test_without_a_key_an_email_has_no_links_and_says_whom_to_ask(monkeypatch) -> None:
    monkeypatch.delenv("REGWATCH_LINK_KEY", raising=False)
    mail = render.email(NOTICE, Subscription("sub-1", "email", "analyst@example.org", Filters()))
    assert "List-Unsubscribe" not in dict(mail.headers)
    assert "ask your regwatch operator (regwatch unsubscribe sub-1)" in mail.text
