"""A client given several nodes, and replicas from REGWATCH_ES_REPLICAS (also on existing indices)."""
from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from connectors import es_templates, store
from records.settings import SettingError
from regwatch.tasks import CONNECTIONS


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_client_given_a_dead_node_and_a_live_one_still_answers(es, es_url) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}"
    client = store.connect(f"{dead}, {es_url}")  # the dead one first, a space after the comma
    try:
        assert len(client.transport.node_pool.all()) == 2
        for i in range(12):  # round robin: several requests are first sent to the dead node
            client.index(index=store.NOTICES, id=f"n{i}", document={"id": f"n{i}", "title": "x"})
            assert client.get(index=store.NOTICES, id=f"n{i}")["found"]
        client.indices.refresh(index=store.NOTICES)
        assert client.count(index=store.NOTICES)["count"] == 12
    finally:
        client.close()


def test_one_url_is_one_node_as_before(es_url) -> None:
    client = store.connect(es_url)
    try:
        assert [str(n.config.port) for n in client.transport.node_pool.all()] == [es_url.rsplit(":", 1)[1]]
    finally:
        client.close()


@pytest.mark.parametrize("extra, expected", [
    ({"hosts": ["http://a:9200", "http://b:9201"]}, "http://a:9200,http://b:9201"),
    ({"hosts": "http://a:9200,http://b:9201"}, "http://a:9200,http://b:9201"),
    ({}, "http://es.example:9300"),
])
def test_the_es_connection_gives_every_node_of_its_extra_hosts(extra, expected) -> None:
    conn = SimpleNamespace(host="es.example", port=9300, schema=None, login=None, password=None,
                           extra_dejson=extra)
    assert CONNECTIONS["regwatch_es"](conn)["ES_URL"] == expected


def _replicas(es) -> dict[str, str]:
    answer = es.indices.get_settings(index=",".join(store.INDICES), name="index.number_of_replicas")
    return {index: body["settings"]["index"]["number_of_replicas"] for index, body in answer.items()}


def test_replicas_follow_the_setting_on_existing_and_new_indices(es, monkeypatch) -> None:
    assert set(_replicas(es).values()) == {"0"}  # the default: a single node stays green
    monkeypatch.setenv("REGWATCH_ES_REPLICAS", "1")
    store.ensure_indices(es)  # existing indices change in place: no reindex, documents kept
    assert set(_replicas(es).values()) == {"1"}
    assert es_templates.sync_replicas(es, store.INDICES) == []  # already right: nothing touched
    es.indices.delete(index=store.INDICES[store.NOTICES])
    store.ensure_indices(es)  # a new index gets them from its template
    assert _replicas(es)[store.INDICES[store.NOTICES]] == "1"
    monkeypatch.setenv("REGWATCH_ES_REPLICAS", "0")
    assert es_templates.sync_replicas(es, store.INDICES) == sorted(store.INDICES.values())
    assert set(_replicas(es).values()) == {"0"}


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_replica_count_that_is_not_a_whole_number_is_one_clear_error(value, monkeypatch) -> None:
    monkeypatch.setenv("REGWATCH_ES_REPLICAS", value)
    with pytest.raises(SettingError, match="^REGWATCH_ES_REPLICAS must be 0 or a positive whole number"):
        es_templates.replicas()
