"""`pip install .` gives a working regwatch: every import is a declared, pinned dependency."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from fnmatch import fnmatch
from importlib.metadata import packages_distributions, requires

from tests.conftest import REPO

SHIPPED = ("regwatch", "connectors", "transforms", "alerts", "infra", "dags")
# A meta-package ships no modules of its own: `airflow.*` comes from these, which it pins.
META = {"apache-airflow": {"apache-airflow-core", "apache-airflow-task-sdk"}}
# Declared without an import of their own, and why.
NOT_IMPORTED = {"cssselect": "lxml.cssselect needs it (html-list selectors)",
                "statsd": "Airflow's StatsD metrics ([metrics] statsd_on)"}


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group(0)).lower()


def _declared() -> dict[str, str]:
    """name -> requirement, from the installed regwatch's metadata (what `pip install .` reads)."""
    return {_name(r): r for r in requires("regwatch") or []}


def _imports() -> dict[str, set[str]]:
    """Third-party modules the shipped code imports (dotted, as written) -> files importing them."""
    ours = {p.name for p in REPO.iterdir() if p.is_dir()}
    found: dict[str, set[str]] = {}
    for folder in SHIPPED:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in ours and top not in sys.stdlib_module_names:
                        found.setdefault(name, set()).add(path.relative_to(REPO).as_posix())
    return found


def _providers(module: str) -> set[str]:
    """The distributions that can provide `module` (an Airflow provider: its own package only)."""
    parts = module.split(".")
    if parts[:2] == ["airflow", "providers"] and len(parts) > 2:
        return {f"apache-airflow-providers-{parts[2].replace('_', '-')}"}
    return {_name(d) for d in packages_distributions().get(parts[0], [])}


def test_every_imported_module_comes_from_a_declared_dependency() -> None:
    declared = set(_declared())
    provides = declared | {d for name in declared for d in META.get(name, ())}
    imports = _imports()
    assert {"croniter", "jinja2", "pendulum", "certifi"} <= {m.split(".")[0] for m in imports}
    missing = {m: sorted(files) for m, files in imports.items() if not _providers(m) & provides}
    assert not missing, f"imported but not declared in requirements.txt: {missing}"


def test_every_declared_dependency_is_imported_or_has_a_reason() -> None:
    used = {d for module in _imports() for d in _providers(module)}
    used |= {meta for meta, parts in META.items() if parts & used}
    unused = set(_declared()) - used - set(NOT_IMPORTED)
    assert not unused, f"declared but never imported (drop it, or say why in NOT_IMPORTED): {sorted(unused)}"


def test_declared_dependencies_are_requirements_txt_pinned_as_in_constraints() -> None:
    lines = [line.strip() for line in (REPO / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert sorted(_declared().values()) == sorted(lines), "stale install: run `make setup`"
    pins = {_name(line): line.split("==", 1)[1].strip()
            for line in (REPO / "constraints.txt").read_text().splitlines() if "==" in line}
    for line in lines:
        name, sep, version = line.partition("==")
        pinned = pins.get(_name(name))
        assert sep and pinned == version, f"{line}: constraints.txt pins {pinned}"


def test_every_package_is_shipped() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    tops = [d for d in REPO.iterdir() if (d / "__init__.py").exists() and d.name not in ("tests", "bench")]
    packages = {p.parent.relative_to(REPO).as_posix().replace("/", ".")
                for top in tops for p in top.rglob("__init__.py")}
    assert {"regwatch.commands", "infra.kibana"} <= packages
    unshipped = sorted(p for p in packages if not any(fnmatch(p, pattern) for pattern in include))
    assert not unshipped, f"add to [tool.setuptools.packages.find] include: {unshipped}"
