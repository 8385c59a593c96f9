"""`python3 dev.py test` (what CI runs) fails whenever a check did not really run."""

from __future__ import annotations

import dev


def test_a_configuration_where_no_test_ran_fails():
    env = {**dev.os.environ, "CATENA_VAR_DIR": "var/test-ci-command"}
    args = ["tests/config/test_ci_command.py", "-k", "no_test_has_this_name"]
    code, counts = dev.pytest_run(env, args)
    assert code == 5
    assert dev.pytest_verdict(code, counts) == "FAILED (no tests ran)"


def test_pytest_results_decide_the_configuration_verdict():
    assert dev.pytest_verdict(0, {"passed": 3}) == "ok"
    assert dev.pytest_verdict(1, {"passed": 3, "failed": 1}).startswith("FAILED")
    assert dev.pytest_verdict(0, {}) == "FAILED (no tests ran)"


def test_the_editor_build_check_fails_when_npm_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert dev.frontend_check().startswith("FAILED (npm is not installed")


def test_the_type_check_step_runs_mypy_and_fails_on_a_type_error(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("x: int = 'not a number'\n")
    good = tmp_path / "good.py"
    good.write_text("x: int = 1\n")
    assert dev.types_check(str(bad)).startswith("FAILED")
    assert dev.types_check(str(good)) == "ok"


def test_the_imports_step_keeps_the_repository_contracts():
    assert dev.imports_check() == "ok"


def test_the_imports_step_fails_on_a_broken_contract(tmp_path):
    config = tmp_path / "contracts.ini"
    config.write_text(
        "[importlinter]\nroot_package = runner\n\n"
        "[importlinter:contract:store]\nname = The store never reads models\n"
        "type = forbidden\nsource_modules = runner.store\n"
        "forbidden_modules = runner.models\n"
    )
    assert dev.imports_check(config).startswith("FAILED")


def test_the_client_type_check_is_strict(tmp_path):
    loose = tmp_path / "loose.py"
    loose.write_text("def twice(x):\n    return 2 * x\n")
    assert dev.client_types_check(loose).startswith("FAILED")
    assert dev.client_types_check() == "ok"
