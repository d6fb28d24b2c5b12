"""Channel registry: each kind of channel pairs a pure renderer with a delivery function."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from alerts import console, email, render


@dataclass(frozen=True)
class Channel:
    render: Callable[..., Any]
    send: Callable[[str, Any], None]


CHANNELS: dict[str, Channel] = {
    "console": Channel(render.console, console.send),
    "email": Channel(render.email, email.send),
}
