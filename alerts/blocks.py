"""Slack rendering: pure Block Kit messages in which every piece of publisher text is inert.

Slack's mrkdwn gives meaning only to ``<…>`` (links, ``<!channel>``, ``<@user>``) and to the
entities ``&amp; &lt; &gt;``; escaping exactly ``&``, ``<`` and ``>`` in publisher text therefore
stops a notice from pinging a channel or forging a link. The only link is ours: the notice URL,
percent-encoded so that ``|`` or ``>`` in it cannot end the link early.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit

from alerts.render import (
    Batch,
    Standard,
    batch_sections,
    comments_to,
    deadline_text,
    documents,
    headline,
    one_line,
    stage_label,
    titles,
)
from alerts.subscriptions import Subscription
from records.notice import Notice

HEADER_LIMIT, TEXT_LIMIT, FIELD_LIMIT, MAX_BLOCKS = 150, 3000, 2000, 50
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"  # everything else (| < > " space, non-ASCII) is %-encoded
Block = dict[str, Any]
# The alert buttons' action_ids, answered by alerts/web/slack_handlers.py.
MUTE, REMIND, UNSUBSCRIBE = "regwatch_mute", "regwatch_remind", "regwatch_unsubscribe"


@dataclass(frozen=True)
class SlackMessage:
    text: str  # the notification fallback, mrkdwn like the blocks
    blocks: tuple[Block, ...]
    thread_ts: str | None = None
    reply_broadcast: bool = False


def escape(text: str | None) -> str:
    """Make publisher text inert in mrkdwn: escape &, < and > (and nothing else)."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text or "")


