"""Email delivery over SMTP (configuration from the environment; the password is never logged)."""
from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from alerts import render
from alerts.channels import Channel, register
from alerts.errors import DeliveryError, SubscriptionError
from alerts.render import Email
from records.settings import setting

# One address, no display name: anything else (a CR/LF, a second address) could add headers.
log = logging.getLogger(__name__)
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")


def _settings() -> dict[str, str]:
    # Unset SMTP_HOST means the local mailbox that `make demo` starts.
    return {"host": setting("SMTP_HOST"), "port": setting("SMTP_PORT"),
            "user": os.environ.get("SMTP_USER", ""), "password": os.environ.get("SMTP_PASSWORD", ""),
            "starttls": setting("SMTP_STARTTLS").lower(), "sender": setting("SMTP_FROM")}


def build(to: str, message: Email, sender: str) -> EmailMessage:
    """Assemble the MIME message (UTF-8 subject, text and HTML parts)."""
    msg = EmailMessage()
    msg["Subject"] = message.subject
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1] or "regwatch"
    # A deterministic Message-ID lets mail systems drop the one possible resend (see ledger.py).
    msg["Message-ID"] = (f"<{message.message_key}@{domain}>" if message.message_key
                         else make_msgid(domain=domain))
    for name, value in message.headers:
        msg[name] = value
    msg.set_content(message.text)
    msg.add_alternative(message.html, subtype="html")
    return msg


def send(to: str, message: Email) -> str:
    """Send one alert and return its Message-ID; raise DeliveryError (one line, no secrets)."""
    cfg = _settings()
    msg = build(to, message, cfg["sender"])
    if "List-Unsubscribe" not in msg:
        log.error("REGWATCH_LINK_KEY is not set: e-mail for %s goes without its manage and unsubscribe "
                  "links (see README, Configuration)", msg["X-Regwatch-Subscription"])
    try:
        with smtplib.SMTP(cfg["host"], int(cfg["port"]), timeout=30) as smtp:
            if cfg["starttls"] in ("1", "true", "yes"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg["user"]:
                smtp.login(cfg["user"], cfg["password"])
            smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        detail = str(exc).replace(cfg["password"], "***") if cfg["password"] else str(exc)
        raise DeliveryError(f"SMTP {cfg['host']}:{cfg['port']}: {type(exc).__name__}: "
                            f"{detail[:200]}") from None
    return str(msg["Message-ID"])


@register
class Mail(Channel[Email]):
    """``--email ADDRESS``: multipart mail over SMTP, later stages in the first alert's thread."""

    name = "email"
    metavar = "ADDRESS"
    alert = staticmethod(render.email)
    batch = staticmethod(render.email_batch)
    send = staticmethod(send)

    def check_target(self, target: str) -> None:
        if not _ADDRESS.match(target):
            raise SubscriptionError(f"invalid email address: {target!r}")
