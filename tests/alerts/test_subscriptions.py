"""Subscriptions: validation with clear errors, stable ids, storage."""
from __future__ import annotations

import pytest

from alerts import subscriptions as subs
from alerts.errors import SubscriptionError

KNOWN = ["miit-yjzj", "nist-csrc"]


@pytest.mark.parametrize("channel, target, filters, message", [
    ("email", "not-an-address", subs.Filters(), "invalid email address"),
    ("email", "a@b.org\r\nBcc: x@y.org", subs.Filters(), "invalid email address"),
    ("slack", "general channel", subs.Filters(), "invalid Slack channel"),
    ("email", "a@b.org", subs.Filters(stages=("drafted",)), "unknown stage: drafted"),
    ("email", "a@b.org", subs.Filters(levels=("city",)), "unknown level: city"),
    ("email", "a@b.org", subs.Filters(sources=("no-such",)), "unknown publisher: no-such"),
    ("pager", "x", subs.Filters(), "unknown channel kind"),
])
def test_invalid_requests_are_refused(channel, target, filters, message) -> None:
    with pytest.raises(SubscriptionError, match=message):
        subs.make(channel, target, filters, known_sources=KNOWN)


def test_same_request_same_id_and_one_stored_copy(es) -> None:
    a = subs.make("email", "a@b.org", subs.Filters(stages=("draft",)), known_sources=KNOWN)
    b = subs.make("email", "a@b.org", subs.Filters(stages=("draft",)), known_sources=KNOWN)
    c = subs.make("email", "a@b.org", subs.Filters(), known_sources=KNOWN)
    assert a.id == b.id != c.id
    subs.save(es, a)
    subs.save(es, b)
    assert [s.id for s in subs.list_all(es)] == [a.id]
    assert subs.get(es, a.id) == a
    assert subs.delete(es, a.id) and not subs.delete(es, a.id)
