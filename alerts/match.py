"""Matching: which of a batch of new notices each subscription wants.

Why not one Elasticsearch query per subscription (as ``query_for`` would give): at 10,000
subscriptions that is 10,000 searches for a poll of a few hundred notices, tens of seconds on a
small node. Instead:

* Keyword filters (publisher, jurisdiction, kind, stage, level, standard number, blockchain)
  are exact ``terms`` on keyword fields, so evaluating them on the notices at hand - which the
  dispatcher has already fetched by id - gives exactly Elasticsearch's answer. Each field value
  becomes a bitmask over the batch, so a subscription costs a few integer ANDs/ORs, and
  subscriptions with identical filters are evaluated once.
* Free text needs the index's analysis (Chinese is indexed per character and matched as
  phrases), so it stays in Elasticsearch: each distinct text is asked once, as a named query,
  fifty to a search, restricted by ``ids`` to the notices its subscriptions could still match.

Measured with bench/bench_matching.py (500 notices, 10,000 subscriptions, 2 cores): about 1.2 s
including loading the subscriptions, against about 28 s for one query per subscription.
Nothing scans the index: only the given notices are considered. ``query_for`` remains the one
definition of a subscription's query (``regwatch preview`` uses it) and a test checks that both
paths agree.
"""
from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any, Sequence

from elasticsearch import Elasticsearch

from alerts import policy
from alerts.subscriptions import Filters, Subscription
from connectors.store import NOTICES, text_query
from records.notice import Notice, canonical_url

_FIELDS = (("sources", "source_id"), ("jurisdictions", "jurisdiction"), ("kinds", "kind"),
           ("stages", "stage"), ("levels", "level"), ("standard_numbers", "standard_numbers"))
_TEXTS_PER_SEARCH = 50
_SEARCHES_PER_MSEARCH = 40


