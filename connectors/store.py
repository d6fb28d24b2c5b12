"""The Elasticsearch store: templates and aliases, bulk upsert of notices, queries, health."""
from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from elasticsearch import ApiError, BadRequestError, Elasticsearch, TransportError

from connectors import es_json, es_templates
from records.notice import Notice
from records.settings import setting

# alias -> versioned index: a mapping change is a reindex into -v2, never a data loss.
INDICES = {
    "regwatch-notices": "regwatch-notices-v1",
    "regwatch-subscriptions": "regwatch-subscriptions-v1",
    "regwatch-deliveries": "regwatch-deliveries-v1",
    "regwatch-sources": "regwatch-sources-v1",
    "regwatch-standards": "regwatch-standards-v1",
    "regwatch-reminders": "regwatch-reminders-v1",
    "regwatch-slack-requests": "regwatch-slack-requests-v1",
}
NOTICES = "regwatch-notices"
# Polls that try a failed detail page before giving up on it: ten polls span hours on the
# busiest schedules (a maintenance window) and days on the daily ones.
DETAIL_ATTEMPTS = 10


class StoreError(RuntimeError):
    """Elasticsearch refused or could not be reached; the message is one line."""


def connect(url: str | None = None) -> Elasticsearch:
    """Return a client for ES_URL (default: the local node), with key or basic auth from env.

    ES_URL may list a cluster's nodes, comma-separated: the client spreads requests over them,
    and a request that cannot reach one node (refused, timed out) is retried on another, so a
    node that dies is survived — with one retry per other node.
    """
    urls = [u.strip() for u in (url or setting("ES_URL")).split(",") if u.strip()]
    auth: dict[str, Any] = {}
    if os.environ.get("ES_API_KEY"):
        auth["api_key"] = os.environ["ES_API_KEY"]
    elif os.environ.get("ES_USERNAME"):
        auth["basic_auth"] = (os.environ["ES_USERNAME"], os.environ.get("ES_PASSWORD", ""))
    # orjson for every body, sent and received (see es_json): the same JSON, in less CPU time.
    return Elasticsearch(urls, request_timeout=30, max_retries=max(2, len(urls)), retry_on_timeout=True,
                         serializers=es_json.serializers(), **auth)


def describe(exc: Exception) -> str:
    """One line for an Elasticsearch failure, without credentials or stack traces."""
    if isinstance(exc, ApiError):
        reason = exc.body.get("error", {}) if isinstance(exc.body, dict) else {}
        reason = reason.get("reason") or reason.get("type") if isinstance(reason, dict) else reason
        return f"Elasticsearch refused the request (HTTP {exc.status_code}): {reason or exc.message}"
    if isinstance(exc, TransportError):
        return f"cannot reach Elasticsearch: {type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"


def ensure_indices(es: Elasticsearch) -> str | None:
    """Install index templates and create each versioned index behind its alias.

    Return the Chinese analyzer given to the `.zh` subfields (None: the cluster has none).
    """
    analyzer = es_templates.detect_chinese_analyzer(es)
    # Side by side: each template and index is a cluster-state update and a wait for its shards,
    # and seven in a row were half a second each, the largest part of a first cycle's start.
    with ThreadPoolExecutor(len(INDICES)) as pool:
        list(pool.map(lambda pair: _ensure_index(es, *pair, analyzer), INDICES.items()))
    es_templates.sync_replicas(es, INDICES)  # REGWATCH_ES_REPLICAS changes apply in place
    return analyzer


def _ensure_index(es: Elasticsearch, alias: str, index: str, analyzer: str | None) -> None:
    spec = es_templates.template(alias, analyzer)
    es.indices.put_index_template(
        name=alias, index_patterns=[f"{alias}-v*"], priority=100, template=spec,
        meta={"description": es_templates.spec(alias).get("_comment", "")})
    if not es.indices.exists_alias(name=alias):
        _create_index(es, index, alias)
    else:
        # Additive changes — a new field, or the subfields of an analysis plugin installed
        # after the index was made — apply in place (older documents keep matching through
        # the standard fields); anything else needs a new versioned index and a reindex.
        es.indices.put_mapping(index=alias, properties=spec["mappings"]["properties"])


