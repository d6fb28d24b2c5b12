"""The ledger's claims are leases, on real Elasticsearch, with the clock moved instead of waited for."""
from __future__ import annotations

import multiprocessing
import threading
from datetime import datetime, timedelta, timezone

import pytest

from alerts import ledger

NOW = datetime.now(timezone.utc).replace(microsecond=0)
LEASE = ledger.lease()


def claim(es, owner: str, at: datetime, notice: str = "n1") -> str | None:
    return ledger.claim(es, "sub-1", notice, "draft", "email", at, owner=owner)


def test_a_live_claim_is_not_taken_and_not_retried(es) -> None:
    lid = claim(es, "a", NOW)
    assert lid is not None
    just_before = NOW + LEASE - timedelta(seconds=1)
    assert claim(es, "b", just_before) is None
    assert ledger.unfinished_notice_ids(es, just_before) == []
    assert es.get(index=ledger.INDEX, id=lid)["_source"]["owner"] == "a"


def test_an_expired_claim_is_taken_by_exactly_one_of_two_racing_claimers(es) -> None:
    after = NOW + LEASE + timedelta(seconds=1)
    for round_ in range(5):
        notice = f"n{round_}"
        assert claim(es, "gone", NOW, notice) is not None
        assert notice in ledger.unfinished_notice_ids(es, after)
        start, won = threading.Barrier(2), {}

        def race(owner: str) -> None:
            start.wait()
            won[owner] = claim(es, owner, after, notice)

        racers = [threading.Thread(target=race, args=(o,)) for o in ("b", "c")]
        for t in racers:
            t.start()
        for t in racers:
            t.join()
        winners = [o for o, lid in won.items() if lid is not None]
        assert len(winners) == 1, won
        doc = es.get(index=ledger.INDEX, id=won[winners[0]])["_source"]
        assert doc["owner"] == winners[0] and doc["attempts"] == 2
        assert notice not in ledger.unfinished_notice_ids(es, after)  # the new lease is live


def test_a_failed_claim_is_retried_at_once(es) -> None:
    lid = claim(es, "a", NOW)
    ledger.mark_failed(es, lid, "SMTP refused", owner="a")
    assert ledger.unfinished_notice_ids(es, NOW) == ["n1"]
    assert claim(es, "b", NOW) == lid
    assert ledger.unfinished_notice_ids(es, NOW) == []


def test_a_sent_alert_is_never_claimed_again(es) -> None:
    lid = claim(es, "a", NOW)
    ledger.mark_sent(es, lid, NOW)
    much_later = NOW + 100 * LEASE
    assert claim(es, "b", much_later) is None and claim(es, "a", much_later) is None
    assert ledger.unfinished_notice_ids(es, much_later) == []
    assert not ledger.renew(es, lid, much_later, owner="a")


def test_a_dispatcher_that_lost_its_claim_neither_sends_nor_overwrites(es) -> None:
    lid = claim(es, "slow", NOW)
    after = NOW + LEASE + timedelta(seconds=1)
    assert ledger.renew(es, lid, NOW + timedelta(seconds=30), owner="slow")  # still ours: extended
    assert claim(es, "b", NOW + LEASE + timedelta(seconds=10)) is None  # the renewal holds
    assert claim(es, "b", after + timedelta(seconds=30)) == lid
    assert not ledger.renew(es, lid, after, owner="slow")
    ledger.mark_failed(es, lid, "timed out", owner="slow")  # too late: b's claim stands
    doc = es.get(index=ledger.INDEX, id=lid)["_source"]
    assert doc["owner"] == "b" and doc["status"] == "pending"


def test_a_claim_from_before_leases_expires_after_one_lease(es) -> None:
    lid = ledger.key("sub-1", "n1", "draft")
    es.index(index=ledger.INDEX, id=lid, refresh=True, document={
        "subscription_id": "sub-1", "notice_id": "n1", "stage": "draft", "channel": "email",
        "status": "pending", "attempts": 1, "claimed_at": NOW.isoformat()})
    assert claim(es, "b", NOW + LEASE - timedelta(seconds=1)) is None
    assert ledger.unfinished_notice_ids(es, NOW + LEASE) == ["n1"]
    assert claim(es, "b", NOW + LEASE) == lid


def test_the_lease_is_configurable_and_checked(monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_CLAIM_LEASE_SECONDS", "90")
    assert ledger.lease() == timedelta(seconds=90)
    for bad in ("0", "ten"):
        monkeypatch.setenv("REGWATCH_CLAIM_LEASE_SECONDS", bad)
        with pytest.raises(ValueError, match="REGWATCH_CLAIM_LEASE_SECONDS must be a positive number"):
            ledger.lease()


def test_each_process_claims_under_its_own_name_forked_ones_too() -> None:
    mine = ledger.owner_id()
    with multiprocessing.get_context("fork").Pool(1) as pool:  # Airflow forks its task processes
        child = pool.apply(ledger.owner_id)
    assert mine == ledger.owner_id() and child != mine
    assert child.split(":")[1] != mine.split(":")[1]