def query_for(filters: Filters, notice_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Return the Elasticsearch query selecting the notices these filters want."""
    clauses: list[dict[str, Any]] = []
    if notice_ids is not None:
        clauses.append({"ids": {"values": list(notice_ids)}})
    if filters.blockchain_only:
        clauses.append({"term": {"blockchain": True}})
    for attr, field in _FIELDS:
        values = getattr(filters, attr)
        if values:
            clauses.append({"terms": {field: list(values)}})
    query: dict[str, Any] = {"bool": {"filter": clauses}}
    if filters.text:
        query["bool"]["must"] = [text_query(filters.text)]
    return query


def candidates(es: Elasticsearch, query: dict[str, Any], page: int = 1000) -> list[Notice]:
    """Fetch the (bounded) set of notices a digest or reminder run considers, e.g. one week's."""
    found: list[Notice] = []
    after: list[Any] | None = None
    while True:
        resp = es.search(index=NOTICES, query=query, size=page, sort=[{"id": "asc"}],
                         search_after=after)
        hits = resp["hits"]["hits"]
        found += [Notice.from_doc(h["_source"]) for h in hits]
        if len(hits) < page:
            return found
        after = hits[-1]["sort"]


def match(es: Elasticsearch, notices: Sequence[Notice],
          subscriptions: Sequence[Subscription]) -> dict[str, list[str]]:
    """Return subscription id -> ids of the given notices it matches (in the given order).

    A paused subscription matches nothing: every path (instant, digest, reminders) comes here.
    """
    subscriptions = [s for s in subscriptions if not s.paused]
    if not notices or not subscriptions:
        return {}
    facets = _Facets(list({n.id: n for n in notices}.values()))
    groups: dict[Filters, list[Subscription]] = {}
    for sub in subscriptions:
        groups.setdefault(sub.filters, []).append(sub)
    masks = {f: facets.mask(f) for f in groups}
    scopes: dict[str, int] = {}
    for f, mask in masks.items():
        if f.text and mask:
            scopes[f.text] = scopes.get(f.text, 0) | mask
    texts = _text_masks(es, facets, scopes)
    out: dict[str, list[str]] = {}
    keys = {n.id: n.standard_key for n in notices}
    for f, subs in groups.items():
        mask = masks[f] & texts.get(f.text, 0) if f.text else masks[f]
        if mask:
            ids = facets.select(mask)
            out.update((sub.id, kept) for sub in subs if (kept := _unmuted(ids, sub, keys)))
    return out


def _unmuted(ids: list[str], sub: Subscription, keys: dict[str, str | None]) -> list[str]:
    """Leave out the notices of standards this subscription muted (an alert's "Mute" button)."""
    if not sub.muted_standards:
        return ids
    return [i for i in ids if keys[i] is None or keys[i] not in sub.muted_standards]


def match_once(es: Elasticsearch, notices: Sequence[Notice], subscriptions: Sequence[Subscription],
               *, backfill_days: int | None = None) -> dict[str, list[str]]:
    """`match`, less history and less the copies of one page: what each subscription is alerted.

    History (alerts/policy.py): a notice published more than `backfill_days` (default
    REGWATCH_BACKFILL_DAYS) before regwatch first saw it, unless the subscription's own
    backfill reaches it - a new publisher or a rebuilt index must not flood anyone.
    """
    days = policy.default_backfill_days() if backfill_days is None else backfill_days
    by_id, by_sub = {n.id: n for n in notices}, {s.id: s for s in subscriptions}
    out: dict[str, list[str]] = {}
    for sub_id, ids in _one_per_page(es, notices, subscriptions).items():
        kept = [i for i in ids if not policy.is_history(by_id[i], by_sub[sub_id], days)]
        if kept:
            out[sub_id] = kept
    return out


def _one_per_page(es: Elasticsearch, notices: Sequence[Notice],
                  subscriptions: Sequence[Subscription]) -> dict[str, list[str]]:
    """`match`, less the copies of one page: a page (canonical URL) at one stage carried by two
    publishers - NIST's feed and its drafts API, say - is one event for a subscriber, not two.

    A subscription keeps the earliest-fetched copy in the batch, and none if it also matches a
    copy outside the batch fetched earlier still: that one was alerted (or digested) before.
    """
    matched = match(es, notices, subscriptions)
    if not matched:
        return matched
    by_id = {n.id: n for n in notices}
    others = _other_copies(es, [by_id[i] for ids in matched.values() for i in ids])
    had = match(es, others, [s for s in subscriptions if s.id in matched]) if others else {}
    others_by_id = {n.id: n for n in others}
    out: dict[str, list[str]] = {}
    for sub_id, ids in matched.items():
        first_seen: dict[tuple[str, str | None], str] = {}
        for other in (others_by_id[i] for i in had.get(sub_id, [])):
            page = _page(other)
            first_seen[page] = min(first_seen.get(page, other.fetched_at), other.fetched_at)
        kept: set[str] = set()
        for i in sorted(ids, key=lambda i: by_id[i].fetched_at):
            page, fetched = _page(by_id[i]), by_id[i].fetched_at
            if first_seen.setdefault(page, fetched) >= fetched:
                first_seen[page] = ""  # taken: later copies in the batch are repeats
                kept.add(i)
        if kept:
            out[sub_id] = [i for i in ids if i in kept]
    return out


def _page(notice: Notice) -> tuple[str, str | None]:
    return canonical_url(notice.url), notice.stage


def _other_copies(es: Elasticsearch, notices: Sequence[Notice]) -> list[Notice]:
    """Indexed notices outside this batch with the same URL as one in it (other publishers)."""
    urls = sorted({u for n in notices for u in (n.url, canonical_url(n.url))})
    if not urls:
        return []
    resp = es.search(index=NOTICES, size=1000, query={"bool": {
        "filter": [{"terms": {"url": urls}}], "must_not": [{"ids": {"values": [n.id for n in notices]}}]}})
    return [Notice.from_doc(h["_source"]) for h in resp["hits"]["hits"]]


class _Facets:
    """Bitmasks over a batch of notices: one per (field, value) a notice has."""

    def __init__(self, notices: list[Notice]) -> None:
        self.ids = [n.id for n in notices]
        self.bit = {nid: i for i, nid in enumerate(self.ids)}
        self.all = (1 << len(notices)) - 1
        self.index: dict[tuple[str, Any], int] = {}
        for i, n in enumerate(notices):
            pairs = [("blockchain", True)] if n.blockchain is True else []
            for _, field in _FIELDS:
                value = getattr(n, field)
                pairs += [(field, v) for v in (value if isinstance(value, list) else [value])
                          if v is not None]
            for pair in pairs:
                self.index[pair] = self.index.get(pair, 0) | 1 << i

    def mask(self, filters: Filters) -> int:
        """The notices these filters' keyword clauses accept (as `terms` would)."""
        mask = self.index.get(("blockchain", True), 0) if filters.blockchain_only else self.all
        for attr, field in _FIELDS:
            values = getattr(filters, attr)
            if values and mask:
                mask &= reduce(or_, (self.index.get((field, v), 0) for v in values), 0)
        return mask

    def select(self, mask: int) -> list[str]:
        """The ids of the notices in a mask, in batch order."""
        return [nid for i, nid in enumerate(self.ids) if mask >> i & 1]


def _text_masks(es: Elasticsearch, facets: _Facets, scopes: dict[str, int]) -> dict[str, int]:
    """Ask Elasticsearch which notices (within each text's scope) match each distinct text."""
    batches = [list(scopes.items())[i:i + _TEXTS_PER_SEARCH]
               for i in range(0, len(scopes), _TEXTS_PER_SEARCH)]
    out = dict.fromkeys(scopes, 0)
    for start in range(0, len(batches), _SEARCHES_PER_MSEARCH):
        chunk = batches[start:start + _SEARCHES_PER_MSEARCH]
        searches: list[dict[str, Any]] = []
        for batch in chunk:
            searches += [{"index": NOTICES}, _named_search(facets, batch)]
        for batch, resp in zip(chunk, es.msearch(searches=searches)["responses"]):
            if "error" in resp:
                raise RuntimeError(f"matching free text {batch[0][0]!r}… failed: {resp['error']}")
            for hit in resp["hits"]["hits"]:
                for name in hit.get("matched_queries", []):
                    out[batch[int(name)][0]] |= 1 << facets.bit[hit["_id"]]
    return out


def _named_search(facets: _Facets, batch: list[tuple[str, int]]) -> dict[str, Any]:
    ids = facets.select(reduce(or_, (scope for _, scope in batch), 0))
    should = [{"bool": {**text_query(text)["bool"], "_name": str(i)}} for i, (text, _) in enumerate(batch)]
    return {"query": {"bool": {"filter": [{"ids": {"values": ids}}], "should": should,
                               "minimum_should_match": 1}},
            "size": len(ids), "_source": False, "track_total_hits": False}
