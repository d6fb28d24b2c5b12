"""The committed Kibana NDJSON: importable by Kibana 9, consistent with the mappings, not stale."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest

from connectors import es_templates
from infra.kibana import build
from infra.kibana.searches import SEARCHES, kql, presets
from regwatch import cli
from regwatch.commands.notices import search_spec

KNOWN_TYPES = {"index-pattern", "search", "lens", "dashboard"}
# Exactly what a Kibana 8.8/8.9 export carries: Kibana 9 migrates these on import and refuses an
# object migrated by a newer Kibana than itself, so a bump here must be checked against a real one.
TYPE_MIGRATION_VERSIONS = {"index-pattern": "8.0.0", "search": "8.0.0", "lens": "8.9.0",
                           "dashboard": "8.9.0"}
CORE_MIGRATION_VERSION = "8.8.0"
JSON_STRINGS = {"index-pattern": ["fieldFormatMap"], "search": ["kibanaSavedObjectMeta.searchSourceJSON"],
                "dashboard": ["panelsJSON", "optionsJSON", "kibanaSavedObjectMeta.searchSourceJSON"]}
KQL_FIELD = re.compile(r"(?:^|\(|\band |\bor |\bnot )\s*([A-Za-z_][\w.]*)\s*(?::|>=|<=|>|<)")


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    lines = build.PATH.read_text(encoding="utf-8").splitlines()
    assert lines and all(line.strip() for line in lines), "no blank lines in NDJSON"
    return [json.loads(line) for line in lines]


def _attr(obj: dict[str, Any], dotted: str) -> Any:
    node: Any = obj["attributes"]
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def test_committed_file_is_what_the_generator_writes() -> None:
    assert build.PATH.read_text(encoding="utf-8") == build.render(), \
        "stale: run `.venv/bin/python -m infra.kibana.build`"
    assert build.main(["--check"]) == 0


def test_known_types_unique_ids_and_importable_versions(objects) -> None:
    keys = [f"{o['type']}:{o['id']}" for o in objects]
    assert len(keys) == len(set(keys))
    for o in objects:
        assert o["type"] in KNOWN_TYPES and o["id"] and isinstance(o["attributes"], dict)
        assert o["typeMigrationVersion"] == TYPE_MIGRATION_VERSIONS[o["type"]], o["id"]
        assert o["coreMigrationVersion"] == CORE_MIGRATION_VERSION, o["id"]
        assert _attr(o, "title")


def test_json_string_fields_parse(objects) -> None:
    for o in objects:
        for name in JSON_STRINGS.get(o["type"], []):
            value = _attr(o, name)
            if value is not None or o["type"] != "index-pattern":
                assert isinstance(value, str), f"{o['id']}: {name} must be a JSON string"
                json.loads(value)


def test_every_reference_resolves_within_the_file(objects) -> None:
    present = {(o["type"], o["id"]) for o in objects}
    for o in objects:
        names = [r["name"] for r in o["references"]]
        assert len(names) == len(set(names)), o["id"]
        for ref in o["references"]:
            assert (ref["type"], ref["id"]) in present, f"{o['id']} -> {ref}"


def test_searches_and_panels_name_their_references(objects) -> None:
    for o in objects:
        refs = {r["name"]: r for r in o["references"]}
        if o["type"] == "search":
            source = json.loads(_attr(o, "kibanaSavedObjectMeta.searchSourceJSON"))
            assert refs[source["indexRefName"]]["type"] == "index-pattern"
            assert source["query"]["language"] == "kuery"
        if o["type"] == "dashboard":
            panels = json.loads(o["attributes"]["panelsJSON"])
            assert len({p["panelIndex"] for p in panels}) == len(panels)
            for p in panels:
                assert p["gridData"]["i"] == p["panelIndex"]
                assert refs[f"{p['panelIndex']}:{p['panelRefName']}"]["type"] == p["type"]
        if o["type"] == "lens":
            layers = o["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
            for layer_id, layer in layers.items():
                assert refs[f"indexpattern-datasource-layer-{layer_id}"]["type"] == "index-pattern"
                assert sorted(layer["columnOrder"]) == sorted(layer["columns"])


def _alias(o: dict[str, Any], objects: list[dict[str, Any]]) -> str:
    ids = [r["id"] for r in o["references"] if r["type"] == "index-pattern"]
    views = {v["id"]: v["attributes"]["title"] for v in objects if v["type"] == "index-pattern"}
    assert len(set(ids)) == 1, o["id"]
    return views[ids[0]]


def _fields_used(o: dict[str, Any]) -> set[str]:
    a = o["attributes"]
    if o["type"] == "index-pattern":
        return {a.get("timeFieldName"), *json.loads(a.get("fieldFormatMap", "{}")),
                *json.loads(a.get("fieldAttrs", "{}"))} - {None}
    if o["type"] == "search":
        query = json.loads(a["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
        return {*a["columns"], *(s[0] for s in a["sort"]), *KQL_FIELD.findall(query)}
    if o["type"] == "lens":
        cols = [c for layer in a["state"]["datasourceStates"]["formBased"]["layers"].values()
                for c in layer["columns"].values()]
        return ({c["sourceField"] for c in cols} - {"___records___"}) | set(
            KQL_FIELD.findall(a["state"]["query"]["query"]))
    return set()


def test_every_field_used_exists_in_the_mapping(objects) -> None:
    for o in objects:
        if o["type"] == "dashboard":
            continue
        alias = o["attributes"]["title"] if o["type"] == "index-pattern" else _alias(o, objects)
        fields = es_templates.field_types(alias)
        used = _fields_used(o)
        assert used or o["type"] == "index-pattern", o["id"]
        assert used <= set(fields), f"{o['id']}: {sorted(used - set(fields))} not in {alias}"


def test_the_issue_asks_for_these_objects(objects) -> None:
    by_id = {(o["type"], o["id"]): o for o in objects}
    notices = by_id[("index-pattern", "regwatch-notices")]["attributes"]
    assert notices["title"] == "regwatch-notices" and notices["timeFieldName"] == "published_at"
    assert by_id[("index-pattern", "regwatch-sources")]["attributes"]["title"] == "regwatch-sources"
    assert {o["id"] for o in objects if o["type"] == "search"} == {s.id for s in SEARCHES}
    dash = by_id[("dashboard", build.DASHBOARD)]
    lens_ids = {r["id"] for r in dash["references"] if r["type"] == "lens"}
    assert lens_ids == {o["id"] for o in objects if o["type"] == "lens"} and len(lens_ids) >= 4


def test_notices_show_the_english_title(objects) -> None:
    by_id = {(o["type"], o["id"]): o for o in objects}
    labels = json.loads(by_id[("index-pattern", "regwatch-notices")]["attributes"]["fieldAttrs"])
    assert labels["title_en"] == {"customLabel": "English title"}
    for search in (o for o in objects if o["type"] == "search" and _alias(o, objects) == "regwatch-notices"):
        columns = search["attributes"]["columns"]
        assert columns[columns.index("title") + 1] == "title_en", search["id"]


def test_kql_of_each_saved_search() -> None:
    assert {s.id: kql(s.filters) for s in SEARCHES} == {
        "regwatch-open-blockchain-drafts": 'blockchain : true and stage : "draft" and '
            '(comment_deadline >= "now/d" or not comment_deadline : *) and published_at >= "now-1y"',
        "regwatch-new-blockchain-standards": 'blockchain : true and kind : "standard" and '
            'stage : "published" and published_at >= "now-30d"',
        "regwatch-broken-publishers": 'status : ("blocked" or "changed")',
    }
    assert kql({"issuer": ['工业和信息化部', 'say "hi"']}) == 'issuer : ("工业和信息化部" or "say \\"hi\\"")'


@pytest.mark.parametrize("search", [s for s in SEARCHES if s.preset], ids=lambda s: s.preset)
def test_cli_preset_runs_the_saved_search(search) -> None:
    args = cli.build_parser().parse_args(["search", "--preset", search.preset])
    assert search_spec(args) == (search.filters, search.sort)
    narrowed = cli.build_parser().parse_args(["search", "--preset", search.preset, "--level", "national"])
    assert search_spec(narrowed)[0] == {**search.filters, "level": ["national"]}


def test_flags_spell_the_same_filters_as_the_presets() -> None:
    args = cli.build_parser().parse_args(
        ["search", "--blockchain", "--stage", "draft", "--open-deadline", "--since", "now-1y"])
    assert search_spec(args) == (presets()["open-drafts"].filters, ())


def test_a_chart_shows_publishers_by_state_and_stale_reason(objects) -> None:
    by_id = {o["id"]: o for o in objects}
    chart = by_id["regwatch-publisher-states"]
    [layer] = chart["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values()
    fields = {c["sourceField"] for c in layer["columns"].values()}
    assert fields == {"state", "state_reason", "___records___"} and _alias(chart, objects) == "regwatch-sources"
    dash = by_id[build.DASHBOARD]
    assert "regwatch-publisher-states" in {r["id"] for r in dash["references"]}
