"""The Elasticsearch store: templates and aliases, bulk upsert of notices, queries, health."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch.helpers import streaming_bulk

from transforms.notice import Notice

TEMPLATES = Path(__file__).resolve().parents[1] / "infra" / "elasticsearch"
# alias -> versioned index: a mapping change is a reindex into -v2, never a data loss.
INDICES = {
    "regwatch-notices": "regwatch-notices-v1",
    "regwatch-subscriptions": "regwatch-subscriptions-v1",
    "regwatch-deliveries": "regwatch-deliveries-v1",
    "regwatch-sources": "regwatch-sources-v1",
}
NOTICES = "regwatch-notices"
DEFAULT_ES_URL = "http://127.0.0.1:9200"


class StoreError(RuntimeError):
    """Elasticsearch refused or could not be reached; the message is one line."""


def connect(url: str | None = None) -> Elasticsearch:
    """Return a client for ES_URL (default: the local node), with key or basic auth from env."""
    url = url or os.environ.get("ES_URL") or DEFAULT_ES_URL
    auth: dict[str, Any] = {}
    if os.environ.get("ES_API_KEY"):
        auth["api_key"] = os.environ["ES_API_KEY"]
    elif os.environ.get("ES_USERNAME"):
        auth["basic_auth"] = (os.environ["ES_USERNAME"], os.environ.get("ES_PASSWORD", ""))
    return Elasticsearch(url, request_timeout=30, max_retries=2, retry_on_timeout=True, **auth)


def describe(exc: Exception) -> str:
    """One line for an Elasticsearch failure, without credentials or stack traces."""
    if isinstance(exc, ApiError):
        reason = exc.body.get("error", {}) if isinstance(exc.body, dict) else {}
        reason = reason.get("reason") or reason.get("type") if isinstance(reason, dict) else reason
        return f"Elasticsearch refused the request (HTTP {exc.status_code}): {reason or exc.message}"
    if isinstance(exc, TransportError):
        return f"cannot reach Elasticsearch: {type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"


def ensure_indices(es: Elasticsearch) -> None:
    """Install index templates and create each versioned index behind its alias."""
    for alias, index in INDICES.items():
        spec = json.loads((TEMPLATES / f"{alias.removeprefix('regwatch-')}.json").read_text())
        es.indices.put_index_template(
            name=alias, index_patterns=[f"{alias}-v*"], priority=100,
            template={"settings": spec["settings"], "mappings": spec["mappings"]},
            meta={"description": spec.get("_comment", "")})
        if not es.indices.exists_alias(name=alias):
            es.options(ignore_status=400).indices.create(
                index=index, aliases={alias: {"is_write_index": True}})


@dataclass
class UpsertResult:
    """What a bulk upsert did: ids created, updated (stage_changed is a subset), unchanged."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    stage_changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def alertable(self) -> list[str]:
        return self.created + self.stage_changed


def upsert_notices(es: Elasticsearch, notices: Sequence[Notice]) -> UpsertResult:
    """Index notices by id; write only new or changed ones and say which were which."""
    result = UpsertResult()
    existing = _existing(es, [n.id for n in notices])
    to_write = []
    for notice in {n.id: n for n in notices}.values():
        before = existing.get(notice.id)
        if before is None:
            result.created.append(notice.id)
        elif before.get("content_hash") == notice.content_hash:
            result.unchanged.append(notice.id)
            continue
        else:
            result.updated.append(notice.id)
            if before.get("stage") != notice.stage:
                result.stage_changed.append(notice.id)
        to_write.append(notice)
    _bulk_index(es, NOTICES, ((n.id, n.to_doc()) for n in to_write))
    return result


def _existing(es: Elasticsearch, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        resp = es.mget(index=NOTICES, ids=chunk, source_includes=["content_hash", "stage"])
        found.update({d["_id"]: d["_source"] for d in resp["docs"] if d.get("found")})
    return found


def _bulk_index(es: Elasticsearch, index: str, docs: Iterable[tuple[str, dict[str, Any]]]) -> None:
    actions = ({"_op_type": "index", "_index": index, "_id": i, "_source": d} for i, d in docs)
    failures = [item for ok, item in streaming_bulk(
        es, actions, chunk_size=500, raise_on_error=False, max_retries=3, initial_backoff=1)
        if not ok]
    es.indices.refresh(index=index)
    if failures:
        first = next(iter(failures[0].values()))
        raise StoreError(f"{len(failures)} documents rejected by Elasticsearch, first: "
                         f"{first.get('_id')}: {first.get('error', {}).get('reason', first.get('error'))}")


def get_notices(es: Elasticsearch, ids: Sequence[str]) -> list[Notice]:
    """Return the notices with these ids, in the given order, skipping unknown ids."""
    if not ids:
        return []
    resp = es.mget(index=NOTICES, ids=list(ids))
    return [Notice.from_doc(d["_source"]) for d in resp["docs"] if d.get("found")]


def known_urls(es: Elasticsearch, source_id: str, urls: Sequence[str]) -> set[str]:
    """Return which of these URLs this source already has in the index."""
    if not urls:
        return set()
    resp = es.search(index=NOTICES, size=len(urls), source_includes=["url"], query={"bool": {"filter": [
        {"term": {"source_id": source_id}}, {"terms": {"url": list(urls)}}]}})
    return {h["_source"]["url"] for h in resp["hits"]["hits"]}


def search_notices(es: Elasticsearch, text: str = "", *, filters: dict[str, Any] | None = None,
                   size: int = 20) -> list[dict[str, Any]]:
    """Search notices as a Kibana user would: text (Chinese or English) plus keyword filters."""
    query: dict[str, Any] = {"bool": {"filter": _filters(filters or {})}}
    if text.strip():
        query["bool"]["must"] = [text_query(text)]
    resp = es.search(index=NOTICES, query=query, size=size,
                     sort=["_score", {"published_at": {"order": "desc", "missing": "_last"}}],
                     source_excludes=["body"])
    return [h["_source"] for h in resp["hits"]["hits"]]


def text_query(text: str) -> dict[str, Any]:
    """Every term (or "quoted phrase") must appear as a phrase in some text field.

    The standard analyzer indexes Chinese per character; a phrase keeps 区块链 from matching
    a title that merely contains 区, 块 and 链 apart.
    """
    fields = ["title^3", "summary", "body", "attachments.name", "standard_numbers"]
    terms = [quoted or word for quoted, word in re.findall(r'"([^"]+)"|(\S+)', text)]
    return {"bool": {"must": [{"multi_match": {"query": t, "type": "phrase", "fields": fields}}
                              for t in terms]}}


def _filters(filters: dict[str, Any]) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    for field_name, value in filters.items():
        if value is None or value == []:
            continue
        if field_name in ("published_after", "published_before"):
            op = "gte" if field_name.endswith("after") else "lt"
            clauses.append({"range": {"published_at": {op: value}}})
        elif isinstance(value, (list, tuple, set)):
            clauses.append({"terms": {field_name: list(value)}})
        else:
            clauses.append({"term": {field_name: value}})
    return clauses


def record_health(es: Elasticsearch, source_id: str, doc: dict[str, Any]) -> None:
    """Merge one poll's outcome into the source's health document."""
    es.update(index="regwatch-sources", id=source_id, doc={"source_id": source_id, **doc},
              doc_as_upsert=True, refresh=True)


def source_health(es: Elasticsearch) -> dict[str, dict[str, Any]]:
    """Return the health document of every source that has been polled."""
    resp = es.search(index="regwatch-sources", size=1000, query={"match_all": {}})
    return {h["_id"]: h["_source"] for h in resp["hits"]["hits"]}
