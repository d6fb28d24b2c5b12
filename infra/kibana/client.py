"""Import the saved objects into Kibana through its saved-objects import API."""
from __future__ import annotations

import os
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


def import_objects(url: str, *, space: str | None = None, path: Path = PATH,
                   timeout: float = 60) -> int:
    """POST the NDJSON file to `_import?overwrite=true`; return how many objects Kibana took."""
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


def _outcome(resp: httpx.Response) -> int:
    try:
        body: Any = resp.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if resp.status_code >= 400:
        raise KibanaError(f"Kibana refused the import (HTTP {resp.status_code}): "
                          f"{_one_line(body.get('message') or resp.reason_phrase)}")
    if not body.get("success"):
        errors = body.get("errors") or []
        first = errors[0] if errors else {}
        detail = (f"; first: {first.get('type')} {first.get('id')}: "
                  f"{(first.get('error') or {}).get('type')}") if first else ""
        raise KibanaError(f"Kibana imported {body.get('successCount', 0)} objects and rejected "
                          f"{len(errors)}{detail}")
    return int(body.get("successCount", 0))


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())[:300]