def _create_index(es: Elasticsearch, index: str, alias: str) -> None:
    try:
        es.indices.create(index=index, aliases={alias: {"is_write_index": True}})
    except BadRequestError as exc:
        # Another cycle starting at the same moment created it first: the same template made it.
        if exc.error != "resource_already_exists_exception":
            raise


@dataclass
class UpsertResult:
    """What a bulk upsert did: ids created, updated (stage_changed is a subset), unchanged."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    stage_changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    detail_pending: list[str] = field(default_factory=list)
    detail_given_up: list[str] = field(default_factory=list)

    @property
    def alertable(self) -> list[str]:
        return self.created + self.stage_changed


def upsert_notices(es: Elasticsearch, notices: Sequence[Notice]) -> UpsertResult:
    """Index notices by id; write only new or changed ones and say which were which.

    A new notice, or one whose stage moved, is written with ``announced_at: null``: it stays
    due for alerting until a dispatch has handled it, even if this poll fails half-way.
    Each write is conditional on what was read (create for a new notice, if_seq_no for a known
    one): a notice that another cycle wrote meanwhile is read again and compared afresh, so
    one cycle reports it created and no dispatch's ``announced_at`` is overwritten.
    A notice whose detail page failed again is rewritten to count the attempt (see _detail),
    and one whose detail page was read at last to clear its mark.
    Refreshes, so a dispatch that follows sees the documents; raises if any was rejected.
    """
    written = write_notices(es, notices)
    if written.wrote:
        es.indices.refresh(index=NOTICES)
    if written.rejected:
        first, reason = next(iter(written.rejected.items()))
        raise StoreError(f"{len(written.rejected)} documents rejected by Elasticsearch, first: "
                         f"{first}: {reason}")
    return written.result(n.id for n in notices)


@dataclass
class Written:
    """What one write_notices call did, per notice id; the caller splits it per publisher."""

    buckets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # UpsertResult lists
    rejected: dict[str, str] = field(default_factory=dict)   # notice id -> why it was refused
    also_rejected: dict[str, str] = field(default_factory=dict)  # `also` action id -> why
    wrote: bool = False  # anything sent to the notices index (refresh before reading it)

    def result(self, ids: Iterable[str]) -> UpsertResult:
        """The UpsertResult of these notices (ids rejected are in none of its lists)."""
        result = UpsertResult()
        for notice_id in dict.fromkeys(ids):
            for bucket in self.buckets.get(notice_id, ()):
                getattr(result, bucket).append(notice_id)
        return result


def write_notices(es: Elasticsearch, notices: Sequence[Notice], *,
                  also: Sequence[dict[str, Any]] = ()) -> Written:
    """upsert_notices for a batch of any number of publishers, without refresh and without
    raising for a refused document: each is named in `rejected`, so one publisher's bad
    notice fails that publisher only.

    `also` are further bulk actions (the cycle's health updates) sent in the first bulk
    request, to save a round trip; their refusals come back in `also_rejected`.
    Raises StoreError only if a notice keeps changing under concurrent writes.
    """
    out, todo, extra = Written(), list({n.id: n for n in notices}.values()), list(also)
    for _ in range(_ROUNDS):
        existing = _existing(es, [n.id for n in todo])
        plans = [_plan(n, existing.get(n.id)) for n in todo]
        actions = [_action(p) for p in plans if p.doc is not None]
        out.wrote |= bool(actions)
        failures = _bulk(es, actions + extra)
        extra_ids, extra = {a["_id"] for a in extra}, []
        conflicts: set[str] = set()
        for failure in failures:
            if failure["_id"] in extra_ids:
                out.also_rejected[failure["_id"]] = _reason(failure)
            elif failure.get("status") == 409:
                conflicts.add(failure["_id"])
            else:
                out.rejected[failure["_id"]] = _reason(failure)
        for plan in plans:
            if plan.id not in conflicts and plan.id not in out.rejected:
                out.buckets[plan.id] = plan.buckets
        todo = [n for n in todo if n.id in conflicts]
        if not todo:
            return out
    raise StoreError(f"{len(todo)} notices kept changing under concurrent writes, first: {todo[0].id}")


# Rounds of read-compare-write before a notice that keeps changing under us is an error.
_ROUNDS = 5


@dataclass(frozen=True)
class _Plan:
    id: str
    buckets: tuple[str, ...]                 # the UpsertResult lists the notice belongs in
    doc: dict[str, Any] | None = None        # None: unchanged, nothing to write
    version: tuple[int, int] | None = None   # (seq_no, primary_term) read; None: create


def _plan(notice: Notice, before: dict[str, Any] | None) -> _Plan:
    # The notice's own lists and dicts, not to_doc's copies: the document is only serialized
    # into the bulk body (_detail replaces `warnings`, never changes it), and copying every
    # list of a first cycle's notices was a tenth of the writer's time.
    doc, seen = _fields(notice), None if before is None else before["_source"]
    # fetched_at moves with every change; the alerting policy needs the first sight.
    doc["first_seen_at"] = ((seen or {}).get("first_seen_at") or (seen or {}).get("fetched_at")
                            or notice.first_seen_at or notice.fetched_at)
    detail: tuple[str, ...] = ()
    if notice.detail_pending:
        bucket = _detail(doc, seen)
        if bucket is None:
            return _Plan(notice.id, ("unchanged",))
        detail = (bucket,)
    if before is None or seen is None:
        return _Plan(notice.id, ("created", *detail), {**doc, "announced_at": None})
    version, kept = (before["_seq_no"], before["_primary_term"]), seen.get("announced_at")
    if seen.get("content_hash") == notice.content_hash:
        if not (notice.detail_pending or seen.get("detail_pending")):
            return _Plan(notice.id, ("unchanged",))
        # Rewritten only for its detail state: one more failed attempt, or the mark cleared.
        return _Plan(notice.id, ("unchanged", *detail), {**doc, "announced_at": kept}, version)
    if seen.get("stage") != notice.stage:
        return _Plan(notice.id, ("updated", "stage_changed", *detail), {**doc, "announced_at": None},
                     version)
    return _Plan(notice.id, ("updated", *detail), {**doc, "announced_at": kept}, version)


def _fields(notice: Notice) -> dict[str, Any]:
    """Notice.to_doc without its copies of the notice's lists and dicts: for serializing only."""
    return {name: getattr(notice, name) for name in notice.__dataclass_fields__}


def _action(plan: _Plan) -> dict[str, Any]:
    if plan.version is None:
        return {"_op_type": "create", "_index": NOTICES, "_id": plan.id, "_source": plan.doc}
    return {"_op_type": "index", "_index": NOTICES, "_id": plan.id, "_source": plan.doc,
            "if_seq_no": plan.version[0], "if_primary_term": plan.version[1]}


def _detail(doc: dict[str, Any], before: dict[str, Any] | None) -> str | None:
    """Count one more failed detail page on `doc` and name its UpsertResult list; None: keep
    the indexed version instead.

    A notice indexed complete (or given up on) is never replaced by one whose detail failed:
    that happens only when two polls overlap, and the other one read the page.
    """
    if before is not None and not before.get("detail_pending"):
        return None
    attempts = int((before or {}).get("detail_attempts") or 0) + 1
    doc["detail_attempts"] = attempts
    if attempts < DETAIL_ATTEMPTS:
        return "detail_pending"
    doc["detail_pending"] = False  # known from now on, so no poll fetches the page again
    doc["warnings"] = [*doc["warnings"], f"detail page given up after {attempts} failed attempts"]
    return "detail_given_up"


def unannounced_ids(es: Elasticsearch, source_id: str | None, *, limit: int = 1000) -> list[str]:
    """Ids of this source's (None: any source's) new or stage-changed notices no dispatch has
    handled yet, oldest first."""
    source = [] if source_id is None else [{"term": {"source_id": source_id}}]
    resp = es.search(index=NOTICES, size=limit, source=False, sort=[{"fetched_at": "asc"}], query={
        "bool": {"filter": source, "must_not": [{"exists": {"field": "announced_at"}}]}})
    return [h["_id"] for h in resp["hits"]["hits"]]


def mark_announced(es: Elasticsearch, handled: Mapping[str, str | None], when: str) -> None:
    """Record that a dispatch handled these notices (id -> the stage it alerted).

    A notice whose stage moved meanwhile (a poll beside the dispatch) stays unannounced: its
    new stage is still due. Conditional partial updates, re-read on conflict; no scripts needed.
    """
    _mark(es, dict(handled), when)


def mark_unalerted(es: Elasticsearch, ids: Sequence[str], when: str) -> None:
    """mark_announced for a dispatch with no one to alert: each notice at the stage it has.

    Each is read once, here, rather than once for its stage and again to mark it: that was a
    second mget of every notice of a first cycle.
    """
    _mark(es, dict.fromkeys(ids, _ANY_STAGE), when)


_ANY_STAGE = object()  # in _mark's todo: whatever stage the notice has when it is read


def _mark(es: Elasticsearch, handled: Mapping[str, object], when: str) -> None:
    todo = dict(handled)
    for _ in range(_ROUNDS):
        if not todo:
            return
        # _MARK_CHUNK notices read and marked at a time (one bulk request each), refreshed
        # once: a first cycle of thousands of publishers hands one dispatch tens of thousands,
        # and all of them read before any was marked made the dispatch the cycle's memory peak.
        # Two chunks in flight: each update re-indexes its notice, and one bulk request at a
        # time kept Elasticsearch on one core while this process only waited.
        ids = list(todo)
        chunks = [ids[start:start + _MARK_CHUNK] for start in range(0, len(ids), _MARK_CHUNK)]
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda chunk: _mark_chunk(es, chunk, todo, when), chunks))
        if any(sent for sent, _ in results):
            es.indices.refresh(index=NOTICES)  # the next cycle's unannounced search sees them
        todo = {i: todo[i] for i in _conflicts([f for _, failures in results for f in failures])}
    if todo:
        raise StoreError(f"could not mark {len(todo)} notices announced: they kept changing, "
                         f"first: {next(iter(todo))}")


