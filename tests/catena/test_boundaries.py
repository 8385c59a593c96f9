"""The core stays pure: no Django, no apps, no configuration."""

from __future__ import annotations

import ast
from pathlib import Path

CATENA = Path(__file__).resolve().parents[2] / "catena"
FORBIDDEN = {"django", "registry", "builder", "runner", "config"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_catena_imports_no_django_and_no_app():
    files = sorted(CATENA.rglob("*.py"))
    offenders = {
        str(path.relative_to(CATENA)): sorted(imported_roots(path) & FORBIDDEN)
        for path in files
        if imported_roots(path) & FORBIDDEN
    }
    assert len(files) > 10
    assert offenders == {}


def test_every_catena_module_starts_with_future_annotations():
    missing = [
        str(path.relative_to(CATENA))
        for path in sorted(CATENA.rglob("*.py"))
        if "from __future__ import annotations" not in path.read_text()
    ]
    assert missing == []


def test_the_boundary_check_sees_dynamic_forms(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "import django.conf\nfrom registry.models import X\nfrom . import y\n"
    )
    assert imported_roots(module) == {"django", "registry"}
