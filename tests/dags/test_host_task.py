"""The body of a host's poll task (regwatch.tasks.poll_host) on a scheduled run: what is due,
what a retry polls again, and what a host failing for good leaves to announce_stranded."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from regwatch import tasks
from tests.servers import Reply

HOST = "127_0_0_1"


def feed(title: str, slug: str) -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>{title}</title>'
            f"<link>https://x.example.org/{slug}</link></item></channel></rss>").encode()


def catalogue(scripted, tmp_path, monkeypatch, schedules: dict[str, str]) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("".join(
        f'- {{id: {n}, kind: rss, url: "{scripted.url(f"/{n}.xml")}", allow_private: true, schedule: "{s}"}}\n'
        for n, s in schedules.items()), encoding="utf-8")
    monkeypatch.setenv("REGWATCH_CATALOG", str(catalog))


def test_a_scheduled_retry_polls_the_failed_publisher_even_when_its_schedule_no_longer_says_due(
        es, scripted, tmp_path, monkeypatch) -> None:
    # Yearly schedules: a publisher attempted in this run is not due again by its schedule.
    catalogue(scripted, tmp_path, monkeypatch, {"flaky": "0 0 1 1 *", "good": "0 0 1 1 *"})
    scripted.script["/good.xml"] = [Reply(200, feed("Good draft", "g"))]
    scripted.script["/flaky.xml"] = [Reply(404, b"gone"), Reply(200, feed("Flaky draft", "f"))]
    start = datetime.now(timezone.utc)
    first = tasks.poll_host(HOST, manual=False, run_start=start)
    assert first.polled == ["flaky", "good"] and list(first.failed) == ["flaky"]
    assert first.failure() == f"1 of 2 publishers on {HOST} failed: flaky: {first.failed['flaky']}"
    assert "404" in first.failed["flaky"]
    es.indices.refresh(index="regwatch-notices")
    assert tasks.stranded_ids(start) == first.notice_ids  # what announce_stranded would name now

    retry = tasks.poll_host(HOST, manual=False, run_start=start)
    assert retry.polled == ["flaky"] and retry.done_earlier == ["good"] and retry.failure() is None
    assert scripted.hits == {"/flaky.xml": 2, "/good.xml": 1}
    assert len(retry.notice_ids) == 2 and set(first.notice_ids) < set(retry.notice_ids)
    assert tasks.stranded_ids(start) == []  # the host succeeded: nothing stranded

    # The next scheduled run: nothing is due, nothing fetched, no event.
    later = tasks.poll_host(HOST, manual=False, run_start=datetime.now(timezone.utc) + timedelta(seconds=1))
    assert later.polled == [] and later.notice_ids == []
    assert scripted.hits == {"/flaky.xml": 2, "/good.xml": 1}


def test_a_host_whose_publishers_are_all_fine_fails_nothing_and_a_manual_run_polls_all(
        es, scripted, tmp_path, monkeypatch) -> None:
    catalogue(scripted, tmp_path, monkeypatch, {"pub-a": "0 0 1 1 *", "pub-b": "0 0 1 1 *"})
    scripted.script["/pub-a.xml"] = [Reply(200, feed("A draft", "a"))]
    scripted.script["/pub-b.xml"] = [Reply(200, feed("B draft", "b"))]
    first = tasks.poll_host(HOST, manual=False, run_start=datetime.now(timezone.utc))
    assert first.polled == ["pub-a", "pub-b"] and first.failure() is None  # never polled: due
    assert tasks.poll_host(HOST, manual=False, run_start=datetime.now(timezone.utc)).polled == []
    again = tasks.poll_host(HOST, manual=True, run_start=datetime.now(timezone.utc))
    assert again.polled == ["pub-a", "pub-b"] and scripted.hits == {"/pub-a.xml": 2, "/pub-b.xml": 2}
    assert tasks.poll_host("other_example_org", manual=True, run_start=datetime.now(timezone.utc)).polled == []


def test_tasks_install_an_index_that_is_missing_but_skip_ensure_indices_otherwise(es) -> None:
    from connectors import store

    es.indices.delete(index=store.INDICES["regwatch-sources"])
    assert not tasks._indices_current(es)
    tasks._ready_es()
    assert es.indices.exists_alias(name="regwatch-sources") and tasks._indices_current(es)


def test_a_dispatch_run_also_alerts_notices_whose_event_it_never_got(es, smtp) -> None:
    """An event Airflow never hands to a dispatch run must not leave its notices waiting for
    their publisher's next poll: every unannounced notice is due, each alerted once."""
    from dataclasses import replace

    from alerts import subscriptions as subs
    from connectors import store
    from tests.alerts.test_dispatch import DRAFT, KNOWN

    dropped = replace(DRAFT, id="dropped-event", url="https://www.miit.gov.cn/dropped.html")
    store.upsert_notices(es, [DRAFT, dropped])
    subs.save(es, subs.make("email", "analyst@example.org", subs.Filters(), known_sources=KNOWN))
    assert tasks.deliver([DRAFT.id])["sent"] == 2
    es.indices.refresh(index=store.NOTICES)
    assert store.unannounced_ids(es, None) == []
    assert tasks.deliver([])["sent"] == 0 and len(smtp.messages) == 2


