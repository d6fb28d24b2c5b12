"""Console delivery: alerts printed for the demo and for a shell user."""
from __future__ import annotations

import sys


def send(target: str, message: str) -> None:
    """Print one rendered alert (target is ignored: the console is one place; no threads)."""
    print(message, file=sys.stdout, flush=True)
