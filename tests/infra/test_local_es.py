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


def test_a_lone_node_is_still_a_single_node_cluster(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_HOME", str(tmp_path))
    node = local_es.Node(name="alone", port=9300)
    assert local_es.node_settings(node) == {
        "discovery.type": "single-node", "network.host": "127.0.0.1",
        "http.port": 9300, "transport.port": 9400,
        "path.data": tmp_path / "nodes/alone/data", "path.logs": tmp_path / "nodes/alone/logs",
        "cluster.name": "regwatch-alone", "node.name": "alone",
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "xpack.security.enabled": "false", "xpack.security.http.ssl.enabled": "false",
        "xpack.security.transport.ssl.enabled": "false", "xpack.security.authc.api_key.enabled": "false",
    }


def test_cluster_members_find_each_other_and_bootstrap_only_once(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_HOME", str(tmp_path))
    cluster = local_es.Cluster(name="trio", port=9700, size=3)
    assert cluster.urls == ["http://127.0.0.1:9700", "http://127.0.0.1:9701", "http://127.0.0.1:9702"]
    settings = [local_es.node_settings(node) for node in cluster.nodes]
    assert [s["node.name"] for s in settings] == ["trio-1", "trio-2", "trio-3"]
    assert [(s["http.port"], s["transport.port"]) for s in settings] == [(9700, 9800), (9701, 9801), (9702, 9802)]
    assert len({s["path.data"] for s in settings}) == 3
    for s in settings:
        assert s["discovery.type"] is None  # not passed: a member discovers, it is not alone
        assert s["cluster.name"] == "regwatch-trio"
        assert s["discovery.seed_hosts"] == "127.0.0.1:9800,127.0.0.1:9801,127.0.0.1:9802"
        assert s["cluster.initial_master_nodes"] == "trio-1,trio-2,trio-3"
    # A member that has joined once (its data holds the cluster state) restarts without them.
    (cluster.nodes[1].dir / "data/_state").mkdir(parents=True)
    assert "cluster.initial_master_nodes" not in local_es.node_settings(cluster.nodes[1])
    assert "cluster.initial_master_nodes" in local_es.node_settings(cluster.nodes[0])
