"""`regwatch doctor` against the replay server: real fixtures, and deliberately broken copies.

Each broken variant copies a real fixture folder into tmp_path and breaks one thing the way a
site breaks: a class renamed (the catalogue's selector matches nothing), a field renamed, an
anti-bot page served instead of the list, the list's route gone (404), the server failing (503).
The fixtures used are ones other work is unlikely to reshape: sz-amr-tzgg (html-list), nist-csrc
(rss) and nist-csrc-drafts (json-api). No Elasticsearch is running for any of these tests.
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from connectors import errors
from connectors.catalog import DEFAULT_CATALOG, load_catalog
from infra.replay import ReplayServer
from records.items import FetchedItem
from records.notice import Notice
from regwatch import cli
from regwatch.commands.doctor import _chosen, empty_fields, expected_fields, verdict_for
from tests.conftest import FIXTURES
from transforms.normalise import SourceMeta, normalise

NOW = datetime.fromisoformat("2026-11-29T12:00:00+08:00")  # the fixtures' recording day
LIST_FILES = {"sz-amr-tzgg": "index.html", "nist-csrc": "all.rss",
              "nist-csrc-drafts": "drafts-open-for-comment.json"}
IDS = tuple(LIST_FILES)
# The head of the WZWS challenge PBOC serves a scripted GET (tests/fixtures/pbc-kjs/challenge.html,
# from RSSHub's pbc routes); copied here so this test does not follow that fixture's rewrites.
WZWS = ('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>\n'
        '<noscript>请开启JavaScript并刷新该页.</noscript>\n'
        '<script type="text/javascript">var dynamicurl="/WZWSREL2tlamlzaS8xNDY4MTIvMTQ2ODE0L2luZGV4Lmh0bWw=";'
        'var wzwsquestion="Cd8Zl1aQ";var wzwsfactor="3891";var wzwsmethod="post";var wzwsparams="";'
        '</script></body></html>\n')

Mutation = Callable[[Path], None]


@pytest.fixture
def no_es(monkeypatch: pytest.MonkeyPatch) -> None:
    # Anything that tried Elasticsearch would fail loudly on this closed port.
    monkeypatch.setenv("ES_URL", "http://127.0.0.1:9")


@pytest.fixture
def serve(tmp_path: Path):
    """Serve copies of real fixture folders, each optionally broken: serve({id: mutation})."""
    servers: list[ReplayServer] = []

    def start(mutations: dict[str, Mutation | None]) -> str:
        root = tmp_path / f"root{len(servers)}"
        for source_id, mutate in mutations.items():
            shutil.copytree(FIXTURES / source_id, root / source_id)
            if mutate:
                mutate(root / source_id)
        servers.append(ReplayServer(root).start())
        return servers[-1].base

    yield start
    for server in servers:
        server.stop()


def doctor(capsys, base_url: str, *ids: str, now: datetime = NOW,
           catalog: Path | None = None) -> tuple[int, list[dict]]:
    argv = ["doctor", "--json", "--base-url", base_url, "--now", now.isoformat()]
    argv += [w for i in ids for w in ("--source", i)] + (["--catalog", str(catalog)] if catalog else [])
    code = cli.main(argv)
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines()]


# --- the mutations ------------------------------------------------------------------------------

def rename_class(old: str, new: str, pattern: str) -> Mutation:
    def mutate(folder: Path) -> None:
        pages = sorted(folder.glob(pattern))
        assert pages and all(f'class="{old}"' in p.read_text(encoding="utf-8") for p in pages), \
            f"the fixture no longer has class {old!r} in {pattern}: pick another mutation"
        for page in pages:
            page.write_text(page.read_text(encoding="utf-8").replace(f'class="{old}"', f'class="{new}"'),
                            encoding="utf-8")
    return mutate


def replace_text(name: str, old: str, new: str) -> Mutation:
    def mutate(folder: Path) -> None:
        text = (folder / name).read_text(encoding="utf-8")
        assert old in text, f"the fixture no longer has {old!r}: pick another mutation"
        (folder / name).write_text(text.replace(old, new), encoding="utf-8")
    return mutate


def access_page(name: str) -> Mutation:
    def mutate(folder: Path) -> None:
        (folder / name).write_text(WZWS, encoding="utf-8")
    return mutate


def edit_routes(change: Callable[[list[dict]], list[dict]]) -> Mutation:
    def mutate(folder: Path) -> None:
        routes = yaml.safe_load((folder / "routes.yaml").read_text(encoding="utf-8"))
        (folder / "routes.yaml").write_text(yaml.safe_dump(change(routes), allow_unicode=True),
                                            encoding="utf-8")
    return mutate


def without_route(name: str) -> Mutation:
    return edit_routes(lambda routes: [r for r in routes if r["file"] != name])


def failing_route(name: str, status: int) -> Mutation:
    return edit_routes(lambda routes: [{**r, "status": status} if r["file"] == name else r for r in routes])


# --- the real fixtures are ok ---------------------------------------------------------------------

def test_real_fixtures_are_ok_with_their_items_and_newest_date(serve, capsys, no_es) -> None:
    server_url = serve({i: None for i in IDS})
    code, rows = doctor(capsys, server_url, *IDS)
    assert code == 0 and [r["source_id"] for r in rows] == list(IDS)
    for row in rows:
        expected = json.loads((FIXTURES / row["source_id"] / "expected.json").read_text(encoding="utf-8"))
        newest = max(datetime.fromisoformat(n["published_at"]) for n in expected)
        assert (row["verdict"], row["items"], row["empty"]) == ("ok", len(expected), []), row
        assert datetime.fromisoformat(row["newest"]) == newest
        assert row["http"].startswith("200")


def test_detail_pages_are_read_for_two_items_only(tmp_path, capsys, no_es) -> None:
    shutil.copytree(FIXTURES / "sz-amr-tzgg", tmp_path / "sz-amr-tzgg")
    server = ReplayServer(tmp_path).start()
    try:
        code, [row] = doctor(capsys, server.base, "sz-amr-tzgg")
        details = [p for p in server.requests if "/content/post_" in p]
    finally:
        server.stop()
    assert code == 0 and row["items"] == 3
    assert len(details) == 2  # of three notices listed


# --- broken variants ------------------------------------------------------------------------------

@pytest.mark.parametrize("source_id, mutation, detail", [
    # The catalogue's rows are links under /tzgg/content/post_: the site renames the path, nothing matches.
    ("sz-amr-tzgg", replace_text("index.html", "/tzgg/content/post_", "/tzgg/article/post_"),
     "selectors matched nothing"),
    # The JSON feed's list moved to another key.
    ("nist-csrc-drafts", replace_text("drafts-open-for-comment.json", '"entries":', '"items":'), "no list at"),
    # The feed still parses but its items lost their date element.
    ("nist-csrc", replace_text("all.rss", "pubDate>", "posted>"), "no item has a date"),
    # The detail pages' body container renamed: every notice would be indexed without its text.
    ("sz-amr-tzgg", rename_class("news_cont_d_wrap", "article", "post_*.html"), "no item has a body"),
], ids=["renamed-link-path", "renamed-json-list", "renamed-feed-date", "renamed-body-class"])
def test_a_renamed_selector_is_changed(serve, capsys, no_es, source_id, mutation, detail) -> None:
    code, [row] = doctor(capsys, serve({source_id: mutation}), source_id)
    assert code == 1 and row["verdict"] == "changed", row
    assert detail in row["detail"]


@pytest.mark.parametrize("source_id", IDS)
def test_an_access_page_instead_of_the_list_is_blocked(serve, capsys, no_es, source_id) -> None:
    code, [row] = doctor(capsys, serve({source_id: access_page(LIST_FILES[source_id])}), source_id)
    assert code == 1 and (row["verdict"], row["http"]) == ("blocked", "blocked"), row
    assert "WZWS" in row["detail"] and row["items"] == 0


@pytest.mark.parametrize("source_id", IDS)
def test_a_moved_column_is_changed_not_unreachable(serve, capsys, no_es, source_id) -> None:
    # The server answers, and says the list is not there: the catalogue needs the new URL.
    code, [row] = doctor(capsys, serve({source_id: without_route(LIST_FILES[source_id])}), source_id)
    assert code == 1 and (row["verdict"], row["http"]) == ("changed", "404"), row


def test_a_failing_server_is_unreachable(serve, capsys, no_es) -> None:
    mutation = failing_route("index.html", 503)
    code, [row] = doctor(capsys, serve({"sz-amr-tzgg": mutation}), "sz-amr-tzgg")
    assert code == 1 and (row["verdict"], row["http"]) == ("unreachable", "503"), row


def test_one_broken_publisher_leaves_the_others_ok(serve, capsys, no_es) -> None:
    url = serve({"sz-amr-tzgg": None, "nist-csrc": access_page("all.rss"), "nist-csrc-drafts": None})
    code, rows = doctor(capsys, url, *IDS)
    assert code == 1 and [r["verdict"] for r in rows] == ["ok", "blocked", "ok"]


# --- stale --------------------------------------------------------------------------------------

def catalogue_with(tmp_path: Path, source_id: str, **fields: str) -> Path:
    entries = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    [entry] = [{**e, **fields} for e in entries if e["id"] == source_id]
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump([entry], allow_unicode=True), encoding="utf-8")
    return path


NEWEST = datetime.fromisoformat("2026-11-26T16:20:00+08:00")  # sz-amr-tzgg's newest notice


@pytest.mark.parametrize("now, verdict", [
    (NOW, "ok"),
    (NEWEST + timedelta(days=6), "ok"),                       # exactly 3 × 2 days: not yet
    (NEWEST + timedelta(days=6, minutes=1), "stale"),
])
def test_stale_after_three_expected_cadences(serve, capsys, no_es, tmp_path, now, verdict) -> None:
    catalog = catalogue_with(tmp_path, "sz-amr-tzgg", expect_every="2d")
    code, [row] = doctor(capsys, serve({"sz-amr-tzgg": None}), "sz-amr-tzgg", now=now, catalog=catalog)
    assert (code, row["verdict"]) == (int(verdict != "ok"), verdict), row
    if verdict == "stale":
        assert row["detail"] == ("no new notice since 2026-11-26 "
                                 "(more than 3 × 2 days, its catalogued cadence)")


def test_no_cadence_no_stale_verdict(serve, capsys, no_es) -> None:
    # Four dated items are too few to learn a cadence from, and none is catalogued.
    code, [row] = doctor(capsys, serve({"nist-csrc": None}), "nist-csrc", now=NOW + timedelta(days=400))
    assert (code, row["verdict"]) == (0, "ok")


# --- the command line -----------------------------------------------------------------------------

def test_text_rows_and_summary(serve, capsys, no_es) -> None:
    url = serve({"sz-amr-tzgg": None, "nist-csrc-drafts": without_route(LIST_FILES["nist-csrc-drafts"])})
    code = cli.main(["doctor", "--base-url", url, "--now", NOW.isoformat(),
                     "--source", "sz-amr-tzgg", "--source", "nist-csrc-drafts"])
    out, err = capsys.readouterr()
    header, *lines = out.splitlines()
    assert code == 1 and header.split()[:3] == ["publisher", "verdict", "http"]
    assert [line.split()[:2] for line in lines] == [["sz-amr-tzgg", "ok"], ["nist-csrc-drafts", "changed"]]
    assert err.strip() == "regwatch doctor: 2 publishers: 1 changed, 1 ok"


def test_an_unknown_source_is_one_line_and_nothing_fetched(capsys, no_es) -> None:
    assert cli.main(["doctor", "--source", "no-such-publisher"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("regwatch doctor: error: unknown or disabled source no-such-publisher")
    assert len(err.strip().splitlines()) == 1


def test_every_enabled_publisher_by_default() -> None:
    args = cli.build_parser().parse_args(["doctor"])
    assert [s.id for s in _chosen(args)] == [s.id for s in load_catalog() if s.enabled]


# --- the pure parts -------------------------------------------------------------------------------

@pytest.mark.parametrize("error, verdict", [
    (errors.SourceBlocked("WZWS"), "blocked"),
    (errors.HttpBlocked(412), "blocked"),
    (errors.SourceChanged("no list"), "changed"),
    (errors.HttpUnavailable(404), "changed"),       # the column is gone: the catalogue needs its new URL
    (errors.HttpUnavailable(410), "changed"),
    (errors.HttpUnavailable(503), "unreachable"),
    (errors.HttpUnavailable(429), "unreachable"),
    (errors.SourceUnavailable("timed out"), "unreachable"),
    (errors.ConnectorError("other"), "unreachable"),
], ids=str)
def test_verdict_for_each_typed_error(error, verdict) -> None:
    assert verdict_for(error) == verdict


@pytest.mark.parametrize("source_id, fields", [
    ("sz-amr-tzgg", {"date", "body", "attachments"}),   # list date, detail body and attachments
    ("nist-csrc", {"date"}),
    ("nist-csrc-drafts", {"date", "body"}),            # deadlines come from the text: none promised
    ("iso-tc307", set()),                              # a catalogue table: no dates promised
])
def test_expected_fields_follow_the_entry(source_id, fields) -> None:

    assert expected_fields({s.id: s for s in load_catalog()}[source_id]) == fields


def _notice(url: str, **fields: Any) -> tuple[FetchedItem, Notice]:
    item = FetchedItem(source_id="x", url=url, title="关于征求意见的通知", **fields)
    return item, normalise(item, SourceMeta("x", None, "CN", "Asia/Shanghai", {}), NOW)


@pytest.mark.parametrize("rows, empty", [
    ([{"published": "2026-11-20", "body": "正文"}], []),
    ([{"body": "正文"}, {"published": "2026-11-20"}], []),          # one item with it is enough
    ([{"body": "正文"}], ["date"]),
    ([{"published": "2026-11-20"}], ["body"]),
    ([{"published": "2026-11-20", "partial": True}], []),             # body judged on read pages only
    ([{"published": "2026-11-20", "detail_failed": True}], []),
])
def test_empty_fields(rows, empty) -> None:
    pairs = [_notice(f"https://x.org/{n}", **row) for n, row in enumerate(rows)]
    items, notices = [p[0] for p in pairs], [p[1] for p in pairs]
    assert empty_fields(notices, items, {"date", "body"}) == empty
