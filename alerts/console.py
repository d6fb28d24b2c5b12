"""Console delivery: alerts printed for the demo and for a shell user."""
from __future__ import annotations

import argparse
import sys

from alerts import render
from alerts.channels import Channel, register


def send(target: str, message: str) -> None:
    """Print one rendered alert (target is ignored: the console is one place; no threads)."""
    print(message, file=sys.stdout, flush=True)


@register
class Console(Channel[str]):
    """``--console``: lines on standard output; the target is always ``console``."""

    name = "console"
    alert = staticmethod(render.console)
    batch = staticmethod(render.console_batch)
    send = staticmethod(send)

    def add_arguments(self, group: argparse._ActionsContainer) -> None:
        group.add_argument("--console", action="store_true")

    def target_from_args(self, args: argparse.Namespace) -> str | None:
        return "console" if args.console else None
