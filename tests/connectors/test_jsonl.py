"""jsonl: records matched and mapped; the file read range by range under the size cap."""
from __future__ import annotations

import json
import re

import pytest

from connectors.catalog import parse_entry
from connectors.errors import HttpStatusError, SourceChanged, SourceUnavailable
from connectors.http import HttpClient, HttpOptions
from connectors.jsonl import fetch, matches, stage_label
from tests.servers import Reply, ScriptedServer

PATH = "/opendata/_latest/iso_deliverables_metadata/json/iso_deliverables_metadata.jsonl"
OURS = re.compile(r"^ISO/TC 307(/|$)")


def record(n: int, committee: str = "ISO/TC 307", **fields) -> dict:
    return {"id": n, "reference": f"ISO {n}:2024", "title": {"en": f"Blockchain — Part {n}"},
            "publicationDate": "2024-05-13", "ownerCommittee": committee, "currentStage": 6060,
            "scope": {"en": "<p>This document <b>specifies</b> terms.</p>"}, **fields}


def lines(*records: dict) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def source(url: str, **options):
    return parse_entry({"id": "t-jsonl", "kind": "jsonl", "url": url, "match": {"ownerCommittee": OURS.pattern},
                        "url_template": "https://www.iso.org/standard/{id}.html",
                        "title_paths": ["reference", "title.en"], "date_path": "publicationDate",
                        "body_path": "scope.en", "stage_code_path": "currentStage", **options}, 1)


def serve_ranges(server: ScriptedServer, body: bytes, etags: list[str] | None = None) -> list[str]:
    """Answer Range requests as the blob store does (206 + Content-Range); return the ranges asked."""
    asked: list[str] = []
    tags = iter(etags or [])

    def reply() -> Reply:
        wanted = server.request_headers[-1].get("Range", "")
        asked.append(wanted)
        first, last = map(int, re.fullmatch(r"bytes=(\d+)-(\d+)", wanted).groups())
        part = body[first:last + 1]
        return Reply(206, part, {"Content-Range": f"bytes {first}-{first + len(part) - 1}/{len(body)}",
                                 "ETag": next(tags, '"0x8DD1"')})

    server.script[PATH] = reply
    return asked


def read(server: ScriptedServer, max_bytes: int = 10 * 1024 * 1024, **options) -> list:
    with HttpClient(HttpOptions(attempts=1, allow_private=True, max_bytes=max_bytes, politeness=0)) as http:
        return fetch(source(server.url(PATH), **options), http, lambda urls: set())


@pytest.mark.parametrize("committee, ours", [
    ("ISO/TC 307", True), ("ISO/TC 307/WG 1", True), ("ISO/TC 3070", False), ("ISO/TC 30", False),
    ("ISO/IEC JTC 1/SC 27", False), (None, False), (307, False),
])
def test_the_committee_pattern_keeps_only_ours(committee, ours) -> None:
    assert matches({"ownerCommittee": committee}, {"ownerCommittee": OURS}) is ours


@pytest.mark.parametrize("code, label", [
    (6060, "60.60"), (9599, "95.99"), ("2000", "20.00"), (905, None), ("60.60", None), (None, None),
])
def test_stage_codes_read_as_iso_prints_them(code, label) -> None:
    assert stage_label(code) == label


def test_a_file_far_larger_than_the_cap_is_read_in_ranges_and_lines_cut_by_a_range_survive(scripted) -> None:
    body = lines(*(record(n, "ISO/TC 176/SC 2" if n % 3 else "ISO/TC 307") for n in range(1, 40)))
    asked = serve_ranges(scripted, body)
    items = read(scripted, max_bytes=300, chunk_bytes=256)  # every range is cut mid-line
    assert [i.title for i in items] == [f"ISO {n}:2024 Blockchain — Part {n}" for n in range(3, 40, 3)]
    assert len(asked) == -(-len(body) // 256) and asked[1] == "bytes=256-511"
    first = items[0]
    assert (first.url, first.published, first.summary, first.body, first.warnings) == (
        "https://www.iso.org/standard/3.html", "2024-05-13", "60.60", "This document specifies terms.", ())


def test_a_server_that_ignores_range_answers_the_whole_file(scripted) -> None:
    scripted.script[PATH] = [Reply(200, lines(record(1), record(2, "ISO/TC 22")))]
    assert [i.url for i in read(scripted, chunk_bytes=16)] == ["https://www.iso.org/standard/1.html"]


def test_a_whole_file_over_the_cap_is_refused_not_truncated(scripted) -> None:
    scripted.script[PATH] = [Reply(200, lines(*(record(n) for n in range(50))))]
    with pytest.raises(SourceUnavailable, match="larger than"):
        read(scripted, max_bytes=1000)


def test_a_file_replaced_between_two_ranges_stops_the_read(scripted) -> None:
    serve_ranges(scripted, lines(*(record(n) for n in range(20))), etags=['"0x8DD1"', '"0x8DD2"'])
    with pytest.raises(SourceUnavailable, match="replaced while it was being read"):
        read(scripted, chunk_bytes=512)


def test_records_without_a_title_or_an_id_are_dropped_and_duplicates_kept_once(scripted) -> None:
    body = lines(record(1), record(1), {"id": 2, "ownerCommittee": "ISO/TC 307"},
                 {"reference": "ISO 3", "ownerCommittee": "ISO/TC 307"})
    serve_ranges(scripted, body)
    assert [i.url for i in read(scripted)] == ["https://www.iso.org/standard/1.html"]


def test_unreadable_lines_are_skipped_and_said_on_what_was_read(scripted) -> None:
    serve_ranges(scripted, lines(record(1)) + b'{"id": 2, "ownerCommittee": "ISO/TC 3\n' + b"\xff\xfe\n")
    [item] = read(scripted)
    assert item.warnings == ("skipped 2 unreadable line(s) of the file",)


@pytest.mark.parametrize("reply", [
    Reply(200, b"<html><body>The specified blob does not exist.</body></html>"),
    Reply(206, lines(record(1)), {"Content-Range": "bytes 0-10/*"}),
])
def test_an_answer_that_is_not_the_file_is_a_changed_source(scripted, reply) -> None:
    scripted.script[PATH] = [reply]
    with pytest.raises(SourceChanged):
        read(scripted)


def test_a_missing_file_is_an_http_error(scripted) -> None:
    scripted.script[PATH] = [Reply(404, b"BlobNotFound")]
    with pytest.raises(HttpStatusError) as caught:
        read(scripted)
    assert caught.value.status == 404
