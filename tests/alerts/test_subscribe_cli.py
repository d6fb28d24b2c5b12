"""The subscribe, digest and remind subcommands, in process, against the test node and fakes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from alerts import subscriptions as subs
from connectors import store
from regwatch.cli import main
from tests.connectors.test_store import make_notice


def test_subscribe_daily_with_reminders_then_digest_and_remind(es, slack, capsys) -> None:
    code = main(["subscribe", "--slack", "#standards", "--stage", "draft", "--daily", "--digest-hour", "8",
                 "--timezone", "UTC", "--reminders", "--reminder-days", "5"])
    out = capsys.readouterr().out
    assert code == 0 and "(daily at 08:00 UTC, reminders 5 days before comment deadlines)" in out
    assert "Slack token accepted: regwatch-test as regwatch" in out
    [sub] = subs.list_all(es)
    assert (sub.mode, sub.digest_hour, sub.timezone, sub.reminders, sub.reminder_days) == (
        "daily", 8, "UTC", True, 5)
    # `subscribe` stamps the subscription with the wall clock and a digest carries only notices
    # fetched after that stamp: every time below is built from it, so the test holds on any day.
    fetched = datetime.fromisoformat(sub.created_at).astimezone(timezone.utc) + timedelta(minutes=1)
    due = fetched.replace(hour=8, minute=0, second=0, microsecond=0)
    due += timedelta(days=1) if due <= fetched else timedelta(0)  # the first 08:00 UTC after it
    store.upsert_notices(es, [make_notice("https://www.miit.gov.cn/c.html", "《区块链 存证应用指南》（征求意见稿）",
                                          fetched_at=fetched.isoformat(), published_at=fetched.isoformat(),
                                          comment_deadline=(due + timedelta(days=4)).date().isoformat())])
    assert main(["digest", "--now", (due - timedelta(minutes=1)).isoformat()]) == 0
    assert "regwatch digest: 0 messages" in capsys.readouterr().out
    assert main(["digest", "--now", due.strftime("%Y-%m-%dT%H:%M:%SZ")]) == 0
    assert "regwatch digest: 1 messages, 1 notices delivered" in capsys.readouterr().out
    # A time without an offset is UTC; the deadline is 4 days ahead, within the 5 asked for.
    assert main(["remind", "--now", (due + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")]) == 0
    assert "regwatch remind: 1 messages" in capsys.readouterr().out
    assert len(slack.messages) == 2


def test_subscribe_refuses_bad_options_with_one_line(es, capsys) -> None:
    for argv, message in [
        (["--timezone", "Mars/Olympus", "--daily"], "unknown time zone: 'Mars/Olympus'"),
        (["--daily", "--digest-hour", "25"], "digest hour must be 0-23"),
        (["--digest-hour", "8"], "--digest-hour and --timezone apply to --daily subscriptions"),
        (["--reminder-days", "4"], "--reminder-days needs --reminders"),
    ]:
        assert main(["subscribe", "--slack", "#standards", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert main(["remind", "--now", "tomorrow"]) == 2
    assert "not an ISO 8601 time" in capsys.readouterr().err
    assert subs.list_all(es) == []


def test_subscribe_refuses_a_slack_token_slack_refuses(es, slack, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong-secret-token")
    assert main(["subscribe", "--slack", "#standards"]) == 2
    err = capsys.readouterr().err
    assert "Slack auth.test: invalid_auth" in err and "nothing saved" in err
    assert err.count("\n") == 1 and "xoxb" not in err
    assert subs.list_all(es) == []


def test_subscribe_with_language_and_backfill(es, capsys) -> None:
    assert main(["subscribe", "--email", "analyst@example.org", "--lang", "en", "--backfill", "30"]) == 0
    assert "(instant, titles in English, backfill 30 days of history)" in capsys.readouterr().out
    [sub] = subs.list_all(es)
    assert (sub.lang, sub.backfill_days) == ("en", 30)
    assert main(["subscriptions"]) == 0 and "titles in English, backfill 30 days" in capsys.readouterr().out
    for argv, message in [(["--backfill", "-1"], "backfill days must be 0-36500, not -1"),
                          (["--lang", "fr"], "unknown language: fr (known: zh, en, both)")]:
        assert main(["subscribe", "--email", "other@example.org", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert len(subs.list_all(es)) == 1
