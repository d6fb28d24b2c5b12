"""The local Elasticsearch node: the embedded default, also the one the tests share.

The server is Maven Central's ``integ-test-zip`` (server, transport and security modules
only), fetched with Maven, verified against a pinned SHA-512, cached outside git and
started on loopback with a JDK 21+. Elasticsearch refuses to run as root, and CI runs as
root, so a root caller starts it as the unprivileged system user ``regwatch-es``.

A `Cluster` is N such nodes on loopback that discover one another (`make scaleout` runs three
and kills one on purpose); a lone `Node` stays a single-node cluster, as the tests and demo use.
"""
from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from records.settings import DEFAULTS, setting

ES_VERSION = setting("REGWATCH_ES_VERSION")
ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{v}:zip"
# Maven Central publishes no checksum files for this artifact (Maven's strict mode refuses it:
# "no checksums available"), so the archive is checked against the SHA-512 pinned here.
SHA512 = {
    "9.5.4": "a75df614854ace52dd0bce977662b3792873ac077ec0af9026cd0b2a0eb119e4"
             "49910f8eb8ed577d1a83c51c6ee6af71bf5004c3cf5b418c979186de8b5dd9e6",
}
ES_USER = "regwatch-es"
PLUGIN_SOURCE = Path(__file__).with_name("es_plugin") / "RegwatchAnalysisPlugin.java"


class LocalEsError(RuntimeError):
    """The local node could not be installed, started or stopped; one-line message."""


def home() -> Path:
    """Where distributions and node data live (outside git; kept between runs)."""
    if os.environ.get("REGWATCH_HOME"):
        return Path(os.environ["REGWATCH_HOME"])
    # Root's home is closed to the unprivileged Elasticsearch user, so root keeps it in /var/lib.
    return Path("/var/lib/regwatch") if os.geteuid() == 0 else Path.home() / ".local/share/regwatch"


@dataclass(frozen=True)
class Node:
    """One local node: a name, an HTTP port, and optionally security with one user."""

    name: str = "local"
    port: int = int(DEFAULTS["REGWATCH_ES_PORT"])
    security: bool = False
    username: str = "regwatch"
    password: str = ""
    # API keys live in the .security index, whose analyzer needs components of analysis-common,
    # a module the integ-test-zip leaves out: such a node loads our small stand-in plugin.
    api_keys: bool = False
    # A member of a Cluster: its cluster's name and every member's (name, transport port).
    cluster: str = ""
    members: tuple[tuple[str, int], ...] = ()

    @property
    def transport_port(self) -> int:
        return self.port + 100

    @property
    def dir(self) -> Path:
        return home() / "nodes" / self.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pidfile(self) -> Path:
        return self.dir / "es.pid"


def find_java() -> Path:
    """Return a JDK 21+ home: $ES_JAVA_HOME, else the newest in the system JVM directory."""
    if os.environ.get("ES_JAVA_HOME"):
        return Path(os.environ["ES_JAVA_HOME"])
    candidates = []
    for jdk in Path("/usr/lib/jvm").glob("*"):
        release = jdk / "release"
        if release.is_file() and (jdk / "bin/java").exists():
            for line in release.read_text().splitlines():
                if line.startswith("JAVA_VERSION="):
                    major = int(line.split("=")[1].strip('"').split(".")[0])
                    candidates.append((major, jdk))
    usable = sorted(c for c in candidates if c[0] >= 21)
    if not usable:
        raise LocalEsError("no JDK 21+ found under /usr/lib/jvm; install one or set ES_JAVA_HOME")
    return usable[-1][1]


# Named to Maven explicitly: Maven takes its home from the password database, not from $HOME.
MAVEN_REPO = Path.home() / ".m2/repository"


def maven_archive(version: str = ES_VERSION) -> Path:
    """Where Maven keeps the downloaded distribution archive."""
    return (MAVEN_REPO / "org/elasticsearch/distribution/integ-test-zip/elasticsearch" / version
            / f"elasticsearch-{version}.zip")


