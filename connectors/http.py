"""The one HTTP client every connector uses: bounded, polite, honest about failures."""
from __future__ import annotations

import base64
import codecs
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Any, Iterator, Mapping, NoReturn
from urllib.parse import urlsplit

import certifi
import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from connectors import hosts
from connectors.errors import ConnectorError, SourceBlocked, SourceChanged, SourceUnavailable, status_error
from records.settings import setting

# One TLS context for every client: building one loads the CA bundle, ~50 ms of CPU each time.
_TLS = ssl.create_default_context(cafile=certifi.where())
CACHE_MAX_BYTES = 512 * 1024  # list pages only; larger answers are simply fetched again
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)
# GB2312 and GBK labels are routinely wrong about the characters actually used; GB18030 is
# a strict superset of both, so decoding with it never loses a character they could hold.
_GB_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}
# Anti-bot and access pages, often served with 200. Each is matched where only that page puts it:
# in its <title>, in the challenge script, or as the whole of a short non-JSON answer, so a notice
# that merely mentions a WAF or "Request Access" is read as the notice it is.
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_IN_TITLE = (
    # Federal Register / eCFR refuse automated clients with this page, status 200 (usgpo/bulk-data#148).
    (re.compile(r"^\s*Federal Register :: Request Access\s*$"),
     "Federal Register 'Request Access' page (automated requests refused)"),
    # Anchored at the start: a notice titled "关于部署Web应用防火墙的通知" is a notice.
    (re.compile(r"^\s*WEB\s*应用防火墙", re.I), "web application firewall page"),
    (re.compile(r"^\W*(?:对不起\W*)?(?:您的?)?访问过于频繁"), "rate limit page (访问过于频繁)"),
)
_IN_PAGE = (
    (re.compile(r"(?:wzwsquestion|wzwsfactor|wzwschallenge)\s*=|dynamicurl\s*=\s*[\"']/WZWSREL", re.I),
     "WZWS JavaScript challenge"),
    (re.compile(r"<noscript>\s*请开启JavaScript并刷新该页"), "JavaScript challenge page"),
)
# std.samr answers a burst with a bare "访问过于频繁" message instead of its JSON (file id
# 63098670664): a short answer that is neither JSON nor a titled page, and says only that.
_SHORT_ANSWER = 2048
_IN_SHORT = ((re.compile("访问过于频繁"), "rate limit answer (访问过于频繁)"),)
_HEAD = 20000


def _version() -> str:
    try:
        return metadata.version("regwatch")
    except metadata.PackageNotFoundError:  # a bare checkout on sys.path, not installed
        return "dev"


def user_agent(env: Mapping[str, str] | None = None) -> str:
    """Return our User-Agent: browser-shaped, saying who we are and where to reach us."""
    # MIIT answers a bare client with 403 (code-corpus file id 71595435488); "compatible;" with our
    # name and a contact URL passes such filters while staying honest about being a poller.
    return f"Mozilla/5.0 (compatible; regwatch/{_version()}; +{setting('REGWATCH_CONTACT_URL', env)})"


@dataclass(frozen=True)
class HttpOptions:
    """Limits for one publisher's requests."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    attempts: int = 3
    max_retry_after: float = 60.0
    politeness: float = 0.2
    allow_private: bool = False
    user_agent: str = field(default_factory=user_agent)


@dataclass(frozen=True)
class Response:
    """A complete, size-checked answer; `url` is the publisher's real URL."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    from_cache: bool = False

    @property
    def text(self) -> str:
        return decode(self.content, self.headers.get("content-type", ""))


def parse_json(text: str, url: str, what: str = "API") -> Any:
    """Parse a JSON answer; anything else (an error page, a cut body) means the source changed."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceChanged(f"{what} answered malformed JSON ({exc.msg} at {exc.pos})", url=url) from None


class _Retryable(Exception):
    """A failure worth another attempt; `error` is what the caller gets when attempts run out."""

    def __init__(self, error: ConnectorError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class HostGates:
    """One request at a time per host, `politeness` seconds apart, for every client sharing it.

    A poll cycle gives one to all its publishers' clients, so two publishers of one ministry,
    or a list and a detail page, never reach that server at once, whatever the threads do.
    A gate is held from sending a request until its body is read (redirects included) and
    released between attempts: a publisher backing off after a 500 leaves the server to the
    host's other publishers meanwhile. Spacing counts from the end of the previous answer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gates: dict[str, _Gate] = {}

    @contextmanager
    def hold(self, host: str, spacing: float) -> Iterator[None]:
        """Wait for the host (and `spacing` after its last answer); hold it for one request."""
        with self._lock:
            gate = self._gates.setdefault(host, _Gate())
        with gate.lock:
            wait = gate.last + spacing - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                yield
            finally:
                gate.last = time.monotonic()


@dataclass
class _Gate:
    lock: threading.Lock = field(default_factory=threading.Lock)
    last: float = float("-inf")


