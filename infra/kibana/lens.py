"""Lens visualisations (form-based layers) built from a small description of their columns.

Column data types come from the index mapping, so a renamed or retyped field fails the build.
"""
from __future__ import annotations

from typing import Any

from connectors import es_templates

COUNT = "___records___"  # Lens' pseudo-field for "count of documents"
_TYPES = {"keyword": "string", "text": "string", "date": "date", "boolean": "boolean",
          "long": "number", "integer": "number"}


def count(label: str = "Notices") -> dict[str, Any]:
    """A count-of-documents metric column."""
    return {"label": label, "customLabel": True, "dataType": "number", "operationType": "count",
            "isBucketed": False, "scale": "ratio", "sourceField": COUNT,
            "params": {"emptyAsNull": True}}


def over_time(field: str) -> dict[str, Any]:
    """A date histogram bucket column with Kibana's automatic interval."""
    return {"label": field, "dataType": "date", "operationType": "date_histogram",
            "isBucketed": True, "scale": "interval", "sourceField": field,
            "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False}}


def top(field: str, label: str, size: int, order_by: str | None = None) -> dict[str, Any]:
    """A top-values bucket column, ordered by another column (desc) or alphabetically."""
    order = {"type": "column", "columnId": order_by} if order_by else {"type": "alphabetical",
                                                                        "fallback": False}
    return {"label": label, "customLabel": True, "dataType": "string", "operationType": "terms",
            "isBucketed": True, "scale": "ordinal", "sourceField": field,
            "params": {"size": size, "orderBy": order, "orderDirection": "desc" if order_by else "asc",
                       "otherBucket": False, "missingBucket": False,
                       "parentFormat": {"id": "terms"}}}


def latest(field: str, label: str) -> dict[str, Any]:
    """The maximum (latest) value of a date field, as a metric column."""
    return {"label": label, "customLabel": True, "dataType": "date", "operationType": "max",
            "isBucketed": False, "scale": "ratio", "sourceField": field,
            "params": {"emptyAsNull": True}}


def lens(oid: str, title: str, alias: str, columns: dict[str, dict[str, Any]],
         visualization: dict[str, Any], vis_type: str, query: str = "") -> dict[str, Any]:
    """Return a Lens saved object with one layer over the alias' data view."""
    _check_fields(alias, columns)
    layer = visualization.get("layerId") or visualization["layers"][0]["layerId"]
    state = {"datasourceStates": {"formBased": {"layers": {layer: {
                 "columns": columns, "columnOrder": list(columns), "incompleteColumns": {},
                 "sampling": 1}}}},
             "visualization": visualization, "query": {"language": "kuery", "query": query},
             "filters": [], "internalReferences": [], "adHocDataViews": {}}
    return {"type": "lens", "id": oid,
            "attributes": {"title": title, "description": "", "visualizationType": vis_type,
                           "state": state},
            "references": [{"type": "index-pattern", "id": alias,
                            "name": f"indexpattern-datasource-layer-{layer}"}],
            "coreMigrationVersion": "8.8.0", "typeMigrationVersion": "8.9.0"}


def bars_over_time(oid: str, title: str, alias: str, time_field: str, split: str,
                   split_label: str) -> dict[str, Any]:
    """Stacked bars: documents per time bucket, split by the top values of one field."""
    layer = f"{oid}-layer"
    columns = {"time": over_time(time_field), "split": top(split, split_label, 10, "count"),
               "count": count()}
    vis = {"legend": {"isVisible": True, "position": "right"}, "valueLabels": "hide",
           "fittingFunction": "None", "preferredSeriesType": "bar_stacked",
           "layers": [{"layerId": layer, "layerType": "data", "seriesType": "bar_stacked",
                       "accessors": ["count"], "xAccessor": "time", "splitAccessor": "split",
                       "position": "top", "showGridlines": False}]}
    return lens(oid, title, alias, columns, vis, "lnsXY")


def bars_by(oid: str, title: str, alias: str, field: str, label: str, split: str,
            split_label: str, count_label: str) -> dict[str, Any]:
    """Stacked bars: documents per top value of one field, split by the top values of another."""
    layer = f"{oid}-layer"
    columns = {"x": top(field, label, 10, "count"), "split": top(split, split_label, 5, "count"),
               "count": count(count_label)}
    vis = {"legend": {"isVisible": True, "position": "right"}, "valueLabels": "show",
           "fittingFunction": "None", "preferredSeriesType": "bar_stacked",
           "layers": [{"layerId": layer, "layerType": "data", "seriesType": "bar_stacked",
                       "accessors": ["count"], "xAccessor": "x", "splitAccessor": "split",
                       "position": "top", "showGridlines": False}]}
    return lens(oid, title, alias, columns, vis, "lnsXY")


def table(oid: str, title: str, alias: str, columns: dict[str, dict[str, Any]],
          query: str = "") -> dict[str, Any]:
    """A data table of the given bucket and metric columns."""
    layer = f"{oid}-layer"
    vis = {"layerId": layer, "layerType": "data",
           "columns": [{"columnId": c, "isTransposed": False} for c in columns]}
    return lens(oid, title, alias, columns, vis, "lnsDatatable", query)


def _check_fields(alias: str, columns: dict[str, dict[str, Any]]) -> None:
    types = es_templates.field_types(alias)
    for column in columns.values():
        name = column["sourceField"]
        if name == COUNT:
            continue
        if name not in types:
            raise ValueError(f"{alias} has no field {name!r}")
        if column["operationType"] == "terms":
            column["dataType"] = _TYPES.get(types[name], "string")
