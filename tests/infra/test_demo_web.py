"""`make up` starts the subscriber web app beside Airflow (infra/demo.py: start_web)."""
from __future__ import annotations

import httpx
import pytest

from infra.airflow_stack import StackError, stop_pids
from infra.demo import start_web
from tests.servers import free_port


def test_start_web_serves_the_app_until_stopped(es, es_url, tmp_path) -> None:
    port = free_port()
    proc = start_web({"ES_URL": es_url}, port, tmp_path / "web.log")
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        unsigned = httpx.post(f"http://127.0.0.1:{port}/slack/commands", content=b"text=list")
        assert unsigned.status_code in (401, 503)
    finally:
        stop_pids([proc.pid])
    assert proc.wait(10) is not None
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_start_web_says_so_when_the_port_is_taken(tmp_path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(StackError, match=r"^regwatch serve exited \(code \d+\); see .*web\.log$"):
            start_web({}, taken.getsockname()[1], tmp_path / "web.log", timeout=30)
