"""Console delivery: alerts printed for the demo and for a shell user."""
from __future__ import annotations

import argparse
import sys

from alerts import render
from alerts.channels import Channel, register
from alerts.render import Batch
from alerts.subscriptions import Subscription
from records.notice import Notice


def send(target: str, message: str) -> None:
    """Print one rendered alert (target is ignored: the console is one place; no threads)."""
    print(message, file=sys.stdout, flush=True)


@register
class Console(Channel[str]):
    """``--console``: lines on standard output; the target is always ``console``."""

    name = "console"

    def add_arguments(self, group: argparse._ActionsContainer) -> None:
        group.add_argument("--console", action="store_true")

    def target_from_args(self, args: argparse.Namespace) -> str | None:
        return "console" if args.console else None

    def alert(self, notice: Notice, subscription: Subscription, thread: str | None = None, *,
              days_left: int | None = None) -> str:
        return render.console(notice, subscription, thread, days_left=days_left)

    def batch(self, batch: Batch, subscription: Subscription) -> str:
        return render.console_batch(batch, subscription)

    def send(self, target: str, message: str) -> None:
        send(target, message)
