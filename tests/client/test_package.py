"""`pip install ./client` builds a wheel that works outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.startcommand import ROOT

pytestmark = pytest.mark.slow


def test_the_client_installs_from_its_folder_and_imports_alone(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels]
        + [str(ROOT / "client")],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("catena_client-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "catena_client/py.typed" in names
    assert "catena_client/client.py" in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        + ["--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import catena_client, sys; "
        "assert catena_client.__file__.startswith(sys.argv[1]); "
        "assert 'django' not in sys.modules; print(catena_client.__version__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0.1.0"
