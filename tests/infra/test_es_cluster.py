"""A real 2-node cluster on loopback: one replica, a member SIGKILLed, the client carries on.

Slow (forming a cluster takes 30–110 s on two busy cores), so it runs only when asked:
`REGWATCH_TEST_CLUSTER=1 pytest tests/infra/test_es_cluster.py`; `make scaleout` does the same
with three nodes, under load, every run.
"""
from __future__ import annotations

import os

import pytest

from connectors import store
from infra import local_es
from infra.scaleout.faults import elected_master

pytestmark = pytest.mark.skipif(not os.environ.get("REGWATCH_TEST_CLUSTER"),
                                reason="slow: set REGWATCH_TEST_CLUSTER=1 (make scaleout covers it too)")
# Far from the session node (port), its secured twin (port+20) and their transport ports (+100).
PORT = int(os.environ.get("REGWATCH_TEST_ES_PORT", "9250")) + 1000


@pytest.fixture(scope="module")
def cluster():
    cluster = local_es.Cluster(name=f"test-cluster-{PORT}", port=PORT, size=2)
    local_es.stop_cluster(cluster)
    local_es.wipe_cluster(cluster)
    local_es.start_cluster(cluster)
    yield cluster
    local_es.stop_cluster(cluster)


def test_a_member_killed_loses_nothing_and_rejoins(cluster, monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_ES_REPLICAS", "1")
    for var in ("ES_API_KEY", "ES_USERNAME", "ES_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    es = store.connect(",".join(cluster.urls))
    store.ensure_indices(es)
    health = es.cluster.health(wait_for_status="green", timeout="60s")
    assert (health["status"], health["number_of_nodes"]) == ("green", 2)  # one replica: both nodes
    for i in range(20):
        es.index(index=store.NOTICES, id=f"n{i}", document={"id": f"n{i}", "title": "链"}, refresh=True)

    # Two master-eligible nodes cannot elect without both (a majority of 2 is 2): kill the one
    # that is not master, so the survivor stays master and holds every shard's copy.
    master = elected_master(cluster)
    victim = next(node for node in cluster.nodes if node != master)
    local_es.kill(victim)
    for i in range(20, 30):  # every request: some are first sent to the dead node
        es.index(index=store.NOTICES, id=f"n{i}", document={"id": f"n{i}", "title": "链"}, refresh=True)
    assert es.count(index=store.NOTICES)["count"] == 30
    assert es.cluster.health()["status"] == "yellow"  # replicas unassigned, nothing lost

    local_es.restart(victim)
    local_es.wait_green(cluster, timeout=240)
    assert es.count(index=store.NOTICES)["count"] == 30
    es.close()
