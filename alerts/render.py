"""Rendering alerts: pure functions from a notice and a subscription to a message."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlsplit

import jinja2

from alerts import grouping, links, policy
from alerts.subscriptions import Subscription
from records.notice import Notice

STAGE_LABELS = {"plan": "New project (立项)", "draft": "Draft for comment (征求意见)",
                "published": "Published (发布)", "effective": "In force (实施)",
                "withdrawn": "Withdrawn (废止)", None: "Notice"}
# A draft past its comment deadline is never shown as open for comment (the alerting policy).
CLOSED_LABEL = "Draft, comments closed (征求意见已截止)"
STAGE_ORDER = ("plan", "draft", "published", "effective", "withdrawn", None)
DOCUMENT_LABELS = {"draft": "Draft", "explanation": "Explanation", "feedback_form": "Feedback form",
                   "standard_text": "Standard text", "other": "Document"}
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


def stage_label(notice: Notice, today: date | None = None) -> str:
    """The stage as a label; a draft whose comments closed before `today` says so."""
    if notice.stage == "draft" and today is not None and policy.comments_closed(notice, today):
        return CLOSED_LABEL
    return STAGE_LABELS.get(notice.stage, "Notice")


def short_stage(notice: Notice, today: date | None = None) -> str:
    """The stage's short name; a closed draft is a "Draft", not a "Draft for comment"."""
    closed = stage_label(notice, today) == CLOSED_LABEL
    return "Draft" if closed else stage_name(notice.stage)


def headline(notice: Notice, days_left: int | None = None, today: date | None = None) -> str:
    """What happened, in a few words: the stage, or a comment-deadline reminder."""
    if days_left is not None:
        when = "today" if days_left == 0 else "tomorrow" if days_left == 1 else f"in {days_left} days"
        return f"Comments due {when} ({notice.comment_deadline})"
    if stage_label(notice, today) == CLOSED_LABEL:
        return f"Draft, comments closed on {policy.deadline(notice)}"
    return stage_name(notice.stage)


def deadline_text(notice: Notice, today: date | None = None) -> str | None:
    """'comments close 2026-12-20 — 14 days left', 'comments closed on 2018-11-08', or None."""
    due = policy.deadline(notice)
    left = None if today is None else policy.days_left(notice, today)
    if due is None or left is None:
        return None if due is None else f"comments close {due}"
    if left < 0:
        return f"comments closed on {due}"
    return f"comments close {due} — " + ("last day today" if left == 0 else
                                         "1 day left" if left == 1 else f"{left} days left")


def titles(notice: Notice, lang: str = "both") -> tuple[str, str | None]:
    """The title to show and the line under it, as the subscription's `lang` asks.

    "zh": the publisher's title; "en": the English line (the title where there is none);
    "both": the title, and under it the English line when there is one that differs.
    """
    english = (notice.title_en or "").strip()
    if lang == "en" and english:
        return english, None
    if lang == "both" and english and english != notice.title.strip():
        return notice.title, english
    return notice.title, None


@dataclass(frozen=True)
class Document:
    """One file of a notice's document pack, labelled by what it is: "Draft (PDF)"."""

    label: str
    url: str
    name: str


def documents(notice: Notice) -> list[Document]:
    """The notice's attachments with readable labels; only http(s) links are kept."""
    out = []
    for a in notice.attachments or []:
        url = str(a.get("url") or "")
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        label = DOCUMENT_LABELS.get(str(a.get("type") or "other"), "Document")
        fmt = str(a.get("format") or "").strip().upper()
        out.append(Document(f"{label} ({fmt})" if fmt else label, url, one_line(a.get("name") or "", 120)))
    return out


def comments_to(notice: Notice, today: date | None = None) -> list[tuple[str, str]]:
    """Where comments go, as (what, value) lines: e-mail, post, contact, phone, form.

    Nothing once the period closed before `today`: an address to write to would say it is open.
    """
    if today is not None and policy.comments_closed(notice, today):
        return []
    to = notice.comments_to or {}
    form = str(to.get("form_url") or "")
    lines = [("E-mail", ", ".join(to.get("emails") or [])), ("Post", to.get("postal_address") or ""),
             ("Contact", to.get("contact") or ""), ("Phone", ", ".join(to.get("phones") or [])),
             ("Form", form if urlsplit(form).scheme in ("http", "https") else "")]
    return [(what, one_line(value, 300)) for what, value in lines if value and str(value).strip()]


@dataclass(frozen=True)
class Entry:
    """One notice inside a batch's group: its stage, publisher, deadline and links."""

    stage: str
    issuer: str
    url: str
    deadline: str | None
    documents: tuple[Document, ...]
    comments_to: tuple[tuple[str, str], ...] = ()  # only while the comment period is open


