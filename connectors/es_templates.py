"""Index templates: the JSON files in connectors/mappings plus the Chinese subfields a cluster has.

The JSON files are the one source of truth for every mapping. A file may name text fields under
``_chinese``: each gets a ``<field>.zh`` subfield analysed by the best Chinese analyzer the
cluster offers, or none when it has none (the integ-test-zip node only has ``standard``).
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from elasticsearch import ApiError, Elasticsearch

from records.settings import SettingError, setting

FOLDER = Path(__file__).resolve().parent / "mappings"
# Best first: smartcn segments words, icu_analyzer uses a dictionary for CJK, cjk makes bigrams.
CHINESE_ANALYZERS = ("smartcn", "icu_analyzer", "cjk")
SUBFIELD = "zh"


@lru_cache(maxsize=None)
def spec(alias: str) -> dict[str, Any]:
    """Return the JSON spec of one alias (regwatch-notices -> notices.json), as written."""
    return json.loads((FOLDER / f"{alias.removeprefix('regwatch-')}.json").read_text())


def template(alias: str, chinese_analyzer: str | None) -> dict[str, Any]:
    """Return the template body (settings, mappings) with Chinese subfields when given one."""
    raw = spec(alias)
    mappings = copy.deepcopy(raw["mappings"])
    if chinese_analyzer:
        for path in raw.get("_chinese", []):
            _property(mappings, path).setdefault("fields", {})[SUBFIELD] = {
                "type": "text", "analyzer": chinese_analyzer}
    return {"settings": {**raw["settings"], "number_of_replicas": replicas()}, "mappings": mappings}


def replicas() -> int:
    """REGWATCH_ES_REPLICAS: replicas of every regwatch index (0 or more); else one SettingError."""
    raw = setting("REGWATCH_ES_REPLICAS")
    if not raw.isdigit():
        raise SettingError(f"REGWATCH_ES_REPLICAS must be 0 or a positive whole number, not {raw!r}")
    return int(raw)


def sync_replicas(es: Elasticsearch, aliases: Iterable[str]) -> list[str]:
    """Give existing indices the configured replica count in place; return the indices changed.

    The number of replicas is a dynamic setting: growing a single node into a cluster, or a
    cluster back, needs no reindex. Indices that already agree are left alone (no master update).
    """
    want, changed = str(replicas()), []
    current = es.indices.get_settings(index=",".join(aliases), name="index.number_of_replicas")
    for index, body in current.items():
        if body["settings"]["index"]["number_of_replicas"] != want:
            es.indices.put_settings(index=index, settings={"index": {"number_of_replicas": int(want)}})
            changed.append(index)
    return sorted(changed)


def detect_chinese_analyzer(es: Elasticsearch) -> str | None:
    """Return the best Chinese analyzer this cluster has, asking `_analyze` for each in turn."""
    for name in CHINESE_ANALYZERS:
        try:
            es.indices.analyze(analyzer=name, text="区块链标准")
        except ApiError as exc:
            # 400: unknown analyzer. 403: the user may not analyze; then fall back quietly too.
            if exc.status_code in (400, 403, 404):
                continue
            raise
        return name
    return None


def field_types(alias: str, *, with_chinese: bool = False) -> dict[str, str]:
    """Return every field path of an alias with its type, multi-fields included (title.raw…)."""
    mappings = template(alias, CHINESE_ANALYZERS[-1] if with_chinese else None)["mappings"]
    return dict(_walk(mappings["properties"], ""))


def _walk(props: dict[str, Any], prefix: str) -> Iterator[tuple[str, str]]:
    for name, prop in props.items():
        path = f"{prefix}{name}"
        if "properties" in prop:
            yield from _walk(prop["properties"], f"{path}.")
            continue
        yield path, prop["type"]
        yield from ((f"{path}.{sub}", p["type"]) for sub, p in prop.get("fields", {}).items())


def _property(mappings: dict[str, Any], path: str) -> dict[str, Any]:
    node: dict[str, Any] = mappings
    for part in path.split("."):
        node = node["properties"][part]
    return node
