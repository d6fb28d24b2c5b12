"""The client's orjson serializers write what the standard library's did, and every client has them."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pendulum
import pytest
from elasticsearch import Elasticsearch
from elasticsearch.serializer import JsonSerializer, NdjsonSerializer

from connectors import es_json, store
from regwatch.writer import Polled, health_doc
from tests.connectors.test_store import make_notice

CST = timezone(timedelta(hours=8))
NOTICE = make_notice("https://www.miit.gov.cn/a.html", "《区块链 跨链互操作技术要求》（征求意见稿）\u2028😀",
                     attachments=[{"url": "https://x/a.pdf", "name": "附件1", "type": "draft", "format": "pdf"}],
                     comments_to={"emails": ["a@b.cn"], "postal_address": None, "contact": "张三",
                                  "phones": [], "form_url": None}, committees=["TC590"],
                     warnings=['quote " backslash \\ tab \t'])


@pytest.mark.parametrize("value", [
    NOTICE.to_doc(),
    {"stamp": datetime(2026, 12, 6, 19, 0, 0, 123456, tzinfo=timezone.utc)},  # orjson's own: +00:00 too
    {"stamp": datetime(2026, 12, 6, 19, 0), "day": date(2026, 12, 6)},         # naive, and a date
    {"stamp": datetime(2026, 12, 6, 19, 0, tzinfo=CST)},
    {"stamp": pendulum.datetime(2026, 12, 6, 19, 0, tz="Asia/Shanghai")},      # a datetime subclass
    {3: "int key", None: "none key", True: "bool key", 2.5: "float key"},    # json.dumps makes them strings
    {"big": 2 ** 70, "negative": -(2 ** 65)},                                # beyond orjson's 64 bits
    {"lone surrogate": "\ud800"},                                            # orjson refuses it
    {"id": uuid.UUID(int=7), "amount": Decimal("1.5"), "n": [1, 0.5, -3.25, True, None]},
    ("a", "tuple"),
], ids=["notice", "utc", "naive-and-date", "cst", "pendulum", "non-str-keys", "big-int", "surrogate",
        "uuid-decimal-numbers", "tuple"])
def test_bodies_are_byte_for_byte_what_the_standard_library_wrote(value) -> None:
    assert es_json.OrjsonSerializer().dumps(value) == JsonSerializer().dumps(value)
    assert es_json.OrjsonNdjsonSerializer().dumps([value, value]) == NdjsonSerializer().dumps([value, value])


def test_what_neither_can_write_is_refused_alike() -> None:
    for serializer in (es_json.OrjsonSerializer(), JsonSerializer()):
        with pytest.raises(Exception, match="Unable to serialize"):
            serializer.dumps({"set": {1, 2}})


def test_answers_are_read_alike() -> None:
    body = JsonSerializer().dumps({"hits": {"hits": [NOTICE.to_doc()]}, "took": 3, "f": 0.1})
    assert es_json.OrjsonSerializer().loads(body) == JsonSerializer().loads(body)
    assert es_json.OrjsonSerializer().loads(b"") is None  # an empty answer, as before
    assert es_json.OrjsonNdjsonSerializer().loads(body + b"\n" + body) == NdjsonSerializer().loads(body + b"\n" + body)


@pytest.mark.parametrize("mimetype", [
    "application/json", "application/x-ndjson",
    # what the 9.x client sends and Elasticsearch answers with
    "application/vnd.elasticsearch+json; compatible-with=9",
    "application/vnd.elasticsearch+x-ndjson; compatible-with=9",
    "application/vnd.elasticsearch+json;compatible-with=9",
])
def test_every_json_mimetype_of_a_regwatch_client_goes_through_orjson(es_url, mimetype) -> None:
    client = store.connect(es_url)
    try:
        serializer = client.transport.serializers.get_serializer(mimetype)
        assert isinstance(serializer, (es_json.OrjsonSerializer, es_json.OrjsonNdjsonSerializer))
        assert ("ndjson" in mimetype) == isinstance(serializer, es_json.OrjsonNdjsonSerializer)
    finally:
        client.close()


def test_notices_and_health_are_stored_as_the_standard_library_stored_them(es, es_url) -> None:
    plain = Elasticsearch(es_url)  # the client's default serializers: the standard library's json
    try:
        store.upsert_notices(es, [NOTICE])  # bulk, through orjson
        stored = plain.get(index=store.NOTICES, id=NOTICE.id)["_source"]
        assert stored == {**NOTICE.to_doc(), "first_seen_at": NOTICE.fetched_at, "announced_at": None}
        assert es.get(index=store.NOTICES, id=NOTICE.id)["_source"] == stored  # read back alike
        polled = _polled()
        doc = health_doc(polled)
        written = store.write_notices(es, [], also=[store.health_action("miit-yjzj", doc)])
        assert not written.also_rejected
        plain.update(index="regwatch-sources", id="plain", doc={"source_id": "miit-yjzj", **doc},
                     doc_as_upsert=True)
        store.refresh_health(es)
        assert plain.get(index="regwatch-sources", id="miit-yjzj")["_source"] == \
            plain.get(index="regwatch-sources", id="plain")["_source"]
    finally:
        plain.close()


def _polled() -> Polled:
    from regwatch.pipeline import PollOutcome

    outcome = PollOutcome("miit-yjzj", error="HTTPError: 503")
    outcome.retry_after = 30
    source = SimpleNamespace(kind="jpaas", id="miit-yjzj")  # all health_doc reads of a Source
    return Polled(source, outcome, [], datetime(2026, 12, 6, 19, 0, 1, 5, tzinfo=timezone.utc),  # type: ignore[arg-type]
                  {"etag": "\"abc\"", "last_modified": None})
