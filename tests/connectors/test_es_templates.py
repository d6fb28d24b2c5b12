"""The pure mapping builder: what a full cluster gets, and what the local node gets."""
from __future__ import annotations

import json

from connectors import es_templates, store

TEXT = ("title", "summary", "body")


def test_a_cluster_with_smartcn_gets_zh_subfields_on_every_text_field() -> None:
    body = es_templates.template("regwatch-notices", "smartcn")
    props = body["mappings"]["properties"]
    for name in TEXT:
        assert props[name]["type"] == "text" and props[name]["analyzer"] == "standard"
        assert props[name]["fields"]["zh"] == {"type": "text", "analyzer": "smartcn"}
    assert props["title"]["fields"]["raw"]["type"] == "keyword"  # kept beside the new subfield
    assert body["mappings"]["dynamic"] == "strict"


def test_without_an_analyzer_the_template_is_the_json_file_as_written() -> None:
    raw = json.loads((es_templates.FOLDER / "notices.json").read_text())
    body = es_templates.template("regwatch-notices", None)
    assert body == {"settings": raw["settings"], "mappings": raw["mappings"]}
    assert "_chinese" not in json.dumps(body) and "_comment" not in json.dumps(body)


def test_building_does_not_change_the_cached_spec() -> None:
    es_templates.template("regwatch-notices", "cjk")
    assert "zh" not in es_templates.template("regwatch-notices", None)["mappings"]["properties"][
        "title"]["fields"]


def test_other_indices_get_no_subfields() -> None:
    for alias in store.INDICES:
        if alias != "regwatch-notices":
            assert es_templates.template(alias, "smartcn") == es_templates.template(alias, None)


def test_facets_are_keywords_and_dates_are_dates() -> None:
    types = es_templates.field_types("regwatch-notices")
    for facet in ("source_id", "issuer", "jurisdiction", "kind", "stage", "level",
                  "standard_numbers", "standard_key", "lang", "url"):
        assert types[facet] == "keyword", facet
    for date in ("published_at", "fetched_at", "comment_deadline"):
        assert types[date] == "date", date
    assert types["blockchain"] == "boolean"
    assert "title.zh" in es_templates.field_types("regwatch-notices", with_chinese=True)


class _FakeIndices:
    def __init__(self, available: set[str]) -> None:
        self.available, self.asked = available, []

    def analyze(self, *, analyzer: str, text: str) -> dict:
        from elastic_transport import ApiResponseMeta, HttpHeaders
        from elasticsearch import BadRequestError

        self.asked.append(analyzer)
        if analyzer not in self.available:
            meta = ApiResponseMeta(400, "1.1", HttpHeaders(), 0.0, None)
            raise BadRequestError(f"failed to find global analyzer [{analyzer}]", meta, {})
        return {"tokens": []}


class _FakeEs:
    def __init__(self, available: set[str]) -> None:
        self.indices = _FakeIndices(available)


def test_detection_picks_the_best_analyzer_the_cluster_has() -> None:
    # Word segmentation first (smartcn, then ICU), character bigrams (cjk) last.
    assert es_templates.detect_chinese_analyzer(_FakeEs({"cjk", "icu_analyzer", "smartcn"})) == "smartcn"
    assert es_templates.detect_chinese_analyzer(_FakeEs({"cjk", "icu_analyzer"})) == "icu_analyzer"
    assert es_templates.detect_chinese_analyzer(_FakeEs({"cjk"})) == "cjk"
    none = _FakeEs(set())
    assert es_templates.detect_chinese_analyzer(none) is None
    assert sorted(none.indices.asked) == ["cjk", "icu_analyzer", "smartcn"]  # each asked about once
