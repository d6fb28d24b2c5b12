"""infra/docker-compose.yml and infra/.env.example, checked statically (no Docker engine here)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
ONE_SHOTS = {"airflow-init", "setup"}
VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?-][^}]*)?\}")
ENV_READ = re.compile(r"""(?:os\.environ\.get|os\.getenv|os\.environ\.setdefault|os\.environ|setting)\s*[\(\[]\s*["']([A-Z][A-Z0-9_]*)["']""")
CODE_DIRS = ("regwatch", "connectors", "transforms", "alerts", "dags", "infra")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((INFRA / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def env_example() -> set[str]:
    names = set()
    for line in (INFRA / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, _ = line.partition("=")
            assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"bad line: {line!r}"
            names.add(name)
    return names


def test_the_stack_has_every_service_the_issue_names(compose) -> None:
    services = compose["services"]
    assert services["elasticsearch"]["image"].startswith("docker.elastic.co/elasticsearch/elasticsearch:")
    assert services["kibana"]["image"].startswith("docker.elastic.co/kibana/kibana:")
    for name in ("elasticsearch", "kibana"):
        default = re.search(r":-(\d+)\.", services[name]["image"]).group(1)
        assert default == "9", name
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    commands = {" ".join(s["command"]) for s in services.values() if isinstance(s.get("command"), list)}
    for needed in ("airflow api-server", "airflow scheduler", "airflow dag-processor",
                   "airflow triggerer", "airflow celery worker"):
        assert needed in commands, needed
    assert services["airflow-worker"]["deploy"]["replicas"] >= 2


def test_airflow_runs_celery_on_postgres_and_redis(compose) -> None:
    env = compose["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
    assert compose["services"]["airflow-worker"]["build"]["dockerfile"] == "infra/Dockerfile"
    dockerfile = (INFRA / "Dockerfile").read_text()
    assert "-c constraints.txt" in dockerfile and "celery-requirements.txt" in dockerfile


def test_every_long_running_service_has_a_healthcheck(compose) -> None:
    for name, service in compose["services"].items():
        if name in ONE_SHOTS:
            assert service.get("restart") == "no", name
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
        assert service.get("restart") == "unless-stopped", name


def test_depends_on_names_real_services_with_valid_conditions(compose) -> None:
    services = compose["services"]
    for name, service in services.items():
        for target, spec in (service.get("depends_on") or {}).items():
            assert target in services and target != name, f"{name} -> {target}"
            condition = spec["condition"]
            assert condition in CONDITIONS, f"{name} -> {target}: {condition}"
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits on {target}'s health"
            if condition == "service_completed_successfully":
                assert target in ONE_SHOTS, f"{name} waits for {target} to finish"


def test_setup_is_a_one_shot_that_inits_imports_and_connects(compose) -> None:
    setup = compose["services"]["setup"]
    script = (REPO / setup["command"][-1].replace("/opt/regwatch/", "")).read_text()
    for step in ("regwatch init", "regwatch kibana import", "airflow connections add"):
        assert step in script, step
    provided = set(setup["environment"])
    used = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", script))
    assert used <= provided, sorted(used - provided)


def test_every_substituted_variable_is_in_env_example(env_example) -> None:
    used = set(VAR.findall((INFRA / "docker-compose.yml").read_text()))
    assert used, "the compose file substitutes nothing?"
    assert used <= env_example, sorted(used - env_example)


def test_every_variable_the_code_reads_is_in_env_example(env_example) -> None:
    read = set()
    for folder in CODE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            read |= set(ENV_READ.findall(path.read_text(encoding="utf-8")))
    for must in ("ES_URL", "ES_API_KEY", "ES_USERNAME", "ES_PASSWORD", "REGWATCH_CATALOG"):
        assert must in read, f"the grep missed {must}"
    documented = {"SLACK_BOT_TOKEN", "SLACK_API_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_USER",
                  "SMTP_PASSWORD", "SMTP_STARTTLS", "SMTP_FROM", "KIBANA_USERNAME",
                  "KIBANA_PASSWORD", "KIBANA_API_KEY"}  # DESIGN.md's configuration contract
    missing = (read | documented) - env_example - {"PATH", "HOME"}
    assert not missing, f"add to infra/.env.example: {sorted(missing)}"


def test_setup_creates_the_connections_the_tasks_read(compose) -> None:
    from regwatch.tasks import CONNECTIONS

    script = (INFRA / "setup.sh").read_text()
    created = set(re.findall(r"add_connection (\w+) ", script))
    assert created == set(CONNECTIONS)


def test_the_api_server_mounts_the_subscriber_web_app(compose) -> None:
    env = compose["services"]["airflow-apiserver"]["environment"]
    folder = env["AIRFLOW__CORE__PLUGINS_FOLDER"]
    assert folder.startswith("/opt/regwatch/"), "the image keeps the checkout in /opt/regwatch"
    plugin = REPO / folder.removeprefix("/opt/regwatch/") / "regwatch_web.py"
    assert "fastapi_apps" in plugin.read_text()
    assert {"SLACK_SIGNING_SECRET", "REGWATCH_PUBLIC_URL"} <= set(env)
