"""The subscribe, digest and remind subcommands, in process, against the test node and fakes."""
from __future__ import annotations

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
    store.upsert_notices(es, [make_notice("https://www.miit.gov.cn/c.html", "《区块链 存证应用指南》（征求意见稿）",
                                          fetched_at="2026-12-01T03:00:00+00:00",
                                          comment_deadline="2026-12-05")])
    assert main(["digest", "--now", "2026-12-01T07:59:00+00:00"]) == 0
    assert "0 messages" in capsys.readouterr().out
    assert main(["digest", "--now", "2026-12-02T08:00:00Z"]) == 0
    assert "regwatch digest: 1 messages, 1 notices delivered" in capsys.readouterr().out
    assert main(["remind", "--now", "2026-12-01T10:00"]) == 0
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