def distribution(version: str = ES_VERSION) -> Path:
    """Return the unpacked distribution, fetching it with Maven on first use."""
    target = home() / "dist" / f"elasticsearch-{version}"
    if (target / "bin/elasticsearch").exists():
        return target
    archive = maven_archive(version)
    if not archive.exists():
        cmd = ["mvn", "-B", "dependency:get", "-Dtransitive=false", f"-Dmaven.repo.local={MAVEN_REPO}",
               f"-Dartifact={ARTIFACT.format(v=version)}"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not archive.exists():
            lines = done.stdout.splitlines()
            reason = next((line for line in lines if line.startswith("[ERROR]")), lines[-1] if lines else "")
            raise LocalEsError(f"Maven could not fetch Elasticsearch {version}: {reason}")
    _verify(archive, version)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(staging)
    (staging / f"elasticsearch-{version}").rename(target)
    staging.rmdir()
    for script in (target / "bin").iterdir():
        script.chmod(0o755)
    target.parent.chmod(0o755)
    return target


def _verify(archive: Path, version: str) -> None:
    """Refuse (and delete) an archive whose SHA-512 is not the pinned one."""
    expected = SHA512.get(version)
    if expected is None:
        print(f"note: no pinned SHA-512 for Elasticsearch {version}; archive not verified")
        return
    digest = hashlib.sha512()
    with open(archive, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        archive.unlink()
        raise LocalEsError(f"{archive.name}: SHA-512 does not match the pinned value; deleted, fetch again")


def with_analysis_plugin(dist: Path, java: Path) -> Path:
    """A copy of `dist` (hard links) with infra/es_plugin compiled into its plugins folder."""
    target = dist.with_name(dist.name + "-analysis")
    if (target / "plugins/regwatch-analysis/regwatch-analysis.jar").exists():
        return target
    staging = target.with_name(f"{target.name}.partial-{os.getpid()}")  # concurrent builders
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(dist, staging, symlinks=True, copy_function=os.link)
    plugin = staging / "plugins/regwatch-analysis"
    plugin.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as classes:
        for cmd in ([str(java / "bin/javac"), "--release", "21", "-cp", f"{dist}/lib/*", "-d", classes,
                     str(PLUGIN_SOURCE)],
                    [str(java / "bin/jar"), "--create", "--file", str(plugin / "regwatch-analysis.jar"),
                     "-C", classes, "."]):
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                raise LocalEsError(f"cannot build the analysis plugin: {done.stderr.strip()[-300:]}")
    version = dist.name.removeprefix("elasticsearch-")
    (plugin / "plugin-descriptor.properties").write_text(
        "description=analysis-common components the security index needs (see the Java source)\n"
        f"version={version}\nname=regwatch-analysis\nclassname=org.regwatch.es.RegwatchAnalysisPlugin\n"
        f"java.version=21\nelasticsearch.version={version}\n")
    try:
        staging.rename(target)
    except OSError:  # another process finished first: use its copy
        shutil.rmtree(staging, ignore_errors=True)
    return target


@dataclass(frozen=True)
class Cluster:
    """N nodes on loopback forming one cluster: HTTP ports port, port+1, …; transport +100."""

    name: str
    port: int
    size: int = 3

    @property
    def nodes(self) -> list[Node]:
        names = [f"{self.name}-{i}" for i in range(1, self.size + 1)]
        members = tuple((n, self.port + 100 + i) for i, n in enumerate(names))
        return [Node(name=n, port=self.port + i, cluster=self.name, members=members)
                for i, n in enumerate(names)]

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]


def start_cluster(cluster: Cluster, *, timeout: float = 240) -> Cluster:
    """Launch every member that is not running, then wait until the cluster is green with all."""
    # Side by side: `elasticsearch -d` returns once its node has joined a cluster (or after a
    # 30 s discovery timeout), and a first election needs a majority of the masters up.
    with ThreadPoolExecutor(cluster.size) as pool:
        list(pool.map(_launch, [node for node in cluster.nodes if _pid(node) is None]))
    wait_green(cluster, timeout=timeout)
    return cluster


def wait_green(cluster: Cluster, *, timeout: float = 240) -> float:
    """Wait until some member reports green with every member joined; return the seconds waited."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        health = cluster_health(cluster)
        if health.get("status") == "green" and health.get("number_of_nodes") == cluster.size:
            return time.monotonic() - began
        if not any(_pid(n) for n in cluster.nodes):
            raise LocalEsError(f"no node of {cluster.name} is running; see {cluster.nodes[0].dir / 'logs'}: "
                               f"{_last_log_line(cluster.nodes[0])}")
        time.sleep(0.5)
    raise LocalEsError(f"cluster {cluster.name} not green with {cluster.size} nodes in {timeout:.0f}s: "
                       f"{cluster_health(cluster) or 'no answer'}")


def cluster_health(cluster: Cluster) -> dict:
    """The cluster's health as the first member that answers sees it ({} when none does)."""
    for node in cluster.nodes:
        try:
            r = httpx.get(f"{node.url}/_cluster/health", timeout=2)
            if r.status_code == 200:
                return dict(r.json())
        except (httpx.HTTPError, ValueError):
            continue
    return {}


def stop_cluster(cluster: Cluster) -> None:
    """Stop every member (a clean shutdown each)."""
    for node in cluster.nodes:
        stop(node)


def wipe_cluster(cluster: Cluster) -> None:
    for node in cluster.nodes:
        wipe(node)


def kill(node: Node) -> int:
    """SIGKILL the node, as a crash would (no shutdown at all); return the pid killed."""
    pid = _pid(node)
    if pid is None:
        raise LocalEsError(f"node {node.name} is not running")
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    node.pidfile.unlink(missing_ok=True)
    return pid


def restart(node: Node) -> None:
    """Launch a stopped or killed member again; it rejoins its cluster from its data folder."""
    if _pid(node) is None:
        _launch(node)


def status(node: Node) -> str:
    """Return 'running', 'starting' or 'stopped'."""
    pid = _pid(node)
    if pid is None:
        return "stopped"
    return "running" if _healthy(node) else "starting"


def start(node: Node, *, timeout: float = 180) -> Node:
    """Start the node unless it already runs; wait until the cluster is at least yellow."""
    if status(node) == "running":
        return node
    if _pid(node) is None:
        _launch(node)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _healthy(node):
            return node
        if _pid(node) is None and time.monotonic() > deadline - timeout + 5:
            raise LocalEsError(f"Elasticsearch exited during start-up; see {node.dir / 'logs'}: "
                               f"{_last_log_line(node)}")
        time.sleep(0.5)
    raise LocalEsError(f"Elasticsearch did not become healthy in {timeout:.0f}s; see {node.dir / 'logs'}")


def stop(node: Node, *, timeout: float = 60) -> bool:
    """Stop the node; return whether one was running."""
    pid = _pid(node)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    node.pidfile.unlink(missing_ok=True)
    return True


def wipe(node: Node) -> None:
    """Delete a stopped node's data (tests start from an empty node)."""
    if _pid(node) is not None:
        raise LocalEsError(f"node {node.name} is running; stop it first")
    shutil.rmtree(node.dir, ignore_errors=True)


def _launch(node: Node) -> None:
    dist, java = distribution(), find_java()
    if node.api_keys:
        dist = with_analysis_plugin(dist, java)
    conf = node.dir / "config"
    for sub in ("data", "logs"):
        (node.dir / sub).mkdir(parents=True, exist_ok=True)
    if not conf.exists():
        shutil.copytree(dist / "config", conf)
    as_root = os.geteuid() == 0
    if as_root:
        _ensure_user()
        _chown_tree(node.dir, ES_USER)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ES_JAVA_HOME": str(java),
           "ES_PATH_CONF": str(conf), "ES_JAVA_OPTS": setting("REGWATCH_ES_JAVA_OPTS")}
    if node.security:
        _add_user(node.username, node.password, "superuser", conf, dist, env, as_root)
    settings = node_settings(node)
    cmd = [str(dist / "bin/elasticsearch"), "-d", "-p", str(node.pidfile)]
    cmd += [arg for k, v in settings.items() if v is not None for arg in ("-E", f"{k}={v}")]
    if as_root:
        cmd = ["runuser", "-u", ES_USER, "--", "env", *[f"{k}={v}" for k, v in env.items()], *cmd]
    with open(node.dir / "startup.log", "w") as log:
        done = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=node.dir)
    if done.returncode != 0:
        raise LocalEsError(f"Elasticsearch failed to start (exit {done.returncode}); "
                           f"see {node.dir / 'startup.log'}: {_last_log_line(node)}")


