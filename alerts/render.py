"""Rendering alerts: pure functions from a notice and a subscription to a message."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import jinja2

from alerts import links
from alerts.subscriptions import Subscription
from records.notice import Notice

STAGE_LABELS = {"plan": "New project (立项)", "draft": "Draft for comment (征求意见)",
                "published": "Published (发布)", "effective": "In force (实施)",
                "withdrawn": "Withdrawn (废止)", None: "Notice"}
STAGE_ORDER = ("plan", "draft", "published", "effective", "withdrawn", None)
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
                          autoescape=jinja2.select_autoescape(["html"]), keep_trailing_newline=True)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    headers: tuple[tuple[str, str], ...] = ()
    message_key: str = ""  # left part of a deterministic Message-ID; the sender adds the domain


@dataclass(frozen=True)
class Batch:
    """Several notices sent as one message: a flood summary or a daily digest."""

    title: str
    notices: tuple[Notice, ...]
    key: str  # stable name of this batch, e.g. "digest:2026-12-01"


def one_line(text: str, limit: int = 200) -> str:
    """Fold control characters (CR/LF included) so publisher text cannot inject headers."""
    folded = _CONTROL.sub(" ", text or "").strip()
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def stage_name(stage: str | None) -> str:
    """The short English name of a stage (the label without its Chinese gloss)."""
    return STAGE_LABELS.get(stage, "Notice").split(" (")[0]


def headline(notice: Notice, days_left: int | None = None) -> str:
    """What happened, in a few words: the stage, or a comment-deadline reminder."""
    if days_left is None:
        return stage_name(notice.stage)
    when = "today" if days_left == 0 else "tomorrow" if days_left == 1 else f"in {days_left} days"
    return f"Comments due {when} ({notice.comment_deadline})"


def by_stage(notices: Sequence[Notice]) -> list[tuple[str, list[Notice]]]:
    """Group notices by stage in lifecycle order (plan first), keeping their order inside."""
    rank = {s: i for i, s in enumerate(STAGE_ORDER)}
    groups: dict[str | None, list[Notice]] = {}
    for n in notices:
        groups.setdefault(n.stage if n.stage in rank else None, []).append(n)
    return [(STAGE_LABELS[s], groups[s]) for s in sorted(groups, key=lambda s: rank[s])]


def message_key(*parts: object) -> str:
    """A stable token naming one message (same alert, same Message-ID on a resend)."""
    return "regwatch." + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def email(notice: Notice, subscription: Subscription, thread: str | None = None, *,
          days_left: int | None = None) -> Email:
    """Render one alert (or a deadline reminder) as a multipart email, threaded under `thread`."""
    found, headers = _self_service(subscription)
    context = {"notice": notice, "subscription": subscription, "summary": notice.summary[:600],
               "stage_label": STAGE_LABELS.get(notice.stage, "Notice"), "links": found,
               "reminder": headline(notice, days_left) if days_left is not None else None}
    subject = f"[regwatch] {headline(notice, days_left)}: {one_line(notice.title, 150)}"
    headers += [("X-Regwatch-Subscription", subscription.id), ("X-Regwatch-Notice", notice.id)]
    if thread:
        headers += [("In-Reply-To", thread), ("References", thread)]
    kind = "alert" if days_left is None else f"reminder:{notice.comment_deadline}"
    return Email(subject=subject, text=_ENV.get_template("email.txt").render(context),
                 html=_ENV.get_template("email.html").render(context), headers=tuple(headers),
                 message_key=message_key(subscription.id, notice.id, notice.stage, kind))


def email_batch(batch: Batch, subscription: Subscription) -> Email:
    """Render a flood summary or a digest as one email, its notices grouped by stage."""
    found, headers = _self_service(subscription)
    context = {"batch": batch, "groups": by_stage(batch.notices), "subscription": subscription,
               "links": found}
    return Email(subject=f"[regwatch] {one_line(batch.title, 150)}",
                 text=_ENV.get_template("batch.txt").render(context),
                 html=_ENV.get_template("batch.html").render(context),
                 headers=(*headers, ("X-Regwatch-Subscription", subscription.id)),
                 message_key=message_key(subscription.id, batch.key))


def _self_service(subscription: Subscription) -> tuple[links.Links | None, list[tuple[str, str]]]:
    """The subscription's signed links and the RFC 8058 one-click unsubscribe headers.

    The one setting rendering reads (REGWATCH_LINK_KEY and REGWATCH_PUBLIC_URL): without a key,
    no links and no List-Unsubscribe, and email.send says so once per message.
    """
    found = links.for_subscription(subscription.id)
    if found is None:
        return None, []
    return found, [("List-Unsubscribe", f"<{found.unsubscribe}>"),
                   ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]


def console(notice: Notice, subscription: Subscription, thread: str | None = None, *,
            days_left: int | None = None) -> str:
    """Render one alert as a line for the terminal."""
    numbers = f" [{', '.join(notice.standard_numbers)}]" if notice.standard_numbers else ""
    due = f" (comments due {notice.comment_deadline})" if notice.comment_deadline else ""
    what = (notice.stage or "-") if days_left is None else headline(notice, days_left)
    return (f"ALERT {subscription.id} {what}: {one_line(notice.title)}{numbers}{due}"
            f" — {notice.issuer or notice.source_id} — {notice.url}")


def console_batch(batch: Batch, subscription: Subscription) -> str:
    """Render a summary or digest for the terminal, one line per notice under its stage."""
    lines = [f"ALERT {subscription.id} {one_line(batch.title)}"]
    for label, notices in by_stage(batch.notices):
        lines.append(f"  {label}")
        lines += [f"    {one_line(n.title)} — {n.url}" for n in notices]
    return "\n".join(lines)