def drafts(prefix: str, count: int) -> list:
    from dataclasses import replace

    from tests.alerts.test_dispatch import DRAFT

    return [replace(DRAFT, id=f"{prefix}-{i}", url=f"https://www.miit.gov.cn/{prefix}-{i}.html") for i in range(count)]


def subscribe_analyst(es) -> None:
    from alerts import subscriptions as subs
    from tests.alerts.test_dispatch import KNOWN

    subs.save(es, subs.make("email", "analyst@example.org", subs.Filters(), known_sources=KNOWN))


def test_a_host_task_alerts_a_few_new_notices_itself_and_leaves_a_flood_to_dispatch_alerts(
        es, smtp, monkeypatch) -> None:
    from connectors import store

    monkeypatch.setenv("REGWATCH_FLOOD_LIMIT", "2")
    few, many = drafts("few", 2), drafts("many", 3)
    store.upsert_notices(es, [*few, *many])
    subscribe_analyst(es)
    assert tasks.alert_now([n.id for n in few]) == [] and len(smtp.messages) == 2  # one by one
    # More than the flood limit: left to dispatch_alerts, which summarises them with the rest.
    assert tasks.alert_now([n.id for n in many]) == [n.id for n in many] and len(smtp.messages) == 2
    assert tasks.deliver([n.id for n in many])["sent"] == 3
    assert len(smtp.messages) == 3 and smtp.messages[-1]["Subject"].startswith("[regwatch] 3 new notices")
    es.indices.refresh(index=store.NOTICES)
    assert store.unannounced_ids(es, None) == []
    assert tasks.deliver([n.id for n in [*few, *many]])["sent"] == 0 and len(smtp.messages) == 3


def test_an_alert_the_host_task_could_not_send_is_left_to_dispatch_alerts(es, smtp, monkeypatch) -> None:
    from connectors import store

    first, second = drafts("down", 2)
    store.upsert_notices(es, [first, second])
    subscribe_analyst(es)
    monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens there
    assert tasks.alert_now([first.id]) == [first.id] and not smtp.messages  # named in its event
    monkeypatch.setenv("SMTP_PORT", str(smtp.port))
    # The next host task sends its own notice only: the earlier failure is dispatch_alerts' work.
    assert tasks.alert_now([second.id]) == [] and len(smtp.messages) == 1
    assert tasks.deliver([first.id])["sent"] == 1 and len(smtp.messages) == 2
    assert tasks.deliver([first.id, second.id])["sent"] == 0 and len(smtp.messages) == 2


def test_a_host_task_and_a_dispatch_run_at_once_send_each_alert_once(es, smtp) -> None:
    """The host task alerts while dispatch_alerts (triggered by another host's event) sweeps
    every unannounced notice, the same ones among them: the ledger's claims decide who sends."""
    from concurrent.futures import ThreadPoolExecutor

    from connectors import store

    found = drafts("race", 4)
    store.upsert_notices(es, found)
    subscribe_analyst(es)
    ids = [n.id for n in found]
    with ThreadPoolExecutor(3) as pool:
        left = pool.submit(tasks.alert_now, ids)
        sweeps = [pool.submit(tasks.deliver, []) for _ in range(2)]
        assert left.result() == [] and all(s.exception() is None for s in sweeps)
    subjects = [m["Subject"] for m in smtp.messages]
    assert len(subjects) == 4 and all(sum(f"/race-{i}" in str(m.get_body(("plain",)).get_content())
                                           for m in smtp.messages) == 1 for i in range(4))
    es.indices.refresh(index=store.NOTICES)
    assert store.unannounced_ids(es, None) == []
