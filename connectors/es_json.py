"""JSON for the Elasticsearch client: orjson in place of the standard library's json module.

A poll cycle of thousands of notices spent a tenth of its CPU time in json.dumps (bulk bodies)
and more in json.loads (mget and search answers). orjson does both several times faster.

The output is what the standard library's serializer gave, value for value: orjson's own
datetime format and its refusal of non-str dict keys are turned off (datetimes and dates go
through the client's `default`, i.e. isoformat(); int, float, bool and None keys become
strings, as json.dumps makes them), and what orjson refuses (integers beyond 64 bits, lone
surrogates) is handed to json.dumps as before. The differences left: NaN and infinities become
null (json.dumps wrote NaN, which Elasticsearch refuses) and floats are written in their
shortest form (1e-05 as 1e-5, the same number).
"""
from __future__ import annotations

from typing import Any

import orjson
from elasticsearch.serializer import JsonSerializer, NdjsonSerializer, Serializer

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class _Orjson:
    """json_dumps/json_loads with orjson, for either serializer below (the next class in the
    MRO is the standard library one: what orjson refuses goes to it)."""

    default: Any

    def json_dumps(self, data: Any) -> bytes:
        try:
            return orjson.dumps(data, default=self.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().json_dumps(data)  # type: ignore[misc]  # its answer or its error, as before

    def json_loads(self, data: bytes) -> Any:
        return orjson.loads(data)


class OrjsonSerializer(_Orjson, JsonSerializer):
    """application/json (and Elasticsearch's compatibility mimetype of it) with orjson."""


class OrjsonNdjsonSerializer(_Orjson, NdjsonSerializer):
    """application/x-ndjson (bulk and msearch bodies) with orjson, line by line."""


def serializers() -> dict[str, Serializer]:
    """The `serializers=` of every client regwatch builds (store.connect).

    Each mimetype the 9.x client sends or receives JSON under: it sends
    ``application/vnd.elasticsearch+json; compatible-with=9`` (and ``+x-ndjson`` for bulk),
    and the server answers in the same; the parameters after ``;`` are not part of the key.
    """
    json, ndjson = OrjsonSerializer(), OrjsonNdjsonSerializer()
    return {"application/json": json, "application/vnd.elasticsearch+json": json,
            "application/x-ndjson": ndjson, "application/vnd.elasticsearch+x-ndjson": ndjson}
