"""Telling operators: the providers' notifiers, aimed by one Airflow Connection."""
from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import BaseHook, BaseNotifier

from records.settings import setting

OPS_CONN_ID = "regwatch_ops"
log = logging.getLogger(__name__)


class OpsNotifier(BaseNotifier):
    """Send a message to the operators' channel named by the `regwatch_ops` Connection.

    A ``slack`` connection (token as password, ``channel`` in extra) goes through the Slack
    provider's SlackNotifier; an ``smtp`` connection (``to`` in extra) through SmtpNotifier.
    The connection is read when a message is sent, never when the DAG file is parsed.
    """

    template_fields = ("subject", "message")

    def __init__(self, subject: str, message: str, conn_id: str = OPS_CONN_ID) -> None:
        super().__init__()
        self.subject, self.message, self.conn_id = subject, message, conn_id

    def notify(self, context: Any) -> None:
        try:
            conn = BaseHook.get_connection(self.conn_id)
        except Exception:  # noqa: BLE001 — no operators' channel configured: log only
            log.warning("no %s connection; operators not told: %s", self.conn_id, self.subject)
            return
        extra = conn.extra_dejson
        if conn.conn_type == "slack":
            from airflow.providers.slack.notifications.slack import SlackNotifier

            SlackNotifier(slack_conn_id=self.conn_id, channel=extra.get("channel", "#regwatch-ops"),
                          text=f"*{self.subject}*\n{self.message}").notify(context)
        else:
            from airflow.providers.smtp.notifications.smtp import SmtpNotifier

            SmtpNotifier(to=extra.get("to", "operators@localhost"), smtp_conn_id=self.conn_id,
                         from_email=extra.get("from_email") or setting("SMTP_FROM"),
                         subject=self.subject, html_content=f"<pre>{_escape(self.message)}</pre>"
                         ).notify(context)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def task_failed() -> OpsNotifier:
    """The failure callback every regwatch task carries."""
    return OpsNotifier(subject="[regwatch] task failed: {{ ti.dag_id }}.{{ ti.task_id }}",
                       message="{{ ti.dag_id }}.{{ ti.task_id }} (map index {{ ti.map_index }}) failed "
                               "in run {{ run_id }} after {{ ti.try_number }} tries.\n"
                               "{{ exception | string | truncate(500) }}")
