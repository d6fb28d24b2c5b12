"""What the `/regwatch` command and the alert buttons do, whichever way Slack delivered them.

The HTTP endpoints (alerts/web/slack_app.py) and Socket Mode (alerts/web/socket_mode.py) both
hand over Slack's own payloads - the slash command's form fields, a ``block_actions`` payload -
and send back the Reply. The channel a command was typed in is the channel it acts on: a
subscription made there targets its id, and `list`, `unsubscribe` and the buttons only see the
subscriptions that target it (by id, or by the ``#name`` the CLI may have used). Bad words or a
foreign id get one line back and change nothing.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

from alerts import blocks, reminder_requests, slash, subscriptions
from alerts.errors import SubscriptionError
from alerts.match import query_for
from alerts.render import STAGE_LABELS
from alerts.subscriptions import Subscription
from connectors import store
from connectors.catalog import load_catalog
from records.notice import Notice

log = logging.getLogger(__name__)
PREVIEW_DAYS, PREVIEW_SHOWN = 30, 10
_NO_CHANNEL_NAMES = ("privategroup", "directmessage", "")  # Slack's names for unnamed places


@dataclass(frozen=True)
class Reply:
    """A message back to Slack: seen by the one user (ephemeral) or by the whole channel."""

    text: str
    in_channel: bool = False

    def to_slack(self) -> dict[str, Any]:
        return {"response_type": "in_channel" if self.in_channel else "ephemeral", "text": self.text,
                "replace_original": False}


@dataclass(frozen=True)
class Place:
    """The channel a request came from, and the user who made it."""

    channel_id: str
    channel_name: str
    user_id: str

    @property
    def targets(self) -> list[str]:
        """The subscription targets that mean this channel."""
        name = self.channel_name.lstrip("#")
        return [self.channel_id] + ([f"#{name}"] if name not in _NO_CHANNEL_NAMES else [])


# --- the slash command --------------------------------------------------------------------------

def command(es: Elasticsearch, form: Mapping[str, str], now: datetime) -> Reply:
    """Answer one `/regwatch …` (Slack's form fields: channel_id, channel_name, user_id, text …)."""
    place = Place(form.get("channel_id", ""), form.get("channel_name", ""), form.get("user_id", ""))
    try:
        cmd = slash.parse(form.get("text", ""))
        return _COMMANDS[cmd.action](es, cmd, place, now)
    except (slash.SlashError, SubscriptionError) as exc:
        return Reply(f"⚠️ {exc}")


def _subscribe(es: Elasticsearch, cmd: slash.Command, place: Place, now: datetime) -> Reply:
    sub = subscriptions.make("slack", place.channel_id, cmd.filters,
                             known_sources=[s.id for s in load_catalog()], now=now.isoformat(),
                             mode=cmd.mode, digest_hour=cmd.digest_hour, reminders=cmd.reminders)
    old = subscriptions.get(es, sub.id)
    # The same filters again change how it is sent; its mutes and creation time stay.
    sub = replace(sub, lang=cmd.lang, created_at=old.created_at if old else sub.created_at,
                  muted_standards=old.muted_standards if old else ())
    subscriptions.save(es, sub)
    verb = "changed" if old else "subscribed this channel:"
    return Reply(f"<@{place.user_id}> {verb} `{sub.id}` — {describe(sub)}. "
                 f"Stop with `/regwatch unsubscribe {sub.id}`.", in_channel=True)


def _list(es: Elasticsearch, cmd: slash.Command, place: Place, now: datetime) -> Reply:
    subs = channel_subscriptions(es, place)
    if not subs:
        return Reply("This channel has no regwatch subscriptions: `/regwatch subscribe [filters]` makes one.")
    lines = [f"• `{s.id}` {describe(s)}" for s in subs]
    return Reply(f"This channel's subscriptions ({len(subs)}):\n" + "\n".join(lines))


def _unsubscribe(es: Elasticsearch, cmd: slash.Command, place: Place, now: datetime) -> Reply:
    sub = subscriptions.get(es, cmd.subscription_id or "")
    if sub is None or sub.channel != "slack" or sub.target not in place.targets:
        return Reply(f"⚠️ no subscription `{cmd.subscription_id}` in this channel (see `/regwatch list`); "
                     "nothing changed")
    subscriptions.delete(es, sub.id)
    return Reply(f"<@{place.user_id}> unsubscribed this channel from `{sub.id}` ({describe(sub)}).",
                 in_channel=True)


def _preview(es: Elasticsearch, cmd: slash.Command, place: Place, now: datetime) -> Reply:
    filters = cmd.filters
    if cmd.subscription_id:
        sub = subscriptions.get(es, cmd.subscription_id)
        if sub is None or sub.channel != "slack" or sub.target not in place.targets:
            return Reply(f"⚠️ no subscription `{cmd.subscription_id}` in this channel (see `/regwatch list`)")
        filters = sub.filters
    else:  # the same checks as subscribe, so a preview never shows what subscribe would refuse
        subscriptions.make("slack", place.channel_id, filters, known_sources=[s.id for s in load_catalog()])
    query = query_for(filters)
    query["bool"]["filter"].append({"range": {"fetched_at": {
        "gte": (now - timedelta(days=PREVIEW_DAYS)).isoformat()}}})
    resp = es.search(index=store.NOTICES, query=query, size=PREVIEW_SHOWN, sort=[{"fetched_at": "desc"}])
    total = resp["hits"]["total"]["value"]
    lines = [_line(Notice.from_doc(h["_source"])) for h in resp["hits"]["hits"]]
    more = f"\n…and {total - len(lines)} more" if total > len(lines) else ""
    return Reply(f"{total} notices in the last {PREVIEW_DAYS} days would have matched:\n"
                 + "\n".join(lines) + more)


def _help(es: Elasticsearch, cmd: slash.Command, place: Place, now: datetime) -> Reply:
    return Reply(slash.HELP)


_COMMANDS: dict[str, Callable[[Elasticsearch, slash.Command, Place, datetime], Reply]] = {
    "subscribe": _subscribe, "list": _list, "unsubscribe": _unsubscribe, "preview": _preview,
    "help": _help}


def _line(notice: Notice) -> str:
    due = f" · comments due {notice.comment_deadline}" if notice.comment_deadline else ""
    title = blocks.link(notice.url, blocks.clip(blocks.escape(notice.title), 200))
    return f"• {STAGE_LABELS.get(notice.stage, 'Notice')}: {title}{due}"


def describe(sub: Subscription) -> str:
    """The subscription in the slash command's own words (what to type to make it again)."""
    f, words = sub.filters, []
    for word, field in slash.LISTS.items():
        values = getattr(f, field)
        if values and not (field == "kinds" and values == ("standard",)):
            words.append(f"{word}={','.join(_quoted(v) for v in values)}")
    if f.text:
        words.append(f"text={_quoted(f.text)}")
    if sub.lang != "both":
        words.append(f"lang={sub.lang}")
    how = f"daily at {sub.digest_hour:02d}:00 {sub.timezone}" if sub.mode == "daily" else "instant"
    muted = f", {len(sub.muted_standards)} standards muted" if sub.muted_standards else ""
    what = " ".join(f"`{w}`" for w in words) or "all blockchain standards"
    return blocks.escape(f"{what} ({how}{', reminders' if sub.reminders else ''}{muted})")


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value or "," in value else value


def channel_subscriptions(es: Elasticsearch, place: Place) -> list[Subscription]:
    """The Slack subscriptions that post to this channel, oldest first."""
    resp = es.search(index=subscriptions.INDEX, size=1000, sort=[{"id": "asc"}], query={"bool": {
        "filter": [{"term": {"channel": "slack"}}, {"terms": {"target": place.targets}}]}})
    return sorted((Subscription.from_doc(h["_source"]) for h in resp["hits"]["hits"]),
                  key=lambda s: (s.created_at or "", s.id))


# --- the alert buttons ------------------------------------------------------------------------

def action(es: Elasticsearch, payload: Mapping[str, Any], now: datetime) -> Reply | None:
    """Answer one ``block_actions`` payload from an alert's buttons (None: not one of ours)."""
    clicked = (payload.get("actions") or [{}])[0]
    handler = _BUTTONS.get(clicked.get("action_id", ""))
    if payload.get("type") != "block_actions" or handler is None:
        return None
    place = Place((payload.get("channel") or {}).get("id", ""), (payload.get("channel") or {}).get("name", ""),
                  (payload.get("user") or {}).get("id", ""))
    try:
        value = json.loads(clicked.get("value") or "{}")
        sub_id, notice_id = str(value["s"]), str(value["n"])
    except (ValueError, KeyError, TypeError):
        return Reply("⚠️ this button does not come from a regwatch alert; nothing changed")
    return handler(es, place, sub_id, notice_id, now)


def _mute(es: Elasticsearch, place: Place, sub_id: str, notice_id: str, now: datetime) -> Reply:
    notice = _notice(es, notice_id)
    if notice is None or not notice.standard_key:
        return Reply("⚠️ that notice names no standard regwatch can follow; nothing changed")
    subs = channel_subscriptions(es, place)
    if not subs:
        return Reply("⚠️ this channel has no regwatch subscriptions; nothing changed")
    changed = [s.id for s in subs if mute(es, s.id, notice.standard_key)]
    what = ", ".join(notice.standard_numbers) or blocks.escape(notice.title[:80])
    if not changed:
        return Reply(f"{what} is already muted in this channel.")
    return Reply(f"<@{place.user_id}> muted {what} in this channel: no more alerts about this standard "
                 f"here ({', '.join(f'`{i}`' for i in changed)}).", in_channel=True)


def _remind(es: Elasticsearch, place: Place, sub_id: str, notice_id: str, now: datetime) -> Reply:
    notice = _notice(es, notice_id)
    deadline = str(notice.comment_deadline or "")[:10] if notice else ""
    if notice is None or notice.stage != "draft" or not deadline:
        return Reply("⚠️ that notice has no comment deadline to be reminded of; nothing changed")
    if deadline < now.date().isoformat():
        return Reply(f"Comments closed on {deadline}: no reminder set.")
    subs = {s.id: s for s in channel_subscriptions(es, place)}
    sub = subs.get(sub_id) or next(iter(subs.values()), None)  # the alert's, else another here
    if sub is None:
        return Reply("⚠️ this channel has no regwatch subscriptions any more; nothing changed")
    if not reminder_requests.add(es, sub, notice, now, place.user_id):
        return Reply(f"A reminder for this draft is already set (comments close on {deadline}).")
    return Reply(f"<@{place.user_id}> set a reminder: this channel hears about "
                 f"{blocks.link(notice.url, blocks.clip(blocks.escape(notice.title), 200))} "
                 f"{sub.reminder_days} days before its comments close on {deadline}.", in_channel=True)


def _unsubscribe_channel(es: Elasticsearch, place: Place, sub_id: str, notice_id: str,
                         now: datetime) -> Reply:
    subs = channel_subscriptions(es, place)
    gone = [s.id for s in subs if subscriptions.delete(es, s.id)]
    if not gone:
        return Reply("This channel has no regwatch subscriptions; nothing changed.")
    return Reply(f"<@{place.user_id}> unsubscribed this channel: {', '.join(f'`{i}`' for i in gone)} "
                 "ended. `/regwatch subscribe` starts again.", in_channel=True)


_BUTTONS: dict[str, Callable[[Elasticsearch, Place, str, str, datetime], Reply]] = {
    blocks.MUTE: _mute, blocks.REMIND: _remind, blocks.UNSUBSCRIBE: _unsubscribe_channel}


def _notice(es: Elasticsearch, notice_id: str) -> Notice | None:
    return next(iter(store.get_notices(es, [notice_id])), None)


def mute(es: Elasticsearch, sub_id: str, standard_key: str) -> bool:
    """Add a standard to a subscription's mutes; False if it was there (or the subscription is gone).

    Read, then write only if nobody wrote in between (if_seq_no), else read again: two clicks at
    once, or a change from the manage page, are never lost. (No scripts: the embedded node has
    no painless.)
    """
    for _ in range(5):
        try:
            got = es.get(index=subscriptions.INDEX, id=sub_id)
        except NotFoundError:
            return False
        doc = got["_source"]
        muted = list(doc.get("muted_standards") or [])
        if standard_key in muted:
            return False
        try:
            es.index(index=subscriptions.INDEX, id=sub_id, document={**doc, "muted_standards": [*muted, standard_key]},
                     if_seq_no=got["_seq_no"], if_primary_term=got["_primary_term"], refresh="wait_for")
        except ConflictError:
            continue
        return True
    raise SubscriptionError(f"{sub_id} keeps changing; try again")
