"""Typed errors of the people edge."""
from __future__ import annotations


class SubscriptionError(ValueError):
    """A subscription request is invalid; nothing was saved."""


class DeliveryError(RuntimeError):
    """A channel could not deliver a message; the ledger lets a retry send it once."""
