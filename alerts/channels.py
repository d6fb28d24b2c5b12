"""Channel registry: each kind of channel pairs pure renderers with a delivery function.

``alert(notice, subscription, thread, days_left=…)`` renders one alert or reminder (a reply in
``thread`` when the channel threads); ``batch(batch, subscription)`` renders a flood summary or
a digest; ``send(target, message)`` delivers and returns a thread reference (Slack ts, email
Message-ID) or None when the channel has no threads.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from alerts import blocks, console, email, render, slack


@dataclass(frozen=True)
class Channel:
    alert: Callable[..., Any]
    batch: Callable[..., Any]
    send: Callable[[str, Any], str | None]


CHANNELS: dict[str, Channel] = {
    "console": Channel(render.console, render.console_batch, console.send),
    "email": Channel(render.email, render.email_batch, email.send),
    "slack": Channel(blocks.alert, blocks.batch, slack.send),
}
