"""Typed errors for the data edge.

    ConnectorError            anything that stops one publisher from being read
    ├── SourceUnavailable     transport: timeouts, refused connections, 5xx, 429 after retries
    ├── SourceBlocked         the publisher answered with an anti-bot page (WZWS, 412, WAF)
    └── SourceChanged         the answer is not in the shape we know (missing script tag,
                              malformed JSON, selectors matching nothing)

Content problems inside an otherwise readable answer (a bad date, a salvaged feed) are not
errors: they travel as warnings on the fetched item.
"""
from __future__ import annotations


class ConnectorError(Exception):
    """One publisher could not be read; Airflow retries the task."""

    category = "error"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} ({self.url})" if self.url else base


class SourceUnavailable(ConnectorError):
    """The publisher did not answer usefully (network, timeout, 5xx, 429)."""

    category = "unavailable"


class SourceBlocked(ConnectorError):
    """The publisher answered with an anti-bot challenge instead of content."""

    category = "blocked"


class SourceChanged(ConnectorError):
    """The publisher's answer no longer has the structure this kind expects."""

    category = "changed"
