"""Every recorded publisher fixture, served over loopback HTTP, yields its expected notices."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from connectors.catalog import load_catalog
from connectors.http import HttpClient
from connectors.registry import kinds
from regwatch.pipeline import rebase_for
from tests.conftest import FIXTURES
from transforms.normalise import SourceMeta, normalise

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)
SOURCES = {s.id: s for s in load_catalog()}
CASES = sorted(p.parent.name for p in FIXTURES.glob("*/expected.json"))


def test_every_catalogued_source_has_a_fixture() -> None:
    assert set(SOURCES) <= set(CASES)


@pytest.mark.parametrize("source_id", CASES)
def test_fixture_yields_expected_notices(replay, source_id: str) -> None:
    source = SOURCES[source_id]
    expected = json.loads((FIXTURES / source_id / "expected.json").read_text(encoding="utf-8"))
    with HttpClient(rebase=rebase_for(source, replay.base)) as http:
        items = kinds()[source.kind].fetch(source, http, lambda urls: set())
    meta = SourceMeta(source.id, source.issuer, source.jurisdiction, source.zone, source.hints)
    got = [normalise(item, meta, NOW).to_doc() for item in items]
    assert [{k: n[k] for k in expected[0]} for n in got] == expected
    assert all(not n["warnings"] for n in got)