def clip(text: str, limit: int) -> str:
    """Shorten escaped text to `limit` characters without splitting an entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def link(url: str, label: str) -> str:
    """Our link to a notice: an http(s) URL percent-encoded, else the bare (escaped) label."""
    if urlsplit(url).scheme not in ("http", "https") or len(url) > 1500:
        return label
    return f"<{escape(quote(url, safe=_URL_SAFE))}|{label}>"


def alert(notice: Notice, subscription: Subscription, thread: str | None = None, *,
          days_left: int | None = None, today: date | None = None) -> SlackMessage:
    """Render one alert (or a deadline reminder); a later stage replies in `thread`."""
    shown, english = titles(notice, subscription.lang)
    title = link(notice.url, clip(escape(one_line(shown, 300)), 600))
    under = f"\n{clip(escape(one_line(english, 300)), 600)}" if english else ""
    issuer = clip(escape(one_line(notice.issuer or notice.source_id, 200)), 400)
    what = headline(notice, days_left, today)
    blocks: list[Block] = [
        _header(("⏰ " if days_left is not None else "📄 ") + what),
        _section(f"*{title}*{under}\n{issuer}"), {"type": "section", "fields": _fields(notice, today)}]
    blocks += _to_act(notice, today)
    if notice.summary.strip():
        blocks.append(_section(clip(escape(notice.summary.strip()), TEXT_LIMIT)))
    blocks.append(actions(notice, subscription, reminder=days_left is not None, today=today))
    blocks.append(_footer(subscription))
    numbers = f" [{escape(', '.join(notice.standard_numbers))}]" if notice.standard_numbers else ""
    due = f" — {d}" if (d := deadline_text(notice, today)) else ""
    text = clip(f"{what}: {title}{numbers}{due} — {issuer}", TEXT_LIMIT)
    return SlackMessage(text, tuple(blocks), thread, reply_broadcast=thread is not None)


def actions(notice: Notice, subscription: Subscription, *, reminder: bool = False,
            today: date | None = None) -> Block:
    """The alert's buttons, handled by alerts/web/slack_handlers.py: mute the standard, remind
    before the comment deadline (drafts with one, still open on `today` if given), unsubscribe."""
    value = json.dumps({"s": subscription.id, "n": notice.id}, separators=(",", ":"))
    buttons: list[Block] = []
    if notice.standard_key:
        buttons.append(_button(MUTE, "Mute this standard", value))
    deadline = str(notice.comment_deadline or "")[:10]
    if (notice.stage == "draft" and deadline and not reminder
            and (today is None or deadline >= today.isoformat())):
        buttons.append(_button(REMIND, "Remind me before the deadline", value))
    unsubscribe = _button(UNSUBSCRIBE, "Unsubscribe this channel", value)
    unsubscribe.update(style="danger", confirm={
        "title": _plain("Unsubscribe this channel?"), "confirm": _plain("Unsubscribe"),
        "deny": _plain("Cancel"),
        "text": _plain("Every regwatch subscription of this channel ends; /regwatch subscribe starts again.")})
    return {"type": "actions", "block_id": "regwatch_actions", "elements": [*buttons, unsubscribe]}


def _button(action_id: str, label: str, value: str) -> Block:
    return {"type": "button", "action_id": action_id, "text": _plain(label), "value": value}


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def batch(batch: Batch, subscription: Subscription, *, today: date | None = None) -> SlackMessage:
    """Render a flood summary or a digest as one message: by stage, by standard, deadlines first."""
    blocks: list[Block] = [_header(f"📚 {batch.title}")]
    sections = [chunk for label, standards in batch_sections(batch.notices, subscription.lang, today)
                for chunk in _pack([(f"*{label}* ({len(standards)})", 0),
                                    *((_item(s), len(s.entries)) for s in standards)])]
    shown = 0
    for text, items in sections[: MAX_BLOCKS - 3]:  # room for header, "… more" and footer
        blocks.append(_section(text))
        shown += items
    if shown < len(batch.notices):
        blocks.append(_section(f"…and {len(batch.notices) - shown} more: "
                               f"`regwatch preview {subscription.id}`"))
    blocks.append(_footer(subscription))
    first = "; ".join(escape(one_line(titles(n, subscription.lang)[0], 80)) for n in batch.notices[:5])
    return SlackMessage(clip(f"{escape(batch.title)}: {first}", TEXT_LIMIT), tuple(blocks))


def _item(standard: Standard) -> str:
    """One standard of a batch: its title (linked to its latest notice), then one line per notice."""
    numbers = f" [{escape(', '.join(standard.numbers))}]" if standard.numbers else ""
    lines = [f"• {link(standard.entries[-1].url, clip(escape(one_line(standard.title, 200)), 400))}{numbers}"]
    if standard.title_en:
        lines.append(f"    {clip(escape(one_line(standard.title_en, 200)), 400)}")
    for e in standard.entries:
        docs = "".join(f" · {link(d.url, escape(d.label))}" for d in e.documents)
        due = f" · {escape(e.deadline)}" if e.deadline else ""
        lines.append(f"    {link(e.url, escape(e.stage))} · {escape(one_line(e.issuer, 60))}{due}{docs}")
        if e.comments_to:
            lines.append("      comments to: " + "; ".join(
                f"{what} {link(value, escape(value)) if what == 'Form' else escape(value)}"
                for what, value in e.comments_to))
    return _whole_lines(lines, TEXT_LIMIT)


def _to_act(notice: Notice, today: date | None) -> list[Block]:
    """Where comments go and the document pack, as sections (none when the notice names neither)."""
    blocks: list[Block] = []
    to = [f"{what}: {link(value, escape(value)) if what == 'Form' else escape(value)}"
          for what, value in comments_to(notice, today)]
    if to:
        blocks.append(_section(_whole_lines(["*Send comments to*", *to], TEXT_LIMIT)))
    docs = [f"• {link(d.url, escape(d.label))}" + (f" {escape(d.name)}" if d.name else "")
            for d in documents(notice)]
    if docs:
        blocks.append(_section(_whole_lines(["*Documents*", *docs], TEXT_LIMIT)))
    return blocks


def _whole_lines(lines: list[str], limit: int) -> str:
    """Join lines up to `limit` characters, dropping whole lines (a cut link would break)."""
    text = lines[0][:limit]
    for n, line in enumerate(lines[1:], start=1):
        more = f"\n…and {len(lines) - n} more"
        if len(text) + 1 + len(line) + len(more) > limit:
            return text + more
        text += "\n" + line
    return text


def _pack(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Join (line, items) into section texts of at most TEXT_LIMIT characters, counting items."""
    chunks: list[tuple[str, int]] = []
    for line, items in lines:
        if chunks and len(chunks[-1][0]) + 1 + len(line) <= TEXT_LIMIT:
            chunks[-1] = (chunks[-1][0] + "\n" + line, chunks[-1][1] + items)
        else:
            chunks.append((clip(line, TEXT_LIMIT), items))
    return chunks


def _fields(notice: Notice, today: date | None) -> list[Block]:
    due = deadline_text(notice, today)
    facts = [("Stage", stage_label(notice, today)), ("Level", notice.level),
             ("Standard", ", ".join(notice.standard_numbers)), ("Comments", due[:1].upper() + due[1:] if due else None),
             ("Published", (notice.published_at or "")[:10]), ("Jurisdiction", notice.jurisdiction)]
    return [{"type": "mrkdwn", "text": clip(f"*{name}*\n{escape(value)}", FIELD_LIMIT)}
            for name, value in facts if value]


def _header(text: str) -> Block:
    # plain_text is never parsed for mentions or links; it carries only our own words.
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_LIMIT),
                                       "emoji": True}}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, TEXT_LIMIT)}}


def _footer(subscription: Subscription) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f"regwatch · subscription `{subscription.id}` · to stop: "
        f"`regwatch unsubscribe {subscription.id}`")}]}
