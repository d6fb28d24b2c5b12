"""The polling farm: loopback addresses beyond 254 hosts, concurrency per host, the network floor."""
from __future__ import annotations

import threading

import httpx
import pytest

from bench.farm import MAX_HOSTS, Farm, address, network_floor


@pytest.mark.parametrize(("host", "expected"), [
    (0, "127.0.0.1"), (59, "127.0.0.60"), (253, "127.0.0.254"), (254, "127.0.1.1"), (299, "127.0.1.46"),
    (508, "127.0.2.1"), (MAX_HOSTS - 1, "127.0.255.254"),
])
def test_address_of_a_host(host: int, expected: str) -> None:
    assert address(host) == expected


def test_addresses_are_distinct_and_never_a_network_or_broadcast_octet() -> None:
    addresses = [address(h) for h in range(3000)]
    assert len(set(addresses)) == 3000
    assert not [a for a in addresses if a.rsplit(".", 1)[1] in ("0", "255")]


@pytest.mark.parametrize("host", [-1, MAX_HOSTS])
def test_address_out_of_range(host: int) -> None:
    with pytest.raises(ValueError, match="loopback hosts"):
        address(host)


def test_a_farm_of_more_than_254_hosts_serves_each_from_its_own_address() -> None:
    farm = Farm(hosts=260, feeds_per_host=1, fail_ratio=0, latency=(0, 0)).start()
    try:
        urls = farm.urls()
        assert len({httpx.URL(u).host for u in urls}) == 260
        for url in (urls[0], urls[254], urls[259]):
            assert httpx.get(url).status_code == 200
        assert httpx.URL(urls[259]).host == "127.0.1.6"
        assert farm.load()["hosts_served"] == 3
    finally:
        farm.stop()


@pytest.fixture
def slow_farm() -> Farm:
    farm = Farm(hosts=2, feeds_per_host=2, fail_ratio=0, latency=(0.2, 0.2)).start()
    yield farm
    farm.stop()


def _together(urls: list[str]) -> None:
    """GET every url at the same moment, each from its own thread and connection."""
    barrier = threading.Barrier(len(urls))

    def get(url: str) -> None:
        barrier.wait()
        assert httpx.get(url, timeout=10).status_code == 200

    threads = [threading.Thread(target=get, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_two_simultaneous_requests_to_one_host_are_caught(slow_farm: Farm) -> None:
    host0 = slow_farm.urls()[:2]
    _together(host0)
    load = slow_farm.load()
    assert load["max_concurrent_per_host"] == 2
    assert load["hosts_over_one"] == 1


def test_one_request_per_host_across_hosts_is_polite(slow_farm: Farm) -> None:
    first_of_each = slow_farm.urls()[0::2]
    _together(first_of_each)
    assert slow_farm.load()["max_concurrent_per_host"] == 1


@pytest.mark.parametrize("keep_alive", [True, False])
def test_back_to_back_requests_to_one_host_are_not_counted_as_overlapping(slow_farm: Farm, keep_alive: bool) -> None:
    urls = slow_farm.urls()[:2] * 2
    if keep_alive:
        with httpx.Client() as client:
            for url in urls:
                client.get(url)
    else:
        for url in urls:
            httpx.get(url)
    assert slow_farm.load()["max_concurrent_per_host"] == 1


@pytest.mark.parametrize(("served", "floor"), [
    ({}, 0.0), ({0: 1.25}, 1.25), ({0: 0.3, 1: 2.5, 2: 2.4}, 2.5),
])
def test_network_floor_is_the_busiest_hosts_served_latency(served: dict[int, float], floor: float) -> None:
    assert network_floor(served) == floor


def test_the_farm_adds_up_each_hosts_latencies_and_reset_clears_them(slow_farm: Farm) -> None:
    host0, host1 = slow_farm.urls()[:2], slow_farm.urls()[2:]
    with httpx.Client() as client:
        for url in [*host0, host0[0], host1[0]]:  # host 0 serves three answers of 0.2 s, host 1 one
            client.get(url)
    load = slow_farm.load()
    assert 0.6 <= load["network_floor"] < 0.75
    assert 0.6 <= load["busiest_host_busy"] < 0.75
    assert load["hosts_served"] == 2
    slow_farm.reset()
    assert slow_farm.load() == {"max_concurrent_per_host": 0, "hosts_over_one": 0, "network_floor": 0.0,
                                "busiest_host_busy": 0.0, "hosts_served": 0}
