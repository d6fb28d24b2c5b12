"""The layering of the packages, read from their source: records at the bottom, then connectors
and transforms side by side, neither importing the other."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

OURS = {"alerts", "bench", "connectors", "dags", "infra", "records", "regwatch", "tests", "transforms"}
# The packages of ours each one may import (besides itself); third-party imports are not limited
# here, except that the records stay on the standard library so every layer can afford them.
MAY_IMPORT = {"records": set(), "transforms": {"records"}, "connectors": {"records"}}


def imported_modules(path: Path) -> set[str]:
    """Return the top-level names of every module a file imports, in any scope."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_imported_modules_sees_nested_and_deferred_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import os.path\nif True:\n    from a.b import c\n"
                      "def f():\n    import d\nfrom . import e\n")
    assert imported_modules(source) == {"os", "a", "d"}


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_package_imports_only_the_layers_below(package: str) -> None:
    allowed = MAY_IMPORT[package] | {package}
    wrong = [f"{path.relative_to(REPO)} imports {name}"
             for path in sorted((REPO / package).rglob("*.py"))
             for name in sorted((imported_modules(path) & OURS) - allowed)]
    assert not wrong, f"{package} may import only {sorted(allowed)} of ours: {wrong}"


def test_records_need_only_the_standard_library() -> None:
    outside = {f"{path.name}: {name}" for path in (REPO / "records").rglob("*.py")
               for name in imported_modules(path) - {"records"} - sys.stdlib_module_names}
    assert not outside
