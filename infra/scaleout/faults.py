"""The faults `make scaleout` injects into its Elasticsearch cluster, and how the cluster recovers.

    python -m infra.scaleout.faults start --port 9478 --size 3      # fresh cluster, wait green
    python -m infra.scaleout.faults kill --port 9478 --size 3       # SIGKILL the elected master
    python -m infra.scaleout.faults restart --port 9478 --size 3 --node scaleout-2
    python -m infra.scaleout.faults stop --port 9478 --size 3

Each prints one JSON line of facts (node, pid, seconds) for the report.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import httpx

from infra import local_es

NAME = "scaleout"


def elected_master(cluster: local_es.Cluster) -> local_es.Node:
    """The member that is master now: killing it is the hardest single fault (an election,
    and its primaries promoted on the others)."""
    for node in cluster.nodes:
        try:
            r = httpx.get(f"{node.url}/_cat/master", params={"h": "node"}, timeout=5)
        except httpx.HTTPError:
            continue
        if r.status_code == 200:
            name = r.text.strip()
            return next(n for n in cluster.nodes if n.name == name)
    raise local_es.LocalEsError(f"no member of {cluster.name} names a master")


def kill(cluster: local_es.Cluster, timeout: float = 120) -> dict[str, Any]:
    """SIGKILL the master; wait until the others have elected one and every primary is
    assigned again (yellow: writes go on, replicas missing)."""
    node = elected_master(cluster)
    began = time.time()
    pid = local_es.kill(node)
    while time.time() - began < timeout:
        health = local_es.cluster_health(cluster)
        if health.get("status") in ("yellow", "green") and health.get("number_of_nodes") == cluster.size - 1:
            break
        time.sleep(0.25)
    return {"node": node.name, "pid": pid, "killed_at": began,
            "seconds_to_yellow": round(time.time() - began, 1),
            "health": local_es.cluster_health(cluster).get("status", "no answer")}


def restart(cluster: local_es.Cluster, name: str, timeout: float = 300) -> dict[str, Any]:
    """Start the killed member again; return how long until the cluster is green with all."""
    node = next(n for n in cluster.nodes if n.name == name)
    began = time.time()
    local_es.restart(node)
    local_es.wait_green(cluster, timeout=timeout)
    return {"node": name, "seconds_to_green": round(time.time() - began, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "kill", "restart", "stop"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--size", type=int, default=3)
    parser.add_argument("--node", help="restart: the member to start again")
    args = parser.parse_args()
    cluster = local_es.Cluster(name=NAME, port=args.port, size=args.size)
    try:
        if args.action == "start":
            local_es.stop_cluster(cluster)
            local_es.wipe_cluster(cluster)
            began = time.time()
            local_es.start_cluster(cluster)
            facts: dict[str, Any] = {"seconds_to_green": round(time.time() - began, 1)}
        elif args.action == "kill":
            facts = kill(cluster)
        elif args.action == "restart":
            facts = restart(cluster, args.node)
        else:
            local_es.stop_cluster(cluster)
            facts = {}
    except local_es.LocalEsError as exc:
        print(f"faults: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
