"""No module of the apps or the core grows past about 400 lines (STYLE.md, 6).

A module that does should become a package split by sub-domain, re-exporting
its public names from ``__init__.py``. Migrations are generated, not written.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "catena",
    "config",
    "accounts",
    "registry",
    "builder",
    "runner",
    "client/src",
)
MAX_LINES = 400


def modules_too_long(root: Path = ROOT) -> dict[str, int]:
    """Path -> line count of every module past ``MAX_LINES`` (migrations excluded)."""
    found: dict[str, int] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.relative_to(root).parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                found[str(path.relative_to(root))] = lines
    return found


def test_no_module_passes_400_lines():
    assert modules_too_long() == {}


def test_a_long_module_is_found_and_migrations_are_not(tmp_path):
    (tmp_path / "runner" / "migrations").mkdir(parents=True)
    (tmp_path / "runner" / "long.py").write_text("x = 1\n" * 401)
    (tmp_path / "runner" / "short.py").write_text("x = 1\n" * 400)
    (tmp_path / "runner" / "migrations" / "0001_initial.py").write_text("x = 1\n" * 900)
    assert modules_too_long(tmp_path) == {"runner/long.py": 401}
