"""Typed errors for the data edge.

    ConnectorError            anything that stops one publisher from being read
    ├── SourceUnavailable     transport: timeouts, refused connections, 5xx, 429 after retries
    │   └── HttpUnavailable   an HTTP error status: 404, 410, 5xx, 429 …
    ├── SourceBlocked         the publisher answered with an anti-bot page (WZWS, 412, WAF)
    │   └── HttpBlocked       an HTTP status that is a challenge: 412
    └── SourceChanged         the answer is not in the shape we know (missing script tag,
                              malformed JSON, selectors matching nothing)

    HttpStatusError           base of HttpUnavailable and HttpBlocked: the answer's HTTP status
                              is its `status`, so callers test `exc.status == 404`, not the text

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


class HttpStatusError(ConnectorError):
    """The publisher answered with an HTTP error status, kept as `status`."""

    def __init__(self, status: int, *, url: str | None = None, message: str | None = None) -> None:
        super().__init__(message or f"HTTP {status}", url=url)
        self.status = status


class HttpUnavailable(HttpStatusError, SourceUnavailable):
    """An HTTP error status that says nothing is served here now (404, 5xx, 429 …)."""


class HttpBlocked(HttpStatusError, SourceBlocked):
    """An HTTP status that anti-bot gateways answer scripted clients with (412)."""


# Statuses whose answer is a challenge, not an absence; with the one-line message each gets.
_BLOCKING = {412: "HTTP 412 JavaScript challenge"}


def status_error(status: int, url: str | None = None) -> HttpStatusError:
    """Return the typed error for an HTTP error status (4xx or 5xx)."""
    if status in _BLOCKING:
        return HttpBlocked(status, url=url, message=_BLOCKING[status])
    return HttpUnavailable(status, url=url)
