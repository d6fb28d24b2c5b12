"""Signed links in e-mails: one-click unsubscribe (``/u/TOKEN``) and the manage page (``/m/TOKEN``).

A token is a subscription id signed with HMAC-SHA256 (itsdangerous' Signer, which compares with
``hmac.compare_digest``) under ``REGWATCH_LINK_KEY``, salted with its scope: without the key a
token cannot be made, guessed or moved to another subscription, and an unsubscribe token does not
open the manage page. Tokens carry no expiry, as RFC 8058 wants an unsubscribe link to work for
as long as mail may still be read; a token stops working when its subscription is deleted (the
pages look it up) or when the key is changed, which revokes every link at once.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Mapping

from itsdangerous import BadSignature, Signer

from records.settings import SettingError, setting

SCOPES = ("unsubscribe", "manage")
PATHS = {"unsubscribe": "u", "manage": "m"}
MIN_KEY_LENGTH = 16


class LinkError(ValueError):
    """A token that is not ours, or not for this scope (forged, truncated, from another key)."""


@dataclass(frozen=True)
class Links:
    """The two links an e-mail carries for its subscription."""

    manage: str
    unsubscribe: str


def _signer(key: str, scope: str) -> Signer:
    if scope not in SCOPES:
        raise ValueError(f"unknown link scope {scope!r}")
    return Signer(key, salt=f"regwatch.link.{scope}", digest_method=hashlib.sha256)


def sign(key: str, sub_id: str, scope: str) -> str:
    """The token naming this subscription for this scope."""
    return _signer(key, scope).sign(sub_id).decode()


def verify(key: str, token: str, scope: str) -> str:
    """The subscription id a token names; LinkError if it was not signed by us for this scope."""
    try:
        return _signer(key, scope).unsign(token).decode()
    except (BadSignature, UnicodeError):
        raise LinkError("this link is not valid (mistyped, cut short, or no longer issued)") from None


def build(base_url: str, key: str, sub_id: str) -> Links:
    """The manage and unsubscribe URLs of a subscription under `base_url`."""
    base = base_url.rstrip("/")
    return Links(*(f"{base}/{PATHS[s]}/{sign(key, sub_id, s)}" for s in ("manage", "unsubscribe")))


def key(env: Mapping[str, str] | None = None) -> str | None:
    """REGWATCH_LINK_KEY, or None when unset; SettingError (one line) when too short to be safe."""
    value = (os.environ.get("REGWATCH_LINK_KEY") if env is None else env.get("REGWATCH_LINK_KEY")) or None
    if value is not None and len(value) < MIN_KEY_LENGTH:
        raise SettingError(f"REGWATCH_LINK_KEY must be at least {MIN_KEY_LENGTH} characters "
                           f"(e.g. `openssl rand -hex 32`)")
    return value


def public_url(env: Mapping[str, str] | None = None) -> str:
    """REGWATCH_PUBLIC_URL, the address subscribers reach the pages at; SettingError if not http(s)."""
    value = setting("REGWATCH_PUBLIC_URL", env)
    if not value.startswith(("http://", "https://")):
        raise SettingError(f"REGWATCH_PUBLIC_URL must start with http:// or https://, not {value!r}")
    return value


def for_subscription(sub_id: str, env: Mapping[str, str] | None = None) -> Links | None:
    """The links for a subscription from the settings, or None without a key (no links then)."""
    secret = key(env)
    return None if secret is None else build(public_url(env), secret, sub_id)