@dataclass(frozen=True)
class Standard:
    """One group of a batch: a standard's notices (or one notice), titled by the latest."""

    title: str
    title_en: str | None
    numbers: tuple[str, ...]
    entries: tuple[Entry, ...]


def batch_sections(notices: Sequence[Notice], lang: str = "both",
                   today: date | None = None) -> list[tuple[str, list[Standard]]]:
    """A batch as labelled sections of standards (alerts/grouping.py decides the order)."""
    return [(CLOSED_LABEL if key == grouping.CLOSED else STAGE_LABELS[key],
             [_standard(g, lang, today) for g in groups]) for key, groups in grouping.sections(notices, today)]


def _standard(group: grouping.Group, lang: str, today: date | None) -> Standard:
    title, title_en = titles(group[-1], lang)
    numbers = tuple(dict.fromkeys(num for n in group for num in n.standard_numbers))
    entries = tuple(Entry(short_stage(n, today), n.issuer or n.source_id, n.url, deadline_text(n, today),
                          tuple(documents(n)), tuple(comments_to(n, today))) for n in group)
    return Standard(title, title_en, numbers, entries)


def message_key(*parts: object) -> str:
    """A stable token naming one message (same alert, same Message-ID on a resend)."""
    return "regwatch." + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def _alert_context(notice: Notice, sub: Subscription, today: date | None,
                   days_left: int | None) -> dict[str, Any]:
    title, title_en = titles(notice, sub.lang)
    deadline = deadline_text(notice, today)
    return {"notice": notice, "subscription": sub, "summary": notice.summary[:600], "title": title,
            "title_en": title_en, "stage_label": stage_label(notice, today),
            "deadline": deadline[:1].upper() + deadline[1:] if deadline else None,
            "comments_to": comments_to(notice, today), "documents": documents(notice),
            "reminder": headline(notice, days_left) if days_left is not None else None}


def email(notice: Notice, subscription: Subscription, thread: str | None = None, *,
          days_left: int | None = None, today: date | None = None) -> Email:
    """Render one alert (or a deadline reminder) as a multipart email, threaded under `thread`."""
    found, headers = _self_service(subscription)
    context = {**_alert_context(notice, subscription, today, days_left), "links": found}
    subject = f"[regwatch] {headline(notice, days_left, today)}: {one_line(context['title'], 150)}"
    headers += [("X-Regwatch-Subscription", subscription.id), ("X-Regwatch-Notice", notice.id)]
    if thread:
        headers += [("In-Reply-To", thread), ("References", thread)]
    kind = "alert" if days_left is None else f"reminder:{notice.comment_deadline}"
    return Email(subject=subject, text=_ENV.get_template("email.txt").render(context),
                 html=_ENV.get_template("email.html").render(context), headers=tuple(headers),
                 message_key=message_key(subscription.id, notice.id, notice.stage, kind))


def email_batch(batch: Batch, subscription: Subscription, *, today: date | None = None) -> Email:
    """Render a flood summary or a digest as one email: by stage, by standard, deadlines first."""
    found, headers = _self_service(subscription)
    context = {"batch": batch, "sections": batch_sections(batch.notices, subscription.lang, today),
               "subscription": subscription, "links": found}
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
            days_left: int | None = None, today: date | None = None) -> str:
    """Render one alert as a line for the terminal."""
    title, title_en = titles(notice, subscription.lang)
    english = f" / {one_line(title_en)}" if title_en else ""
    numbers = f" [{', '.join(notice.standard_numbers)}]" if notice.standard_numbers else ""
    due = f" ({d})" if (d := deadline_text(notice, today)) else ""
    what = (notice.stage or "-") if days_left is None else headline(notice, days_left)
    to = "; ".join(f"{k} {v}" for k, v in comments_to(notice, today))
    docs = "".join(f" — {d.label} {d.url}" for d in documents(notice))
    return (f"ALERT {subscription.id} {what}: {one_line(title)}{english}{numbers}{due}"
            f" — {notice.issuer or notice.source_id} — {notice.url}"
            + (f" — comments to: {to}" if to else "") + docs)


def console_batch(batch: Batch, subscription: Subscription, *, today: date | None = None) -> str:
    """Render a summary or digest for the terminal: stages, then one entry per standard."""
    lines = [f"ALERT {subscription.id} {one_line(batch.title)}"]
    for label, groups in batch_sections(batch.notices, subscription.lang, today):
        lines.append(f"  {label}")
        for g in groups:
            lines.append(f"    {one_line(g.title)}" + (f" / {one_line(g.title_en)}" if g.title_en else "")
                         + (f" [{', '.join(g.numbers)}]" if g.numbers else ""))
            lines += [f"      {e.stage} · {one_line(e.issuer)}" + (f" · {e.deadline}" if e.deadline else "")
                      + f" — {e.url}" + "".join(f" — comments to: {what} {value}" for what, value in e.comments_to)
                      for e in g.entries]
    return "\n".join(lines)
