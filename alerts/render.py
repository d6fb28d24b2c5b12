"""Rendering alerts: pure functions from a notice and a subscription to a message."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from alerts.subscriptions import Subscription
from transforms.notice import Notice

STAGE_LABELS = {"plan": "New project (立项)", "draft": "Draft for comment (征求意见)",
                "published": "Published (发布)", "effective": "In force (实施)",
                "withdrawn": "Withdrawn (废止)", None: "Notice"}
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
                          autoescape=jinja2.select_autoescape(["html"]), keep_trailing_newline=True)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    headers: tuple[tuple[str, str], ...] = ()


def one_line(text: str, limit: int = 200) -> str:
    """Fold control characters (CR/LF included) so publisher text cannot inject headers."""
    folded = _CONTROL.sub(" ", text or "").strip()
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def email(notice: Notice, subscription: Subscription) -> Email:
    """Render one alert as a multipart email (plain text and autoescaped HTML)."""
    context = {"notice": notice, "subscription": subscription, "summary": notice.summary[:600],
               "stage_label": STAGE_LABELS.get(notice.stage, "Notice")}
    subject = f"[regwatch] {STAGE_LABELS.get(notice.stage, 'Notice').split(' (')[0]}: {one_line(notice.title, 150)}"
    return Email(subject=subject, text=_ENV.get_template("email.txt").render(context),
                 html=_ENV.get_template("email.html").render(context),
                 headers=(("List-Unsubscribe", f"<mailto:unsubscribe@regwatch.invalid?subject={subscription.id}>"),
                          ("X-Regwatch-Subscription", subscription.id),
                          ("X-Regwatch-Notice", notice.id)))


def console(notice: Notice, subscription: Subscription) -> str:
    """Render one alert as a line for the terminal."""
    numbers = f" [{', '.join(notice.standard_numbers)}]" if notice.standard_numbers else ""
    due = f" (comments due {notice.comment_deadline})" if notice.comment_deadline else ""
    return (f"ALERT {subscription.id} {notice.stage or '-'}: {one_line(notice.title)}{numbers}{due}"
            f" — {notice.issuer or notice.source_id} — {notice.url}")
