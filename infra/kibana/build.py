"""Generate infra/kibana/regwatch.ndjson: data views, saved searches, Lens panels, one dashboard.

Run `python -m infra.kibana.build` after changing a mapping or a saved search; a test fails
while the committed file differs from what this writes. Versions are those of Kibana 8.8/8.9
exports: Kibana 9 migrates older objects on import, and rejects newer ones.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from connectors import es_templates
from infra.kibana import lens
from infra.kibana.searches import NOTICES, SEARCHES, SOURCES, SavedSearch, kql

PATH = Path(__file__).resolve().with_name("regwatch.ndjson")
CORE = "8.8.0"
DASHBOARD = "regwatch-overview"
# The data view of each alias: its time field (None: every document, whatever the time picker).
DATA_VIEWS = {NOTICES: ("Regwatch notices", "published_at"),
              SOURCES: ("Regwatch publishers", None)}
# Labels Discover shows for fields whose name says little to an analyst.
FIELD_LABELS = {NOTICES: {"title_en": "English title",
                          "title_en_origin": "English title from (publisher or gloss)"}}


def data_view(alias: str) -> dict[str, Any]:
    """A data view on one alias; `url` is rendered as a link."""
    name, time_field = DATA_VIEWS[alias]
    attrs: dict[str, Any] = {"title": alias, "name": name}
    if time_field:
        attrs["timeFieldName"] = time_field
    labels = {f: label for f, label in FIELD_LABELS.get(alias, {}).items()
              if f in es_templates.field_types(alias)}
    if labels:
        attrs["fieldAttrs"] = json.dumps({f: {"customLabel": label} for f, label in labels.items()},
                                         ensure_ascii=False)
    if "url" in es_templates.field_types(alias):
        attrs["fieldFormatMap"] = json.dumps({"url": {"id": "url", "params": {"labelTemplate": "{{value}}"}}})
    return {"type": "index-pattern", "id": alias, "attributes": attrs, "references": [],
            "coreMigrationVersion": CORE, "typeMigrationVersion": "8.0.0"}


def saved_search(search: SavedSearch) -> dict[str, Any]:
    """A classic saved search (Kibana 9 migrates it into a Discover session)."""
    source = {"query": {"query": kql(search.filters), "language": "kuery"}, "filter": [],
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    attrs: dict[str, Any] = {
        "title": search.title, "description": search.description, "columns": list(search.columns),
        "sort": [list(pair) for pair in search.sort], "grid": {}, "hideChart": False,
        "isTextBasedQuery": False, "timeRestore": search.time_from is not None,
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source, ensure_ascii=False)}}
    if search.time_from:
        attrs["timeRange"] = {"from": search.time_from, "to": "now"}
    return {"type": "search", "id": search.id, "attributes": attrs,
            "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                            "type": "index-pattern", "id": search.index}],
            "coreMigrationVersion": CORE, "typeMigrationVersion": "8.0.0"}


def visualisations() -> list[dict[str, Any]]:
    """The dashboard's Lens panels."""
    drafts = kql({"blockchain": True, "stage": ["draft"]})
    return [
        lens.bars_over_time("regwatch-notices-by-issuer", "Notices over time by issuer", NOTICES,
                            "published_at", "issuer", "Issuer"),
        lens.bars_over_time("regwatch-notices-by-stage", "Notices over time by stage", NOTICES,
                            "published_at", "stage", "Stage"),
        lens.table("regwatch-latest-drafts", "Latest blockchain drafts and their deadlines", NOTICES, {
            "title": lens.top("title.raw", "Draft", 20, "published"),
            "published": lens.latest("published_at", "Published"),
            "deadline": lens.latest("comment_deadline", "Comment deadline")}, query=drafts),
        lens.table("regwatch-publisher-health", "Publisher health", SOURCES, {
            "source": lens.top("source_id", "Publisher", 500),
            "status": lens.top("status", "Status", 10, "attempt"),
            "state": lens.top("state", "State", 10, "attempt"),
            "attempt": lens.latest("last_attempt", "Last attempt"),
            "success": lens.latest("last_success", "Last success"),
            "newest": lens.latest("newest_published", "Newest notice")}),
        # publisher_health's verdict per publisher; stale split by why (no-success, quiet).
        lens.bars_by("regwatch-publisher-states", "Publishers by state", SOURCES, "state", "State",
                     "state_reason", "Reason", "Publishers"),
    ]


def dashboard(panels: list[tuple[str, str, int, int, int, int]]) -> dict[str, Any]:
    """A dashboard of by-reference panels: (type, id, x, y, w, h) each."""
    entries, refs = [], []
    for n, (kind, oid, x, y, w, h) in enumerate(panels, 1):
        index = f"p{n}"
        entries.append({"type": kind, "panelIndex": index, "version": "8.9.0",
                        "gridData": {"x": x, "y": y, "w": w, "h": h, "i": index},
                        "embeddableConfig": {"enhancements": {}}, "panelRefName": f"panel_{index}"})
        refs.append({"name": f"{index}:panel_{index}", "type": kind, "id": oid})
    options = {"useMargins": True, "syncColors": False, "syncCursor": True, "syncTooltips": False,
               "hidePanelTitles": False}
    source = {"query": {"query": "", "language": "kuery"}, "filter": []}
    return {"type": "dashboard", "id": DASHBOARD, "attributes": {
                "title": "Regwatch: blockchain standards and publishers",
                "description": "Notices over time by issuer and stage, the latest blockchain drafts "
                               "and their deadlines, and the health of every publisher.",
                "panelsJSON": json.dumps(entries), "optionsJSON": json.dumps(options),
                "timeRestore": True, "timeFrom": "now-1y", "timeTo": "now",
                "refreshInterval": {"pause": True, "value": 0},
                "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)}},
            "references": refs, "coreMigrationVersion": CORE, "typeMigrationVersion": "8.9.0"}


def objects() -> list[dict[str, Any]]:
    """Every saved object, dependencies first (data views, searches, Lens, dashboard)."""
    lenses = visualisations()
    layout = [("lens", lenses[0]["id"], 0, 0, 24, 15), ("lens", lenses[1]["id"], 24, 0, 24, 15),
              ("lens", lenses[2]["id"], 0, 15, 24, 15), ("lens", lenses[3]["id"], 24, 15, 24, 15),
              ("lens", lenses[4]["id"], 0, 30, 24, 15), ("search", SEARCHES[0].id, 24, 30, 24, 15)]
    return [data_view(NOTICES), data_view(SOURCES), *map(saved_search, SEARCHES), *lenses,
            dashboard(layout)]


def render() -> str:
    """Return the NDJSON text: one object per line, keys sorted so diffs stay readable."""
    return "".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in objects())


def main(argv: list[str] | None = None) -> int:
    """Write the NDJSON file, or with --check say whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        stale = not PATH.exists() or PATH.read_text(encoding="utf-8") != text
        print(f"{PATH.name}: {'stale, run python -m infra.kibana.build' if stale else 'up to date'}")
        return 1 if stale else 0
    PATH.write_text(text, encoding="utf-8")
    print(f"wrote {PATH} ({len(objects())} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
