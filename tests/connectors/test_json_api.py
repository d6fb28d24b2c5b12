"""json-api: dotted paths, HTML-free text, title stripping, paging stops, broken answers, POST bodies, row hints."""
from __future__ import annotations

import json
import shutil
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs

import pytest
import yaml

from connectors.catalog import load_catalog, parse_entry
from connectors.errors import SourceBlocked, SourceChanged
from connectors.http import HttpClient, HttpOptions, parse_json
from connectors.json_api import fetch, fill, lookup, parse_items
from infra.replay import ReplayServer
from regwatch.pipeline import rebase_for
from tests.conftest import FIXTURES
from tests.servers import Reply
from transforms.dates import to_date

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


# ---- POST bodies, templates, row hints (the sacinfo platforms and ttbz) ------------------------

class _Capture(BaseHTTPRequestHandler):
    """Records each POST (headers and parsed body) and answers with the page its body asks for."""

    server: _CaptureServer

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        json_body = "json" in (self.headers.get("Content-Type") or "")
        fields = json.loads(raw) if json_body else parse_qs(raw, keep_blank_values=True)
        self.server.seen.append((dict(self.headers), fields))
        self.server.paths.append(self.path)
        status, body = self.server.answer(fields)
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _CaptureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Capture)
        self.seen: list[tuple[dict[str, str], Any]] = []
        self.paths: list[str] = []
        self.answer: Callable[[Any], tuple[int, bytes]] = lambda fields: (404, b"")
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def capture() -> Iterator[_CaptureServer]:
    server = _CaptureServer()
    yield server
    server.shutdown()
    server.server_close()


def sacinfo_page(current: int, pages: int, *codes: str) -> bytes:
    records = [{"pk": f"PK{c}", "code": c, "chName": f"区块链 {c}", "status": "现行"} for c in codes]
    return json.dumps({"current": current, "pages": pages, "records": records}).encode()


def sacinfo(url: str, **options: Any):
    return source(url, **{"method": "POST", "fields": {"size": "2", "key": "区块链", "status[]": ["现行", "即将实施"]},
                          "headers": {"X-Requested-With": "XMLHttpRequest"}, "page_param": "current",
                          "items_path": "records", "title_path": "chName", "url_template": "/stdDetail/{pk}",
                          "total_pages_path": "pages", "pages": 5, **options})


def fetch_from(server: _CaptureServer, src) -> list:
    with HttpClient(HttpOptions(attempts=1, allow_private=True)) as http:
        return fetch(src, http, lambda urls: set())


def test_a_form_post_repeats_list_fields_and_puts_the_page_in_the_body(capture) -> None:
    capture.answer = lambda f: (200, sacinfo_page(int(f["current"][0]), 2, f"JR/T 018{f['current'][0]}-2020"))
    items = fetch_from(capture, sacinfo(capture.url("/stdQueryList")))
    (headers, first), (_, second) = capture.seen
    assert first == {"current": ["1"], "size": ["2"], "key": ["区块链"], "status[]": ["现行", "即将实施"]}
    assert second["current"] == ["2"] and headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["X-Requested-With"] == "XMLHttpRequest"
    assert [i.url for i in items] == [capture.url("/stdDetail/PKJR/T 0181-2020"), capture.url("/stdDetail/PKJR/T 0182-2020")]


def test_a_json_body_carries_the_same_fields_and_params_stay_in_the_query(capture) -> None:
    capture.answer = lambda f: (200, sacinfo_page(1, 1, "YD/T 3747-2020"))
    fetch_from(capture, sacinfo(capture.url("/q"), body="json", params={"lang": "zh"}))
    [(headers, body)] = capture.seen
    assert headers["Content-Type"] == "application/json" and capture.paths == ["/q?lang=zh"]
    assert body == {"size": "2", "key": "区块链", "status[]": ["现行", "即将实施"], "current": "1"}


@pytest.mark.parametrize("pages, answers, requests", [
    (5, [sacinfo_page(1, 3, "A 1-2020"), sacinfo_page(2, 3, "A 2-2020"), sacinfo_page(3, 3, "A 3-2020")], 3),
    (2, [sacinfo_page(1, 9, "A 1-2020"), sacinfo_page(2, 9, "A 2-2020")], 2),            # the configured cap
    (5, [sacinfo_page(1, 9, "A 1-2020"), sacinfo_page(2, 9)], 2),                        # an empty page
])
def test_post_paging_stops(capture, pages, answers, requests) -> None:
    capture.answer = lambda f: (200, answers[int(f["current"][0]) - 1])
    fetch_from(capture, sacinfo(capture.url("/q"), pages=pages))
    assert len(capture.seen) == requests


