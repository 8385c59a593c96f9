"""The README's notebook example and examples/quickstart.py run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.startcommand import ROOT

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(
        r"<!-- client-example:start -->\n```python\n(.*?)```\n"
        r"<!-- client-example:end -->",
        text,
        flags=re.DOTALL,
    )
    assert found, "the README's client example markers are missing"
    return found.group(1)


def run_python(live, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CATENA_URL": live.url, "CATENA_TOKEN": live.token}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_readme_notebook_example_runs_as_written(live):
    done = run_python(live, "-c", readme_example())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["prediction"]
    assert "'status': 'succeeded'" in done.stdout
    assert "unknown_model no-such-model None {'model': 'no-such-model'" in done.stdout
    assert "100%" in done.stderr  # the progress bar, drawn on stderr


def test_the_quickstart_example_runs_end_to_end(live):
    done = run_python(live, "examples/quickstart.py")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "connected as admin" in out
    assert re.search(r"uploaded quickstart-ridge v\d+, now @production", out)
    assert re.search(r"run \d+ succeeded; nodes: in, sales-encoder, ", out)
    assert re.search(r"stack +succeeded +300 rows", out)
    assert "node 'no-such-model': no model named 'no-such-model'" in out