def node_settings(node: Node) -> dict[str, object]:
    """The `-E` settings a node is started with (a None value is not passed)."""
    settings: dict[str, object] = {
        "discovery.type": "single-node", "network.host": "127.0.0.1",
        "http.port": node.port, "transport.port": node.transport_port,
        "path.data": node.dir / "data", "path.logs": node.dir / "logs",
        "cluster.name": f"regwatch-{node.name}", "node.name": node.name,
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "xpack.security.enabled": str(node.security).lower(),
        "xpack.security.http.ssl.enabled": "false", "xpack.security.transport.ssl.enabled": "false",
        "xpack.security.authc.api_key.enabled": str(node.api_keys).lower(),
    }
    if node.cluster:
        settings.update(_cluster_settings(node))
    return settings


def _cluster_settings(node: Node) -> dict[str, object]:
    """Discovery on loopback instead of single-node. The initial masters are named only while
    the node has never joined: a node that has is bound to its cluster by its data, and naming
    them again on a restart could bootstrap a second cluster if the data were lost."""
    settings: dict[str, object] = {
        "discovery.type": None,  # None: not passed at all
        "cluster.name": f"regwatch-{node.cluster}",
        "discovery.seed_hosts": ",".join(f"127.0.0.1:{port}" for _, port in node.members),
    }
    if not (node.dir / "data" / "_state").exists():
        settings["cluster.initial_master_nodes"] = ",".join(name for name, _ in node.members)
    return settings