def test_a_page_whose_rows_are_all_filtered_out_does_not_end_paging(capture) -> None:
    answers = [sacinfo_page(1, 2, "DB44/T 1-2024"), sacinfo_page(2, 2, "DB44/T 2-2024", "DB4403/T 2-2025")]
    capture.answer = lambda f: (200, answers[int(f["current"][0]) - 1])
    items = fetch_from(capture, sacinfo(capture.url("/q"), require={"code": "^DB4403/"}))
    assert len(capture.seen) == 2 and [i.title for i in items] == ["区块链 DB4403/T 2-2025"]


ROW = {"pk": "35534B5A", "code": "JR/T 0184—2020", "chName": "金融分布式账本技术安全规范", "status": "现行",
       "chargeDept": "中国人民银行", "issueDate": 1580832000000, "recordNo": None}
ROW_OPTIONS = {"items_path": "records", "title_path": "chName", "url_template": "/stdDetail/{pk}",
               "date_path": "issueDate", "issuer_path": "chargeDept", "number_path": "code", "stage_path": "status",
               "stage_map": {"现行": "effective", "即将实施": "published"},
               "summary_template": "{code} {status}，备案号：{recordNo}"}


def test_a_row_states_its_number_stage_issuer_and_epoch_ms_date() -> None:
    src = source("https://hbba.sacinfo.org.cn/stdQueryList", **ROW_OPTIONS)
    [item] = parse_items({"records": [ROW]}, src, src.options)
    assert (item.url, item.title, item.issuer, item.summary) == (
        "https://hbba.sacinfo.org.cn/stdDetail/35534B5A", "JR/T 0184-2020 金融分布式账本技术安全规范", "中国人民银行",
        "JR/T 0184—2020 现行，备案号：")
    assert item.hints == {"standard_numbers": ["JR/T 0184-2020"], "stage": "effective"}
    # The integer travels as the publisher wrote it; the date transform reads epoch milliseconds.
    assert item.published == "1580832000000" and to_date(item.published) == date(2020, 2, 5)


@pytest.mark.parametrize("change, expected", [
    ({"status": "有更新版"}, {"standard_numbers": ["JR/T 0184-2020"]}),   # a status with no evidenced stage
    ({"code": None}, {"stage": "effective"}),                            # no number: the title stays as listed
])
def test_row_hints_only_state_what_the_row_says(change, expected) -> None:
    src = source("https://hbba.sacinfo.org.cn/stdQueryList", **ROW_OPTIONS)
    [item] = parse_items({"records": [{**ROW, **change}]}, src, src.options)
    assert item.hints == expected


@pytest.mark.parametrize("template, strict, expected", [
    ("/stdDetail/{pk}", True, "/stdDetail/35534B5A"),
    ("/stdDetail/{missing}", True, None),                 # no URL rather than a broken one
    ("{code}，备案号：{recordNo}", False, "JR/T 0184—2020，备案号："),
    ("/x/{a.0.b}", True, None),
])
def test_templates_fill_from_the_row(template, strict, expected) -> None:
    assert fill(template, ROW, strict=strict) == expected


@pytest.mark.parametrize("require, kept", [
    ({"code": "^DB4403/"}, ["DB4403/T 512-2025"]),
    ({"code": "^DB44(?!03)"}, ["DB44/T 2561-2024", "DB4401/T 9-2024"]),
    ({"missing": "x"}, []),
])
def test_required_fields_filter_rows(require, kept) -> None:
    rows = [{"pk": c, "code": c, "chName": "区块链"} for c in ("DB44/T 2561-2024", "DB4403/T 512-2025", "DB4401/T 9-2024")]
    src = source("https://dbba.sacinfo.org.cn/stdQueryList", **{**ROW_OPTIONS, "require": require})
    assert [i.hints["standard_numbers"][0] for i in parse_items({"records": rows}, src, src.options)] == kept


def test_a_waf_page_answered_to_the_ttbz_post_is_blocked(tmp_path: Path) -> None:
    # The recorded ttbz folder, with the list API answering the "WEB 应用防火墙" challenge page.
    shutil.copytree(FIXTURES / "ttbz", tmp_path / "ttbz")
    (tmp_path / "ttbz" / "waf.html").write_text(
        "<html><head><title>WEB 应用防火墙</title></head><body><script>challenge()</script></body></html>",
        encoding="utf-8")
    routes = yaml.safe_load((tmp_path / "ttbz" / "routes.yaml").read_text(encoding="utf-8"))
    (tmp_path / "ttbz" / "routes.yaml").write_text(yaml.safe_dump(
        [{**r, "file": "waf.html", "content_type": "text/html"} for r in routes], allow_unicode=True), encoding="utf-8")
    ttbz = next(s for s in load_catalog() if s.id == "ttbz")
    server = ReplayServer(tmp_path).start()
    try:
        with HttpClient(rebase=rebase_for(ttbz, server.base)) as http, pytest.raises(SourceBlocked, match="firewall"):
            fetch(ttbz, http, lambda urls: set())
    finally:
        server.stop()
    assert server.requests == ["/ttbz/cms-proxy/ms/portal/standardInfo/getPortalStandardList"]