def _mark_chunk(es: Elasticsearch, ids: list[str], todo: Mapping[str, object],
                when: str) -> tuple[bool, list[dict[str, Any]]]:
    """Mark the due ones of these notices; whether any was written, and the bulk failures."""
    docs = _mget(es, ids, source_includes=["stage", "announced_at"])
    actions = [{"_op_type": "update", "_index": NOTICES, "_id": d["_id"],
                "if_seq_no": d["_seq_no"], "if_primary_term": d["_primary_term"],
                "doc": {"announced_at": when}} for d in docs
               if d["_source"].get("announced_at") is None
               and todo[d["_id"]] in (_ANY_STAGE, d["_source"].get("stage"))]
    return bool(actions), _bulk(es, actions) if actions else []


def _existing(es: Elasticsearch, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored version (hit with _source, _seq_no, _primary_term) of each id that exists."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        resp = es.mget(index=NOTICES, ids=chunk,
                       source_includes=["content_hash", "stage", "announced_at", "detail_pending",
                                        "detail_attempts", "first_seen_at", "fetched_at"])
        found.update({d["_id"]: d for d in resp["docs"] if d.get("found")})
    return found


def _write(es: Elasticsearch, actions: list[dict[str, Any]]) -> set[str]:
    """Run conditional bulk writes; return the ids that lost to a concurrent write (409).

    Refreshes so the dispatch that follows sees the documents; raises if any was rejected.
    """
    if not actions:
        return set()
    failures = _bulk(es, actions)
    es.indices.refresh(index=actions[0]["_index"])
    return _conflicts(failures)