class Unchanged(Exception):
    """Raised by a client asked to (`stop_if_unchanged`) when a conditional GET is answered
    from its cache: the caller knows what an unchanged list held and skips parsing it again.
    Not a ConnectorError: connectors let it through untouched."""


@dataclass
class HttpClient:
    """httpx with timeouts, a size cap, retries, conditional GET and origin rebasing.

    `rebase` maps a publisher origin (``https://www.miit.gov.cn``) to the base URL that
    really serves it (a replay server in tests and the demo); connectors keep working with
    the publisher's real URLs, so the notices we index link to the real site.

    `cache` holds, per list URL fetched with ``conditional=True``, the validators and body of
    the last answer: a 304 is answered from it, so an unchanged list costs a few hundred bytes
    and the connector still sees the whole list. The pipeline keeps it per publisher.

    `gates` serialise and space requests per host; a client has its own unless given the
    cycle's (see HostGates).
    """

    options: HttpOptions = field(default_factory=HttpOptions)
    rebase: Mapping[str, str] = field(default_factory=dict)
    cache: dict[str, dict[str, str]] = field(default_factory=dict)
    bytes_received: int = 0
    gates: HostGates = field(default_factory=HostGates)
    stop_if_unchanged: bool = False
    cache_changed: bool = False  # a new answer was cached: the caller stores `cache` again

    def __post_init__(self) -> None:
        o = self.options
        # The replay server we were pointed at is trusted configuration, not publisher input.
        self._trusted = {urlsplit(b).hostname for b in self.rebase.values()}
        self._client = httpx.Client(
            timeout=httpx.Timeout(o.read_timeout, connect=o.connect_timeout),
            follow_redirects=True,
            max_redirects=o.max_redirects,
            verify=_TLS,
            headers={"User-Agent": o.user_agent, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"},
            event_hooks={"request": [self._guard]},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wire_url(self, url: str) -> str:
        """Return the URL actually requested for a publisher URL."""
        for origin, base in self.rebase.items():
            if url.startswith(origin):
                return base.rstrip("/") + url[len(origin):]
        return url

    def get(self, url: str, *, params: Mapping[str, str] | None = None,
            headers: Mapping[str, str] | None = None, conditional: bool = False) -> Response:
        """GET with retries on timeouts, 5xx and 429; raise a typed error otherwise.

        With `conditional`, send the validators of the cached answer and serve a 304 from it.
        """
        if not conditional:
            return self.request("GET", url, params=params, headers=headers)
        key = str(httpx.URL(url, params=params))
        cached = self.cache.get(key, {})
        validators = {h: cached[k] for h, k in (("If-None-Match", "etag"),
                                                 ("If-Modified-Since", "last_modified")) if cached.get(k)}
        response = self.request("GET", url, params=params, headers={**(headers or {}), **validators})
        if response.status == 304 and "body" in cached:
            if self.stop_if_unchanged:
                raise Unchanged(url)
            return replace(response, status=200, content=_unpack(cached),
                           headers={**response.headers, "content-type": cached.get("type", "")},
                           from_cache=True)
        etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        if response.status == 200 and (etag or modified) and len(response.content) <= CACHE_MAX_BYTES:
            # Compressed: a cycle reads and writes every publisher's cache, and feeds and list
            # pages shrink five to ten times (3,000 feeds: 42 MB of base64 became about 6).
            self.cache[key] = {"etag": etag or "", "last_modified": modified or "",
                               "type": response.headers.get("content-type", ""), "enc": "zlib",
                               "body": base64.b64encode(zlib.compress(response.content, 6)).decode("ascii")}
            self.cache_changed = True
        return response

    def post(self, url: str, *, data: Mapping[str, str] | None = None, json: Any = None,
             headers: Mapping[str, str] | None = None) -> Response:
        """POST a form or JSON body, with the same limits and retries as GET."""
        return self.request("POST", url, data=data, json=json, headers=headers)

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        """Send one request with retries on timeouts, 5xx and 429; raise a typed error otherwise."""
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            stop=stop_after_attempt(self.options.attempts),
            wait=self._wait,
            reraise=True,
        )
        try:
            return retrying(self._once, method, url, kwargs)
        except _Retryable as exc:
            raise exc.error from None

    def _wait(self, state: Any) -> float:
        exc = state.outcome.exception()
        # 0.25–0.5 s, then 0.5–0.75 s: a cycle ends when its last publisher does, and with
        # tenacity's default second of jitter a publisher answering 500 late in a cycle kept the
        # whole cycle (and its alerts) waiting ~3 s more while every other host was done.
        backoff = wait_exponential_jitter(initial=0.25, max=10, jitter=0.25)(state)
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(max(exc.retry_after, backoff), self.options.max_retry_after)
        return backoff

    def _guard(self, request: httpx.Request) -> None:
        """Refuse private, loopback and link-local targets (a redirect is no way in either)."""
        host = request.url.host
        if self.options.allow_private or host in self._trusted or not _is_private(host):
            return
        raise SourceBlocked(f"refused to fetch {host}: a private, loopback or link-local address "
                            "(set allow_private on the source to permit it)", url=str(request.url))

    def _once(self, method: str, url: str, kwargs: dict[str, Any]) -> Response:
        with self.gates.hold(hosts.host(url), self.options.politeness):
            response = self._fetch(method, url, kwargs)
        return self._check(response)

    def _fetch(self, method: str, url: str, kwargs: dict[str, Any]) -> Response:
        start = time.monotonic()
        try:
            with self._client.stream(method, self.wire_url(url), **kwargs) as r:
                content = self._read_capped(r, url, start)
                status, resp_headers = r.status_code, r.headers
        except httpx.TooManyRedirects:
            raise SourceUnavailable(f"more than {self.options.max_redirects} redirects", url=url) from None
        except httpx.TimeoutException as exc:
            raise _Retryable(SourceUnavailable(f"timed out ({type(exc).__name__})", url=url)) from None
        except httpx.TransportError as exc:
            raise _Retryable(SourceUnavailable(f"network error: {type(exc).__name__}: {exc}", url=url)) from None
        return Response(url, status, dict(resp_headers), content)

    def _read_capped(self, r: httpx.Response, url: str, start: float) -> bytes:
        # Count decoded bytes as they stream, so a gzip bomb is stopped at the cap too.
        chunks, size = [], 0
        try:
            for chunk in r.iter_bytes():
                size += len(chunk)
                if size > self.options.max_bytes:
                    raise SourceUnavailable(f"response larger than {self.options.max_bytes} bytes", url=url)
                if time.monotonic() - start > self.options.total_timeout:
                    raise _Retryable(SourceUnavailable(
                        f"response took longer than {self.options.total_timeout:.0f}s", url=url))
                chunks.append(chunk)
        finally:
            self.bytes_received += r.num_bytes_downloaded
        return b"".join(chunks)

    def _check(self, r: Response) -> Response:
        if r.status == 304:
            return r
        if r.status >= 400:
            self._refuse(r)
        what = challenge(r.content, r.headers.get("content-type", ""))
        if what:
            raise SourceBlocked(f"anti-bot answer: {what}", url=r.url)
        return r

    def _refuse(self, r: Response) -> NoReturn:
        """Raise the error for an error status: retried for 429 and 5xx, unless told to wait long."""
        if r.status != 429 and r.status < 500:
            raise status_error(r.status, r.url)
        wait = _retry_after(r.headers)
        if wait is not None and wait > self.options.max_retry_after:
            # Asked to stay away longer than we would wait: stop now and say until when, so the
            # scheduler can skip this publisher rather than hammer it through the ban.
            raise status_error(r.status, r.url, retry_after=wait)
        raise _Retryable(status_error(r.status, r.url), retry_after=wait)


def _unpack(cached: Mapping[str, str]) -> bytes:
    body = base64.b64decode(cached["body"])
    return zlib.decompress(body) if cached.get("enc") == "zlib" else body  # older entries: plain


def challenge(content: bytes, content_type: str = "") -> str | None:
    """Name the anti-bot or access page this answer is, or None for real content."""
    head = content[:_HEAD]
    if len(content) > _HEAD:
        head = head[:head.rfind(b">") + 1]  # never cut a character: '>' is no byte of one in UTF-8 or GBK
    text = decode(head, content_type)
    title = _TITLE.search(text)
    checks = [(title.group(1), _IN_TITLE)] if title else []
    checks.append((text, _IN_PAGE))
    if not title and len(content) <= _SHORT_ANSWER and not text.lstrip().startswith(("{", "[")):
        checks.append((text, _IN_SHORT))
    for where, patterns in checks:
        for pattern, what in patterns:
            if pattern.search(where):
                return what
    return None


def _is_private(host: str) -> bool:
    """Whether a host name or address points inside: loopback, private, link-local, reserved."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        return False  # unresolvable: the request itself fails with a network error
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified:
            return True
    return False


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _charset_of(content_type: str) -> str | None:
    match = re.search(r"charset=([\w\-]+)", content_type, re.I)
    return match.group(1) if match else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = _GB_ALIASES.get(name.lower(), name.lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(content: bytes, content_type: str = "") -> str:
    """Decode a body: BOM, then header charset, then <meta>, then UTF-8, then GB18030."""
    # A BOM outranks the header, as browsers do: servers mislabel, a BOM never lies.
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if content.startswith(bom):
            return content.decode(name, errors="replace")
    meta = _META_CHARSET.search(content[:4096])
    for candidate in (_charset_of(content_type), meta.group(1).decode() if meta else None):
        codec = _codec(candidate)
        if codec:
            return content.decode(codec, errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("gb18030", errors="replace")