def _add_user(name: str, password: str, role: str, conf: Path, dist: Path, env: dict[str, str],
              as_root: bool) -> None:
    users = conf / "users"
    if users.exists() and any(line.startswith(f"{name}:") for line in users.read_text().splitlines()):
        return
    cmd = [str(dist / "bin/elasticsearch-users"), "useradd", name, "-p", password, "-r", role]
    if as_root:
        cmd = ["runuser", "-u", ES_USER, "--", "env", *[f"{k}={v}" for k, v in env.items()], *cmd]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise LocalEsError(f"could not add the Elasticsearch user {name}: {done.stderr.strip()[-200:]}")


def _ensure_user() -> None:
    try:
        pwd.getpwnam(ES_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        ES_USER], check=True)


def _chown_tree(path: Path, user: str) -> None:
    ids = pwd.getpwnam(user)
    for parent in reversed(path.parents):
        if parent.is_dir() and parent.stat().st_mode & 0o001 == 0 and str(parent).startswith(str(home())):
            parent.chmod(0o755)
    for root, dirs, files in os.walk(path):
        os.chown(root, ids.pw_uid, ids.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), ids.pw_uid, ids.pw_gid)


def _pid(node: Node) -> int | None:
    try:
        pid = int(node.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie left by a killed child is not a running node
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def _healthy(node: Node) -> bool:
    auth = (node.username, node.password) if node.security else None
    try:
        r = httpx.get(f"{node.url}/_cluster/health", auth=auth, timeout=2)
        return r.status_code == 200 and r.json().get("status") in ("yellow", "green")
    except (httpx.HTTPError, ValueError):
        return False


def _last_log_line(node: Node) -> str:
    for path in (node.dir / "startup.log", node.dir / "logs" / f"regwatch-{node.cluster or node.name}.log"):
        if path.exists():
            lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
            if lines:
                return lines[-1][:300]
    return "(no log)"