def _conflicts(failures: list[dict[str, Any]]) -> set[str]:
    """The ids of these failed bulk items that lost to a concurrent write (409); raise if any
    failed otherwise."""
    rejected = [f for f in failures if f.get("status") != 409]
    if rejected:
        raise StoreError(f"{len(rejected)} documents rejected by Elasticsearch, first: "
                         f"{rejected[0].get('_id')}: {_reason(rejected[0])}")
    return {f["_id"] for f in failures}


def _bulk(es: Elasticsearch, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send bulk actions (5 MB requests at most); return the item of each that failed.

    What elasticsearch.helpers.streaming_bulk(chunk_size=2000, max_chunk_bytes=5 MB,
    raise_on_error=False, max_retries=3, initial_backoff=1) did, without its per-action
    overhead (a copy of every action, twenty keys looked up, the lines kept twice).
    """
    failures: list[dict[str, Any]] = []
    dumps = es.transport.serializers.get_serializer("application/json").dumps
    for chunk in _chunks(_lines(action, dumps) for action in actions):
        failures += _send(es, chunk)
    return failures


# Chunked by bytes rather than count: a batch of many publishers' notices (bodies of tens of
# kB) stays one request when small and never becomes one huge one.
_CHUNK_ACTIONS, _CHUNK_BYTES = 2000, 5 * 1024 * 1024
# A chunk, or the items of it, that Elasticsearch refused as too busy (429) is sent again
# after 1, 2, then 4 s.
_RETRY_STATUS, _RETRIES, _BACKOFF = 429, 3, 1.0
# Bulk metadata keys among an action's keys (as helpers.expand_action reads them); the rest
# (or its `_source`) is the document line.
_META = ("_id", "_index", "if_seq_no", "if_primary_term", "retry_on_conflict")
# What is read of a bulk answer: each item's id, status and error (every item has a status, so
# the items stay in the order of the actions); not its index, version, shards and result.
_BULK_ANSWER = ["items.*._id", "items.*.status", "items.*.error"]


def _lines(action: Mapping[str, Any], dumps: Callable[[Any], bytes]) -> bytes:
    """An action's two NDJSON lines: `{op: {metadata}}` and its document (or update body)."""
    meta = {key: action[key] for key in _META if key in action}
    body = action["_source"] if "_source" in action else {
        k: v for k, v in action.items() if k != "_op_type" and k not in _META}
    return b"%s\n%s\n" % (dumps({action.get("_op_type", "index"): meta}), dumps(body))


def _chunks(lines: Iterable[bytes]) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    size = 0
    for action in lines:
        if chunk and (size + len(action) > _CHUNK_BYTES or len(chunk) == _CHUNK_ACTIONS):
            yield chunk
            chunk, size = [], 0
        chunk.append(action)
        size += len(action)
    if chunk:
        yield chunk


def _send(es: Elasticsearch, chunk: list[bytes]) -> list[dict[str, Any]]:
    """One bulk request, retried on 429 (the whole request, or its items refused so); the
    item of each action that failed."""
    failures: list[dict[str, Any]] = []
    for attempt in range(_RETRIES + 1):
        if attempt:
            time.sleep(_BACKOFF * 2 ** (attempt - 1))
        try:
            items = es.bulk(operations=b"".join(chunk), filter_path=_BULK_ANSWER)["items"]
        except ApiError as exc:
            if attempt == _RETRIES or exc.status_code != _RETRY_STATUS:
                raise
            continue
        retry: list[bytes] = []
        for action, item in zip(chunk, items):
            info = next(iter(item.values()))
            status = info.get("status", 500)
            if 200 <= status < 300:
                continue
            if status == _RETRY_STATUS and attempt < _RETRIES:
                retry.append(action)
            else:
                failures.append(info)
        if not retry:
            break
        chunk = retry
    return failures


def _reason(failure: dict[str, Any]) -> str:
    error = failure.get("error", {})
    return str(error.get("reason", error) if isinstance(error, dict) else error)


def scan_notices(es: Elasticsearch, query: Mapping[str, Any], *,
                 page_size: int = 500) -> Iterator[list[dict[str, Any]]]:
    """Yield every notice matching `query`, a page at a time: hits with _source and the
    _seq_no/_primary_term they were read at (for conditional writes back).

    A point in time keeps the pages consistent while the caller writes to the index it scans.
    """
    keep = "5m"
    pit = es.open_point_in_time(index=NOTICES, keep_alive=keep)["id"]
    try:
        after: list[Any] | None = None
        while True:
            resp = es.search(pit={"id": pit, "keep_alive": keep}, query=dict(query), size=page_size,
                             sort=["_shard_doc"], search_after=after, seq_no_primary_term=True)
            pit, hits = resp.get("pit_id", pit), resp["hits"]["hits"]
            if not hits:
                return
            yield hits
            after = hits[-1]["sort"]
    finally:
        es.close_point_in_time(id=pit)


def read_notices(es: Elasticsearch, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The current version of these notices: hits with _source, _seq_no and _primary_term."""
    if not ids:
        return []
    return [d for d in es.mget(index=NOTICES, ids=list(ids))["docs"] if d.get("found")]


def update_notices(es: Elasticsearch,
                   updates: Mapping[str, tuple[tuple[int, int], dict[str, Any]]]) -> set[str]:
    """Write these fields into these notices (id -> ((seq_no, primary_term) read, fields)),
    each only if the notice is still the version read; return the ids that changed meanwhile.
    """
    return _write(es, [{"_op_type": "update", "_index": NOTICES, "_id": i, "if_seq_no": version[0],
                        "if_primary_term": version[1], "doc": fields}
                       for i, (version, fields) in updates.items()])


def get_notices(es: Elasticsearch, ids: Sequence[str]) -> list[Notice]:
    """Return the notices with these ids, in the given order, skipping unknown ids."""
    return [Notice.from_doc(d["_source"]) for d in _mget(es, ids)]


# Ids per mget: a first cycle of thousands of publishers hands tens of thousands of notices to
# one dispatch, and one answer for all of them would be hundreds of MiB of JSON at once.
_MGET_CHUNK = 1000
_MARK_CHUNK = 2 * _MGET_CHUNK


def _mget(es: Elasticsearch, ids: Sequence[str], **kwargs: Any) -> Iterator[dict[str, Any]]:
    """The found documents among `ids`, in order, read `_MGET_CHUNK` at a time."""
    ids = list(ids)
    for start in range(0, len(ids), _MGET_CHUNK):
        docs = es.mget(index=NOTICES, ids=ids[start:start + _MGET_CHUNK], **kwargs)["docs"]
        yield from (d for d in docs if d.get("found"))


def known_urls(es: Elasticsearch, source_id: str, urls: Sequence[str]) -> set[str]:
    """Return which of these URLs this source already has complete in the index.

    A notice whose detail page failed is not complete until it is read or given up on: its
    URL is left out, so the connector fetches the detail page again.
    """
    if not urls:
        return set()
    resp = es.search(index=NOTICES, size=len(urls), source_includes=["url"], query={"bool": {
        "filter": [{"term": {"source_id": source_id}}, {"terms": {"url": list(urls)}}],
        "must_not": [{"term": {"detail_pending": True}}]}})
    return {h["_source"]["url"] for h in resp["hits"]["hits"]}


def search_notices(es: Elasticsearch, text: str = "", *, filters: dict[str, Any] | None = None,
                   size: int = 20, sort: Sequence[tuple[str, str]] = (),
                   translations: Mapping[str, Sequence[str]] | None = None) -> list[dict[str, Any]]:
    """Search notices as a Kibana user would: text (Chinese or English) plus keyword filters.

    `sort` is (field, asc|desc) pairs, as a saved search has them; by default: best match first.
    `translations` lets a term of the text also match as its other-language terms (see text_query).
    """
    query: dict[str, Any] = {"bool": {"filter": _filters(filters or {})}}
    if text.strip():
        query["bool"]["must"] = [text_query(text, translations)]
    order: list[Any] = [{f: {"order": o, "missing": "_last"}} for f, o in sort] or ["_score"]
    if "published_at" not in dict(sort):
        order.append({"published_at": {"order": "desc", "missing": "_last"}})
    resp = es.search(index=NOTICES, query=query, size=size, sort=order, source_excludes=["body"])
    return [h["_source"] for h in resp["hits"]["hits"]]


# The .zh subfields exist only where the cluster has a Chinese analyzer; elsewhere
# Elasticsearch skips unmapped fields, so the query is the same on every cluster.
TEXT_FIELDS = ("title^3", "title.zh^3", "title_en^2", "summary", "summary.zh", "body", "body.zh",
               "attachments.name", "standard_numbers")


def text_query(text: str, translations: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """Every term (or "quoted phrase") must appear as a phrase in some text field.

    The standard analyzer indexes Chinese per character; a phrase keeps 区块链 from matching
    a title that merely contains 区, 块 and 链 apart. A term (or a multi-word phrase) found in
    `translations` may appear as any of its translations instead: 智能合约 or "smart contract".
    """
    translations = {k.lower(): v for k, v in (translations or {}).items()}
    for phrase in sorted((p for p in translations if " " in p), key=len, reverse=True):
        # A multi-word term is one term, as if quoted ("smart contract", not smart + contract).
        text = re.sub(rf'(?<![\w"]){re.escape(phrase)}(?![\w"])', lambda m: f'"{m.group(0)}"', text,
                      flags=re.IGNORECASE)
    terms = [quoted or word for quoted, word in re.findall(r'"([^"]+)"|(\S+)', text)]
    return {"bool": {"must": [_term_query(t, translations.get(t.lower(), ())) for t in terms]}}


def _term_query(term: str, alternatives: Sequence[str]) -> dict[str, Any]:
    phrases = [{"multi_match": {"query": t, "type": "phrase", "fields": list(TEXT_FIELDS)}}
               for t in dict.fromkeys((term, *alternatives))]
    return phrases[0] if len(phrases) == 1 else {"bool": {"should": phrases, "minimum_should_match": 1}}


# Date filters: name -> (field, range operator). Values may be dates or date math (now-30d).
_RANGES = {"published_after": ("published_at", "gte"), "published_before": ("published_at", "lt"),
           "deadline_after": ("comment_deadline", "gte"),
           "deadline_before": ("comment_deadline", "lt")}


def _filters(filters: dict[str, Any]) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    for field_name, value in filters.items():
        if value is None or value == []:
            continue
        if field_name in _RANGES:
            target, op = _RANGES[field_name]
            clauses.append({"range": {target: {op: value}}})
        elif field_name == "deadline_open":
            # Still open for comment: the deadline is today or later, or not stated.
            clauses.append({"bool": {"should": [] if not value else [
                {"range": {"comment_deadline": {"gte": "now/d"}}},
                {"bool": {"must_not": {"exists": {"field": "comment_deadline"}}}}]}})
        elif isinstance(value, (list, tuple, set)):
            clauses.append({"terms": {field_name: list(value)}})
        else:
            clauses.append({"term": {field_name: value}})
    return clauses


def record_health(es: Elasticsearch, source_id: str, doc: dict[str, Any]) -> None:
    """Merge one poll's outcome into the source's health document."""
    # Not refreshed per poll: readers come seconds later (or call refresh_health first).
    # retry_on_conflict: two cycles polling the same source at once both merge their outcome.
    es.update(index="regwatch-sources", id=source_id, doc={"source_id": source_id, **doc},
              doc_as_upsert=True, retry_on_conflict=20)


def health_action(source_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    """record_health as a bulk action: the cycle writes every publisher's health in one request."""
    return {"_op_type": "update", "_index": "regwatch-sources", "_id": source_id,
            "doc": {"source_id": source_id, **doc}, "doc_as_upsert": True, "retry_on_conflict": 20}


def refresh_health(es: Elasticsearch) -> None:
    """Make every recorded poll outcome searchable now."""
    es.indices.refresh(index="regwatch-sources")


def source_health(es: Elasticsearch) -> dict[str, dict[str, Any]]:
    """Return the health document of every source that has been polled."""
    refresh_health(es)
    resp = es.search(index="regwatch-sources", size=10000, query={"match_all": {}},
                     source_excludes=["http_cache"])
    return {h["_id"]: h["_source"] for h in resp["hits"]["hits"]}


def source_state(es: Elasticsearch, source_id: str) -> dict[str, Any]:
    """Return one source's document, conditional-GET cache included ({} if never polled)."""
    resp = es.options(ignore_status=404).get(index="regwatch-sources", id=source_id)
    return resp.get("_source", {}) if resp.get("found") else {}


def source_states(es: Elasticsearch, source_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """source_state of many sources in one mget per thousand ids (absent: never polled)."""
    found: dict[str, dict[str, Any]] = {}
    ids = list(dict.fromkeys(source_ids))
    for start in range(0, len(ids), 1000):
        resp = es.options(ignore_status=404).mget(index="regwatch-sources", ids=ids[start:start + 1000])
        found.update({d["_id"]: d["_source"] for d in resp.get("docs", []) if d.get("found")})
    return found


def unannounced_by_source(es: Elasticsearch, source_ids: Sequence[str], *,
                          limit: int = 1000) -> dict[str, list[str]]:
    """unannounced_ids of many sources with one search per _PAGE notices (oldest first)."""
    found: dict[str, list[str]] = {}
    query = {"bool": {"filter": [{"terms": {"source_id": list(dict.fromkeys(source_ids))}}],
                      "must_not": [{"exists": {"field": "announced_at"}}]}}
    after: list[Any] | None = None
    while source_ids:
        # The id, source and sort keys of each hit, from doc values, and nothing else: the answer
        # for a first cycle's notices was a few MB of _index, _score and _source to parse.
        resp = es.search(index=NOTICES, size=_PAGE, source=False, docvalue_fields=["source_id"],
                         query=query, sort=[{"fetched_at": "asc"}, {"id": "asc"}], search_after=after,
                         filter_path=["hits.hits._id", "hits.hits.fields", "hits.hits.sort"])
        hits = resp.get("hits", {}).get("hits", [])  # filter_path drops an empty list
        for hit in hits:
            ids = found.setdefault(hit["fields"]["source_id"][0], [])
            if len(ids) < limit:
                ids.append(hit["_id"])
        if len(hits) < _PAGE:
            break
        after = hits[-1]["sort"]
    return found


# Hits per search of unannounced_by_source (Elasticsearch's default max_result_window).
_PAGE = 10000


def published_history(es: Elasticsearch, *, per_source: int = 50) -> dict[str, list[str]]:
    """Return each source's latest published dates (ISO strings, newest first), for its cadence."""
    es.indices.refresh(index=NOTICES)
    resp = es.search(index=NOTICES, size=0, query={"exists": {"field": "published_at"}}, aggs={
        "sources": {"terms": {"field": "source_id", "size": 10000}, "aggs": {"latest": {"top_hits": {
            "size": per_source, "sort": [{"published_at": "desc"}], "_source": ["published_at"]}}}}})
    return {b["key"]: [h["_source"]["published_at"] for h in b["latest"]["hits"]["hits"]]
            for b in resp["aggregations"]["sources"]["buckets"]}
