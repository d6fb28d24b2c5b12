"""The Elasticsearch archive is checked against its pinned SHA-512 (Maven Central has no checksums)."""
from __future__ import annotations

import hashlib

import pytest

from infra import local_es


def test_an_archive_that_is_not_the_pinned_one_is_refused_and_deleted(tmp_path, monkeypatch) -> None:
    archive = tmp_path / "elasticsearch-9.9.9.zip"
    archive.write_bytes(b"the real archive")
    monkeypatch.setitem(local_es.SHA512, "9.9.9", hashlib.sha512(b"the real archive").hexdigest())
    local_es._verify(archive, "9.9.9")
    assert archive.exists()
    archive.write_bytes(b"something else")
    with pytest.raises(local_es.LocalEsError, match="SHA-512 does not match"):
        local_es._verify(archive, "9.9.9")
    assert not archive.exists()


def test_the_cached_archive_matches_its_pin() -> None:
    local_es.distribution()  # the session's node has fetched it already
    digest = hashlib.sha512(local_es.maven_archive().read_bytes()).hexdigest()
    assert digest == local_es.SHA512[local_es.ES_VERSION]
