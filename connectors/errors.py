"""Typed errors for the data edge.

    ConnectorError            anything that stops one publisher from being read
    ├── SourceUnavailable     transport: timeouts, refused connections, 5xx, 429 after retries
    │   └── HttpUnavailable   an HTTP error status: 404, 410, 5xx, 429 …
    ├── SourceBlocked         the publisher refused us: an anti-bot or access page (WZWS, WAF,
    │   │                     "Request Access", "访问过于频繁"), even one served with 200
    │   └── HttpBlocked       an HTTP status that refuses this client: 401, 403, 412, 429
    └── SourceChanged         the answer is not in the shape we know (missing script tag,
                              malformed JSON, selectors matching nothing)

    HttpStatusError           base of HttpUnavailable and HttpBlocked: the answer's HTTP status
                              is its `status`, so callers test `exc.status == 404`, not the text;
                              `retry_after` (seconds) is the publisher's Retry-After, when it
                              asked for a pause longer than we wait, so the next poll can wait too

Content problems inside an otherwise readable answer (a bad date, a salvaged feed) are not
errors: they travel as warnings on the fetched item.
"""
from __future__ import annotations


class ConnectorError(Exception):
    """One publisher could not be read; Airflow retries the task."""

    category = "error"
    # Seconds the publisher asked us to stay away (Retry-After beyond what we wait); None: no such ask.
    retry_after: float | None = None

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

    def __init__(self, status: int, *, url: str | None = None, message: str | None = None,
                 retry_after: float | None = None) -> None:
        text = message or f"HTTP {status}"
        if retry_after is not None:
            text += f"; retry after {retry_after:.0f}s"
        super().__init__(text, url=url)
        self.status = status
        self.retry_after = retry_after


class HttpUnavailable(HttpStatusError, SourceUnavailable):
    """An HTTP error status that says nothing is served here now (404, 410, 5xx …)."""


class HttpBlocked(HttpStatusError, SourceBlocked):
    """An HTTP status that refuses this client rather than the page (401, 403, 412, 429)."""


# Statuses that refuse the client, not an absence of content; with the one-line message each gets.
# std.samr answers a burst with 401 or 429 and a 30-minute cooldown (code-corpus file ids
# 63098670664, 54541713379); MIIT answers bare requests with 403 (file id 71595435488). Retrying
# these soon only prolongs the ban, so they are reported as blocked, never as "down".
_BLOCKING = {
    401: "HTTP 401 access refused",
    403: "HTTP 403 access refused",
    412: "HTTP 412 JavaScript challenge",
    429: "HTTP 429 too many requests",
}


def status_error(status: int, url: str | None = None, *, retry_after: float | None = None) -> HttpStatusError:
    """Return the typed error for an HTTP error status (4xx or 5xx)."""
    if status in _BLOCKING:
        return HttpBlocked(status, url=url, message=_BLOCKING[status], retry_after=retry_after)
    return HttpUnavailable(status, url=url, retry_after=retry_after)
