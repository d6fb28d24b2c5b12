"""json-api: dotted paths, HTML-free text, title stripping, paging stops, broken answers."""
from __future__ import annotations

import json

import pytest

from connectors.catalog import parse_entry
from connectors.errors import SourceChanged
from connectors.http import HttpClient, HttpOptions, parse_json
from connectors.json_api import fetch, lookup, parse_items
from tests.servers import Reply

DATA = {"results": [{"title": "A", "html_url": "https://x.gov/d/1", "agencies": [{"name": "OCC"}], "n": 0}]}


def source(url: str = "https://csrc.nist.gov/feed.json", **options):
    return parse_entry({"id": "t-json", "kind": "json-api", "url": url, "items_path": "results", **options}, 1)


@pytest.mark.parametrize("path, expected", [
    ("results.0.title", "A"), ("results.0.agencies.0.name", "OCC"), ("results.-1.n", 0),
    ("results.5.title", None), ("results.x", None), ("missing", None), (None, None),
])
def test_dotted_paths(path, expected) -> None:
    assert lookup(DATA, path) == expected


def test_items_map_fields_strip_stage_suffix_html_and_duplicates() -> None:
    data = {"entries": [
        {"title": "NIST IR 8472 Non-Fungible Token Security (Initial Public Draft)", "link": "/pubs/ir/8472/ipd",
         "content": "<p><strong>Comments Due:</strong> 1/15/2027</p>", "published": "2026-11-16T00:00:00-05:00"},
        {"title": "dup", "link": "/pubs/ir/8472/ipd"}, {"title": "", "link": "/x"}, {"title": "no link"}, "junk"]}
    opts = source(items_path="entries", url_path="link", body_path="content", date_path="published",
                  title_strip=r"\s*\((?:Initial|2nd) Public Draft\)$").options
    [item] = parse_items(data, source(), opts)
    assert (item.title, item.url, item.body, item.published) == (
        "NIST IR 8472 Non-Fungible Token Security", "https://csrc.nist.gov/pubs/ir/8472/ipd",
        "Comments Due: 1/15/2027", "2026-11-16T00:00:00-05:00")


@pytest.mark.parametrize("body", ["<html>busy</html>", '{"results": ['])
def test_malformed_json_is_a_changed_source(body) -> None:
    with pytest.raises(SourceChanged, match="malformed JSON"):
        parse_json(body, "u")


def test_no_list_at_the_items_path_is_a_changed_source() -> None:
    with pytest.raises(SourceChanged, match="no list at 'results'"):
        parse_items({"errors": ["bad"]}, source(), source(items_path="results").options)


def fr_page(*numbers: int, total_pages: int = 9) -> Reply:
    results = [{"title": f"Doc {n}", "html_url": f"https://www.federalregister.gov/d/{n}"} for n in numbers]
    return Reply(200, json.dumps({"total_pages": total_pages, "results": results}).encode())


@pytest.mark.parametrize("options, replies, requests", [
    ({"pages": 5}, [fr_page(1, 2), fr_page(3), fr_page()], 3),                   # an empty page ends
    ({"pages": 5}, [fr_page(1, total_pages=2), fr_page(2, total_pages=2)], 2),  # total_pages ends
    ({"pages": 2}, [fr_page(1), fr_page(2), fr_page(3)], 2),                    # configured pages
    ({"pages": 5, "page_param": None}, [fr_page(1)], 1),                        # no paging configured
])
def test_paging_stops(scripted, options, replies, requests) -> None:
    calls = iter(replies + [Reply(500)])
    scripted.script["/api/v1/documents.json"] = lambda: next(calls)
    src = source(scripted.url("/api/v1/documents.json"), **{
        "url_path": "html_url", "params": {"conditions[term]": "blockchain", "fields[]": ["title", "html_url"]},
        "page_param": "page", "total_pages_path": "total_pages", **options})
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        fetch(src, http, lambda urls: set())
    hits = list(scripted.hits)
    assert len(hits) == requests
    assert "conditions%5Bterm%5D=blockchain" in hits[0] and "fields%5B%5D=title&fields%5B%5D=html_url" in hits[0]
