"""changedetection.io (from PyPI, in its own venv) watching the polling farm's 300 feed URLs.

Started on loopback with its own datastore; the watches are added through its REST API (one
import request), then timed: the first full check round, and a second with nothing changed
(`recheck_all`). A round ends when the farm has answered every watch and the tool's queue is
empty with no check running. CPU and peak memory are read from /proc for the server process
(peak memory reset before each round through /proc/PID/clear_refs).
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import REPO, figure
from bench.farm import Farm
from tests.servers import free_port

VENV = REPO / "bench" / ".venv-cdio"
PACKAGE = "changedetection-io==0.60.*"


class CdioUnavailable(RuntimeError):
    """changedetection.io could not be installed or run here; the message is the evidence."""


def install() -> Path:
    """Create bench/.venv-cdio with changedetection.io unless it is there; return its command."""
    command = VENV / "bin" / "changedetection.io"
    if command.exists():
        return command
    steps = [["python3.11", "-m", "venv", str(VENV)],
             [str(VENV / "bin/pip"), "install", "-q", PACKAGE]]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True, timeout=1200)
        if proc.returncode != 0:
            raise CdioUnavailable(f"{' '.join(step)}: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    return command


class Server:
    """One changedetection.io process on loopback with a fresh datastore."""

    def __init__(self, command: Path, datastore: Path) -> None:
        self.port = free_port()
        self.datastore = datastore
        self.log = open(datastore.parent / "cdio.log", "wb")
        env = {**os.environ, "ALLOW_IANA_RESTRICTED_ADDRESSES": "true", "LISTEN_HOST": "127.0.0.1"}
        self.proc = subprocess.Popen([str(command), "-d", str(datastore), "-C", "-h", "127.0.0.1",
                                      "-p", str(self.port), "-l", "WARNING"], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = ""

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CdioUnavailable(f"changedetection.io exited with {self.proc.returncode}: {self._last_log()}")
            self.key = self.key or self._api_key()
            if self.key and self._ok("/api/v1/systeminfo"):
                return
            time.sleep(1)
        raise CdioUnavailable(f"changedetection.io did not answer in {timeout:.0f}s: {self._last_log()}")

    def _api_key(self) -> str:
        for path in self.datastore.glob("*.json"):
            try:
                token = json.loads(path.read_text()).get("settings", {}).get("application", {}).get("api_access_token")
            except (ValueError, AttributeError):
                continue
            if token:
                return token
        return ""

    def _ok(self, path: str) -> bool:
        try:
            return self.get(path).status_code == 200
        except httpx.HTTPError:
            return False

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.url + path, params=params, headers={"x-api-key": self.key}, timeout=60)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                **kwargs: Any) -> httpx.Response:
        r = httpx.request(method, self.url + path, headers={"x-api-key": self.key, **(headers or {})},
                          timeout=120, **kwargs)
        if r.status_code >= 400:
            raise CdioUnavailable(f"{method} {path}: HTTP {r.status_code}: {r.text[:200]}")
        return r

    def idle(self) -> bool:
        queue = self.get("/queue-status").json().get("queue_size", 1)
        running = self.get("/worker-health").json()["worker_status"]["running_uuids"]
        return queue == 0 and not running

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime

    def reset_peak(self) -> None:
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")

    def peak_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
        self.log.close()

    def _last_log(self) -> str:
        self.log.flush()
        lines = (self.datastore.parent / "cdio.log").read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "(no output)"


def _round(server: Server, farm: Farm, start: Any, expected: int, timeout: float = 600) -> dict[str, float]:
    """Start a round with `start()`; wait until every watch was fetched and nothing is queued."""
    farm.reset()
    server.reset_peak()
    cpu0, t0 = server.cpu(), time.perf_counter()
    start()
    while time.perf_counter() - t0 < timeout:
        if farm.requests >= expected and server.idle():
            return {"wall": time.perf_counter() - t0, "cpu": server.cpu() - cpu0,
                    "peak_mib": server.peak_mib(), "bytes": farm.bytes_out, "requests": farm.requests,
                    **farm.load()}
        time.sleep(0.2)
    raise CdioUnavailable(f"a check round did not finish in {timeout:.0f}s ({farm.requests}/{expected} fetched)")


def _one_run(command: Path, farm: Farm) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(command, Path(tmp) / "datastore")
        try:
            server.wait_ready()
            for uuid in server.get("/api/v1/watch").json():  # the example watches of a new datastore
                server.request("DELETE", f"/api/v1/watch/{uuid}")
            while not server.idle():
                time.sleep(0.5)
            urls = farm.urls()
            first = _round(server, farm, lambda: server.request(
                "POST", "/api/v1/import", content="\n".join(urls), headers={"Content-Type": "text/plain"}),
                len(urls))
            watches = server.get("/api/v1/watch").json()
            time.sleep(1.1)  # last_checked has one-second resolution
            second = _round(server, farm, lambda: server.get("/api/v1/watch", recheck_all=1), len(urls))
            first["watches"] = second["watches"] = len(watches)
            first["errors"] = sum(1 for w in watches.values() if w.get("last_error"))
            return {"first": first, "second": second}
        finally:
            server.stop()


def measure(repeats: int = 3) -> dict[str, Any]:
    """Install if needed, then `repeats` fresh runs of both rounds; or raise CdioUnavailable."""
    command = install()
    farm = Farm().start()
    try:
        runs = [_one_run(command, farm) for _ in range(repeats)]
    finally:
        farm.stop()
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True).stdout.strip()
    out: dict[str, Any] = {"version": version, "watches": runs[-1]["first"]["watches"],
                           "errors_first_round": runs[-1]["first"]["errors"]}
    for name in ("first", "second"):
        out[f"{name}"] = {k: figure([r[name][k] for r in runs], unit)
                          for k, unit in (("wall", "s"), ("bytes", "B"), ("cpu", "s"), ("peak_mib", "MiB"),
                                          ("network_floor", "s"))}
        # Reported, not asserted: changedetection.io makes no promise of one request per host.
        out[name]["max_concurrent_per_host"] = max(r[name]["max_concurrent_per_host"] for r in runs)
    return out


if __name__ == "__main__":
    print(json.dumps(measure(repeats=1), indent=2))
