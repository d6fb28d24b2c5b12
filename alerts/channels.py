"""Channel registry: a kind of channel is one module and one registry line (urlwatch's reporters).

A channel owns its ``regwatch subscribe`` flag, the check of a target (a one-line
SubscriptionError), its renderers and its delivery:

- ``alert(notice, subscription, thread, days_left=…, today=…)`` renders one alert or reminder (a
  reply in ``thread`` when the channel threads); ``batch(batch, subscription, today=…)`` renders a
  flood summary or a digest. Both are pure - ``today`` is the subscriber's date, which decides
  "14 days left" or "comments closed" - and a channel binds pure functions
  (``alert = staticmethod(render.email)``) from ``render``/``blocks`` or its own module.
- ``send(target, message)`` delivers, raising DeliveryError, and returns a thread reference
  (Slack ts, email Message-ID) or None when the channel has no threads.

A channel module registers its class with ``@register``; CHANNEL_MODULES lists the shipped ones.
"""
from __future__ import annotations

import argparse
import importlib
from abc import ABC, abstractmethod
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from alerts.errors import SubscriptionError

if TYPE_CHECKING:
    from alerts.render import Batch
    from alerts.subscriptions import Subscription
    from records.notice import Notice

# One line per channel module, in the order of the subscribe flags; importing one registers it.
CHANNEL_MODULES = ("alerts.slack", "alerts.email", "alerts.console")

M = TypeVar("M")  # the rendered message of one channel (Slack blocks, an email, a line)


class Channel(ABC, Generic[M]):
    """One kind of channel; the defaults give it a ``--NAME TARGET`` subscribe flag."""

    name: ClassVar[str]
    metavar: ClassVar[str] = "TARGET"
    help: ClassVar[str | None] = None

    def add_arguments(self, group: argparse._ActionsContainer) -> None:
        """Add this channel's flag to the subscribe command's one-of group of targets."""
        group.add_argument(f"--{self.name}", metavar=self.metavar, help=self.help)

    def target_from_args(self, args: argparse.Namespace) -> str | None:
        """The target the user gave with this channel's flag, or None if they chose another."""
        value = getattr(args, self.name.replace("-", "_"), None)
        return None if value is None else str(value)

    def check_target(self, target: str) -> None:
        """Raise SubscriptionError (one line) if `target` cannot be a place of this channel."""

    def ready(self) -> str | None:
        """Check before a subscription is saved; return a note for the user, or None."""
        return None

    @abstractmethod
    def alert(self, notice: Notice, subscription: Subscription, thread: str | None = None, *,
              days_left: int | None = None, today: date | None = None) -> M:
        """Render one alert (or a deadline reminder when `days_left` is given) as of `today`."""

    @abstractmethod
    def batch(self, batch: Batch, subscription: Subscription, *, today: date | None = None) -> M:
        """Render several notices as one message (a flood summary or a digest) as of `today`."""

    @abstractmethod
    def send(self, target: str, message: M, /) -> str | None:
        """Deliver one message; return its thread reference, if the channel has threads."""


CHANNELS: dict[str, Channel[Any]] = {}
C = TypeVar("C", bound="type[Channel[Any]]")


def register(cls: C) -> C:
    """Register a channel class under its name (a later class of the same name replaces it)."""
    CHANNELS[cls.name] = cls()
    return cls


def available() -> dict[str, Channel[Any]]:
    """Return every registered channel, importing the shipped channel modules on first use."""
    for module in CHANNEL_MODULES:
        importlib.import_module(module)
    return CHANNELS


def get(name: str) -> Channel[Any]:
    """Return the channel called `name`; raise SubscriptionError if there is none."""
    channel = available().get(name)
    if channel is None:
        raise SubscriptionError(f"unknown channel kind: {name!r} (known: {', '.join(CHANNELS)})")
    return channel
