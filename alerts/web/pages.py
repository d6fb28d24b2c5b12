"""The e-mail subscriber's pages: one-click unsubscribe and the manage page, behind signed links.

``/u/TOKEN``: GET shows a confirmation page with one button (a GET never unsubscribes: mail
scanners fetch links); POST with ``List-Unsubscribe=One-Click`` (RFC 8058, what mail providers
send, and what the button sends) deletes the subscription at once.
``/m/TOKEN``: the subscription in words, with forms to switch instant/daily, pause and resume;
each POST changes one thing and redirects back (POST-redirect-GET). Plain HTML, no JavaScript,
no cookies: the signed token in the path is the whole credential, so a forged, cut or
cross-scope token, or a deleted subscription, gets one clear page (4xx) and changes nothing.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
from elasticsearch import Elasticsearch
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from alerts import links, subscriptions
from alerts.subscriptions import Subscription
from alerts.web import words
from alerts.web.app import es_client
from connectors.catalog import load_catalog

router = APIRouter()
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
                          autoescape=True)
# No caching (the page shows live state), no Referer (the path is a credential), no indexing.
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex", "X-Frame-Options": "DENY"}
_ACTIONS = ("instant", "daily", "pause", "resume")


class _Refused(Exception):
    """One clear refusal: the HTTP status and the key of its message in words.ERRORS."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _html(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_ENV.get_template(template).render(**context), status, headers=_HEADERS)


def _refusal(exc: _Refused) -> HTMLResponse:
    zh, en = words.ERRORS[exc.reason]
    return _html("refused.html", exc.status, zh=zh, en=en)


def _find(es: Elasticsearch, token: str, scope: str) -> Subscription:
    """The subscription a token names for this scope, or _Refused (nothing is changed)."""
    key = links.key()
    if key is None:
        raise _Refused(503, "no_key")
    try:
        sub_id = links.verify(key, token, scope)
    except links.LinkError:
        raise _Refused(404, "bad_link") from None
    sub = subscriptions.get(es, sub_id)
    if sub is None:
        raise _Refused(410, "gone")
    return sub


async def _form(request: Request) -> dict[str, str]:
    # Both encodings RFC 8058 allows (a browser sends urlencoded, some providers multipart).
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 — a malformed body is a bad request, whatever the parser says
        raise _Refused(400, "bad_form") from None
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.get("/u/{token}", response_class=HTMLResponse)
def unsubscribe_page(token: str, request: Request, lang: str | None = None,
                     es: Elasticsearch = Depends(es_client)) -> Response:
    """Ask before unsubscribing: one button, which POSTs the one-click body."""
    try:
        sub = _find(es, token, "unsubscribe")
    except _Refused as exc:
        return _refusal(exc)
    lang = words.pick_lang(lang, sub)
    return _html("unsubscribe.html", lang=lang, t=words.UI[lang], sub=sub, token=token,
                 switch=_switch(request), done=False)


@router.post("/u/{token}", response_class=HTMLResponse)
async def unsubscribe(token: str, request: Request, lang: str | None = None,
                      es: Elasticsearch = Depends(es_client)) -> Response:
    """RFC 8058 one-click: with `List-Unsubscribe=One-Click` in the body, delete at once."""
    try:
        form = await _form(request)
        if form.get("List-Unsubscribe") != "One-Click":
            raise _Refused(400, "bad_form")
        sub = _find(es, token, "unsubscribe")
    except _Refused as exc:
        return _refusal(exc)
    subscriptions.delete(es, sub.id)
    lang = words.pick_lang(form.get("lang") or lang, sub)
    return _html("unsubscribe.html", lang=lang, t=words.UI[lang], sub=sub, token=token,
                 switch=None, done=True)


@router.get("/m/{token}", response_class=HTMLResponse)
def manage_page(token: str, request: Request, lang: str | None = None, done: str | None = None,
                es: Elasticsearch = Depends(es_client)) -> Response:
    """The subscription in words, with one small form per change."""
    try:
        sub = _find(es, token, "manage")
    except _Refused as exc:
        return _refusal(exc)
    lang = words.pick_lang(lang, sub)
    key = links.key()
    assert key is not None  # _find refused without one
    names = {s.id: s.name or s.id for s in load_catalog()}
    return _html("manage.html", lang=lang, t=words.UI[lang], sub=sub, token=token,
                 what=words.describe(sub.filters, lang, names), switch=_switch(request),
                 done=done if done in _ACTIONS else None, hours=range(24),
                 unsubscribe=f"/u/{links.sign(key, sub.id, 'unsubscribe')}?lang={lang}")


@router.post("/m/{token}")
async def manage(token: str, request: Request, es: Elasticsearch = Depends(es_client)) -> Response:
    """Apply one change from the manage page, then redirect to it (POST-redirect-GET)."""
    try:
        form = await _form(request)
        sub = _find(es, token, "manage")
        changed = _change(sub, form)
    except _Refused as exc:
        return _refusal(exc)
    subscriptions.save(es, changed)
    lang = words.pick_lang(form.get("lang"), sub)
    return RedirectResponse(f"/m/{token}?lang={lang}&done={form['action']}", 303, headers=_HEADERS)


def _change(sub: Subscription, form: dict[str, str]) -> Subscription:
    """The subscription after one form's change; _Refused for anything else."""
    action = form.get("action")
    if action == "daily":
        hour = form.get("digest_hour", "")
        if not hour.isdigit() or not 0 <= int(hour) <= 23:
            raise _Refused(400, "bad_form")
        return replace(sub, mode="daily", digest_hour=int(hour))
    changes: dict[str, dict[str, Any]] = {"instant": {"mode": "instant"}, "pause": {"paused": True},
                                          "resume": {"paused": False}}
    if action not in changes:
        raise _Refused(400, "bad_form")
    return replace(sub, **changes[action])


def _switch(request: Request) -> dict[str, str]:
    """Links to this same page in each language (the token stays in the path)."""
    return {lang: f"{request.url.path}?lang={lang}" for lang in words.LANGS}
