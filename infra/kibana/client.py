"""Import the saved objects into Kibana through its saved-objects import API."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import httpx

from infra.kibana.build import PATH


class KibanaError(RuntimeError):
    """Kibana refused the import or could not be reached; the message is one line."""


def auth_headers(env: Mapping[str, str] | None = None) -> tuple[dict[str, str], tuple[str, str] | None]:
    """Return (headers, basic auth) from KIBANA_API_KEY or KIBANA_USERNAME/KIBANA_PASSWORD."""
    env = os.environ if env is None else env
    if env.get("KIBANA_API_KEY"):
        return {"Authorization": f"ApiKey {env['KIBANA_API_KEY']}"}, None
    if env.get("KIBANA_USERNAME"):
        return {}, (env["KIBANA_USERNAME"], env.get("KIBANA_PASSWORD", ""))
    return {}, None


@dataclass(frozen=True)
class Imported:
    """What Kibana took: how many objects, and those it gave a new id (`type`, `id`, new id)."""

    count: int
    new_ids: tuple[tuple[str, str, str], ...] = ()


def import_objects(url: str, *, space: str | None = None, path: Path = PATH,
                   timeout: float = 60) -> Imported:
    """POST the NDJSON file to `_import?overwrite=true`; return what Kibana took."""
    prefix = f"/s/{space}" if space and space != "default" else ""
    endpoint = f"{url.rstrip('/')}{prefix}/api/saved_objects/_import"
    headers, auth = auth_headers()
    try:
        resp = httpx.post(endpoint, params={"overwrite": "true"}, timeout=timeout, auth=auth,
                          headers={"kbn-xsrf": "true", **headers},
                          files={"file": (path.name, path.read_bytes(), "application/ndjson")})
    except httpx.HTTPError as exc:
        raise KibanaError(f"cannot reach Kibana at {url}: {type(exc).__name__}") from None
    return _outcome(resp)


def _outcome(resp: httpx.Response) -> Imported:
    status = resp.status_code
    if resp.is_redirect:  # a proxy's login page or http -> https: the import never reached Kibana
        raise KibanaError(f"Kibana's address redirects (HTTP {status} to "
                          f"{resp.headers.get('location', '?')}): give the final address with --url")
    body = _json_object(resp)
    if status >= 400:
        message = (body or {}).get("message") or resp.reason_phrase
        raise KibanaError(f"Kibana refused the import (HTTP {status}): {_one_line(message)}")
    if body is None:
        raise KibanaError(f"no JSON in the answer (HTTP {status}, "
                          f"{resp.headers.get('content-type') or 'no content type'}): is it Kibana?")
    if not body.get("success"):
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        detail = "; ".join(_failure(e) for e in errors[:3]) + ("; …" if len(errors) > 3 else "")
        raise KibanaError(f"Kibana imported {body.get('successCount', 0)} objects and rejected "
                          f"{len(errors)}" + (f": {_one_line(detail)}" if detail else ""))
    moved = tuple((r.get("type", "?"), r.get("id", "?"), r["destinationId"])
                  for r in body.get("successResults") or [] if r.get("destinationId"))
    return Imported(int(body.get("successCount", 0)), moved)


def _failure(error: Mapping[str, Any]) -> str:
    """`type id: why`, with the missing references or Kibana's message when it gives them."""
    why = error.get("error") or {}
    refs = [f"{r.get('type')} {r.get('id')}" for r in why.get("references") or []]
    extra = f"missing {', '.join(refs)}" if refs else why.get("message")
    return f"{error.get('type')} {error.get('id')}: {why.get('type')}" + (f" ({extra})" if extra else "")


def _json_object(resp: httpx.Response) -> dict[str, Any] | None:
    try:
        body = resp.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())[:300]
