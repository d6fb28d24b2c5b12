"""The scale-out check's verdicts, and the README its run writes (pure: made-up figures)."""
from __future__ import annotations

import pytest

from infra.scaleout import report
from infra.scaleout.check import problems


def _figures(feed_requests: list[tuple[int, int]], messages: int = 40) -> dict:
    return {"notices": 50, "publishers_with_notices": 10, "notices_per_publisher": [5], "duplicate_urls": [],
            "publishers_ok": 10, "alerts_expected": 40, "ledger": {"sent": 40}, "ledger_attempts_over_1": 0,
            "messages": messages, "duplicate_message_ids": [], "feed_requests": feed_requests}


@pytest.mark.parametrize("feeds, faults, broken", [
    ([(2, 10)], False, False),
    ([(2, 9), (3, 1)], False, True),   # without faults, a feed fetched three times is a bug
    ([(2, 9), (3, 1)], True, False),   # a retried task after its worker died fetches again
    ([(1, 1), (2, 9)], True, True),    # a publisher not polled in a cycle is never excused
    ([(2, 9)], True, True),            # nor one never fetched at all
])
def test_faults_excuse_fetching_again_and_nothing_else(feeds, faults, broken) -> None:
    assert bool(problems(_figures(feeds), 10, 2, faults=faults)) is broken


def test_an_alert_sent_twice_is_caught_with_faults_too() -> None:
    assert problems(_figures([(2, 10)], messages=41), 10, 2, faults=True) == ["messages: 41 != 40"]


def test_the_report_shows_every_figure_and_the_verdict(tmp_path) -> None:
    facts = tmp_path / "facts.tsv"
    facts.write_text("\n".join([
        "publishers\t60", "started\t2026-12-06 16:00 UTC", "finished\t2026-12-06 16:09 UTC",
        'es_formed\t{"seconds_to_green": 41.5}',
        'es_kill\t{"node": "scaleout-2", "pid": 4242, "killed_at": 1.0, "seconds_to_yellow": 3.5}',
        'es_restart\t{"node": "scaleout-2", "seconds_to_green": 37.0}',
        "c1_poll\tsuccess 97", "c1_dispatch\tsuccess 12", "c1_wall\t118", "c1_task_instances\t83",
        "c1_retried\t4", "c1_done_at_kill\t30", "c1_worker1\t20", "c1_worker2\t69", "c1_recovery_poll\t71", "c1_recovery_cycle\t85",
        "c2_poll\tsuccess 60", "c2_dispatch\tsuccess 8", "c2_wall\t75", "c2_task_instances\t83",
        "c2_retried\t0", "c2_worker1\t41", "c2_worker2\t44"]))
    checks = [{"figures": _figures([(1, 10)]), "problems": []},
              {"figures": _figures([(2, 10)]), "problems": ["messages: 41 != 40"]}]
    text = report.render(report.read_facts(facts), checks, "a test machine")
    for expected in ("`make scaleout`", "REGWATCH_SCALEOUT_PUBLISHERS=60", "2026-12-06 16:00 UTC",
                     "a test machine", "`scaleout-2` (pid 4242)", "after **3.5 s**", "**71 s**", "**85 s**",
                     "in 37.0 s", "| 1: kill during the poll | 118 s | 97 s (success) | 12 s (success) | 83 | 4 | 20 / 69 |",
                     "| 2: after restart | 75 s | 60 s (success) | 8 s (success) | 83 | 0 | 41 / 44 |",
                     "FAIL: messages: 41 != 40", "**pass**", "Cycle 2 added 0 notices and sent 0 messages",
                     "running the 53 task instances still to do"):
        assert expected in text, expected
    assert "**Checks:** FAILED" in text
