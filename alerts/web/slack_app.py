"""Slack's endpoints: the /regwatch slash command and the alert buttons (interactivity).

Every request is verified first (alerts/web/slack_verify.py): a missing, forged, stale or replayed
signature gets 401 and nothing is read or changed. The slash command is answered in the HTTP
response (Slack shows it in the channel it was typed in); a button click is acknowledged at once
and answered by a POST to the payload's ``response_url``, as Slack asks.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

import httpx
from elasticsearch import Elasticsearch
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from alerts.web import slack_handlers, slack_verify
from alerts.web.app import es_client

router = APIRouter()
log = logging.getLogger(__name__)


async def raw_body(request: Request) -> bytes:
    """The body exactly as Slack signed it."""
    return await request.body()


def signing_secret() -> str | None:
    """FastAPI dependency: the signing secret (the Airflow plugin overrides it with its Connection)."""
    return slack_verify.signing_secret()


def _verified(request: Request, body: bytes, es: Elasticsearch, secret: str | None) -> dict[str, str]:
    if not secret:
        log.error("SLACK_SIGNING_SECRET is not set: every Slack request is refused")
        raise HTTPException(503, "Slack signing secret not configured")
    try:
        slack_verify.verify(es, secret, body, request.headers.get("X-Slack-Request-Timestamp"),
                            request.headers.get("X-Slack-Signature"))
    except slack_verify.Refused as exc:
        log.warning("refused a Slack request: %s", exc)
        raise HTTPException(401, str(exc)) from None
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


@router.post("/slack/commands")
def slash_command(request: Request, body: bytes = Depends(raw_body), es: Elasticsearch = Depends(es_client),
                  secret: str | None = Depends(signing_secret)) -> JSONResponse:
    """`/regwatch …`: Slack's form-encoded slash command; the answer goes to its channel."""
    form = _verified(request, body, es, secret)
    reply = slack_handlers.command(es, form, datetime.now(timezone.utc))
    return JSONResponse(reply.to_slack())


@router.post("/slack/interactions")
def interaction(request: Request, body: bytes = Depends(raw_body), es: Elasticsearch = Depends(es_client),
                secret: str | None = Depends(signing_secret)) -> Response:
    """A button on an alert: `payload=` JSON of type block_actions; answered via its response_url."""
    form = _verified(request, body, es, secret)
    try:
        payload: dict[str, Any] = json.loads(form.get("payload", ""))
    except ValueError:
        raise HTTPException(400, "no JSON payload") from None
    reply = slack_handlers.action(es, payload, datetime.now(timezone.utc))
    if reply is not None and payload.get("response_url"):
        respond(str(payload["response_url"]), reply.to_slack())
    return Response(status_code=200)


def respond(response_url: str, message: dict[str, Any]) -> bool:
    """POST a message to a response_url; a failure is logged (without the URL: it is a credential)."""
    try:
        r = httpx.post(response_url, json=message, timeout=10)
    except httpx.HTTPError as exc:
        log.warning("could not answer through response_url: %s", type(exc).__name__)
        return False
    if r.status_code >= 400:
        log.warning("response_url refused the answer: HTTP %s", r.status_code)
    return r.status_code < 400
