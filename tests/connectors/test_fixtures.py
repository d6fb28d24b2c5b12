"""Every recorded publisher fixture, served over loopback HTTP, yields its expected notices.

`expected.json` says what a person reading the recorded page would say about each notice, not
what the code said when the file was written. Where the two differ, the case is listed in
WRONG: strict xfail, so it fails loudly the day the classifier gets it right.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from itertools import takewhile
from typing import Callable, Iterator

import pytest

from connectors.catalog import load_catalog
from connectors.http import HttpClient
from connectors.registry import kinds
from infra.replay import ReplayServer
from regwatch.pipeline import rebase_for
from tests.conftest import FIXTURES
from transforms.normalise import SourceMeta, normalise

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)  # the recording day; year-less dates need it
SOURCES = {s.id: s for s in load_catalog()}
CASES = sorted(p.parent.name for p in FIXTURES.glob("*/expected.json"))
EXPECTED = {c: json.loads((FIXTURES / c / "expected.json").read_text(encoding="utf-8")) for c in CASES}
FIELDS = ("url", "title", "title_en", "title_en_origin", "lang", "summary", "published_at", "issuer", "blockchain", "kind",
          "stage", "level",
          "standard_numbers", "standard_key", "comment_deadline", "attachments", "comments_to", "committees",
          "plan_numbers")
# Known misclassifications, as strict xfails: none today (issue 14 fixed the last twelve).
WRONG: dict[tuple[str, int], str] = {}


def _cases() -> list:
    return [pytest.param(source_id, n, id=f"{source_id}-{n}",
                         marks=[pytest.mark.xfail(strict=True, reason=WRONG[(source_id, n)])]
                         if (source_id, n) in WRONG else [])
            for source_id in CASES for n in range(1, len(EXPECTED[source_id]) + 1)]


@pytest.fixture(scope="module")
def fetched() -> Iterator[Callable[[str], list[dict]]]:
    """Fetch and normalise one publisher from the replay server (once per module)."""
    server, done = ReplayServer(FIXTURES).start(), {}

    def notices(source_id: str) -> list[dict]:
        if source_id not in done:
            source = SOURCES[source_id]
            with HttpClient(rebase=rebase_for(source, server.base)) as http:
                items = kinds()[source.kind].fetch(source, http, lambda urls: set())
            meta = SourceMeta(source.id, source.issuer, source.jurisdiction, source.zone, source.hints)
            done[source_id] = [normalise(item, meta, NOW).to_doc() for item in items]
        return done[source_id]

    yield notices
    server.stop()


def test_every_catalogued_source_has_a_fixture() -> None:
    assert set(SOURCES) <= set(CASES)


# A citation a reader can open: an RSSHub route at a commit, a code-corpus file id, or a URL.
_CITATION = re.compile(r"RSSHub \S+@[0-9a-f]{40}|file id \d{6,}|https?://\S+")
_HEADER = ("# Evidence:", "# Synthetic:", "# Unverified:")


@pytest.mark.parametrize("source_id", sorted(p.parent.name for p in FIXTURES.glob("*/routes.yaml")))
def test_every_fixture_starts_with_the_evidence_its_structure_follows(source_id: str) -> None:
    lines = (FIXTURES / source_id / "routes.yaml").read_text(encoding="utf-8").splitlines()
    header = list(takewhile(lambda line: line.startswith("#"), lines))
    assert header and header[0].startswith("# Evidence:"), "routes.yaml opens with '# Evidence:'"
    assert all(any(line.startswith(h) for line in header) for h in _HEADER), f"the header has {_HEADER}"
    assert _CITATION.search("\n".join(header)), "the evidence cites something a reader can open"


def test_the_fixtures_readme_has_a_row_per_publisher() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`*") for line in readme.splitlines() if line.startswith("| ")}
    assert set(CASES) <= rows


@pytest.mark.parametrize("source_id", CASES)
def test_fixture_yields_the_expected_notices_without_warnings(fetched, source_id: str) -> None:
    got = fetched(source_id)
    assert [n["url"] for n in got] == [n["url"] for n in EXPECTED[source_id]]
    assert all(not n["warnings"] for n in got)


@pytest.mark.parametrize("source_id, n", _cases())
def test_notice_says_what_its_page_says(fetched, source_id: str, n: int) -> None:
    want = EXPECTED[source_id][n - 1]
    assert set(want) == set(FIELDS), "every expected notice states every field"
    got = {d["url"]: d for d in fetched(source_id)}[want["url"]]
    assert {k: got[k] for k in FIELDS} == want
