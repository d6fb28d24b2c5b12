"""The demo's first cycle in process: every recorded publisher at once, history and closed drafts.

The recordings are past notices (2018 onwards). A subscription without `--backfill` hears only
about those published within REGWATCH_BACKFILL_DAYS of their first sight; the demo's, which opts
in, gets one summary in which no draft past its deadline is filed as open for comment.
"""
from __future__ import annotations

from datetime import datetime, timezone

from alerts import policy, render
from alerts import subscriptions as subs
from alerts.match import match_once
from connectors import store
from connectors.catalog import load_catalog
from infra.demo import DEMO_BACKFILL_DAYS, _history
from regwatch.pipeline import run_cycle


def test_first_cycle_over_the_recordings(es, smtp, replay, monkeypatch) -> None:
    monkeypatch.delenv("REGWATCH_BACKFILL_DAYS", raising=False)
    catalog = load_catalog()
    known = [s.id for s in catalog]
    demo = subs.make("email", "demo@example.org", subs.Filters(), known_sources=known,
                     backfill_days=DEMO_BACKFILL_DAYS)
    default = subs.make("email", "default@example.org", subs.Filters(), known_sources=known)
    for sub in (demo, default):
        subs.save(es, sub)
    now = datetime.now(timezone.utc)
    summary = run_cycle(es, catalog, replay=replay.base, clock=lambda: now)
    assert not summary.delivery.failed
    indexed = store.get_notices(es, [h["id"] for h in store.search_notices(es, size=1000)])
    wanted = store.get_notices(es, match_once(es, indexed, [demo]).get(demo.id, []))
    news = [n for n in wanted if not policy.is_history(n, default, policy.default_backfill_days())]
    by_to: dict[str, list] = {}
    for m in smtp.messages:
        by_to.setdefault(m["To"], []).append(m)
    assert len(by_to.get("default@example.org", [])) == (len(news) if len(news) <= 5 else 1)
    [mail] = by_to["demo@example.org"]  # more than the flood limit: one summary
    text = mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == f"[regwatch] {len(wanted)} new notices"
    today = policy.local_today(now, demo)
    closed = [n for n in wanted if n.stage == "draft" and policy.comments_closed(n, today)]
    assert closed, "the recordings hold drafts whose comments closed long ago"
    assert render.CLOSED_LABEL in text
    lines = text.splitlines()
    for n in closed:  # each closed draft's line says so, wherever its standard is filed
        said = lines[lines.index(f"  {n.url}") - 1]
        assert said.startswith("  Draft · ") and said.endswith(f"comments closed on {policy.deadline(n)}")
    # The demo's summary line says why it alerts history, and how much of it.
    said = _history(wanted)
    assert f"--backfill {DEMO_BACKFILL_DAYS}" in said and f"{len(wanted) - len(news)} of these {len(wanted)} alerts" in said
    print(f"\n{said}\n--- the demo's first email ({len(wanted)} notices; a default subscription: {len(news)})\n{text}")
