"""A live Catena for the client: the real start command, and an admin token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.startcommand import ROOT, Started


def token_for(var: Path, username: str = "admin") -> str:
    """A new API token of ``username`` on the server whose files are in ``var``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    env["CATENA_VAR_DIR"] = str(var)
    done = subprocess.run(
        [sys.executable, "manage.py", "token_create", username, "--name", "client"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


class Live:
    """`python3 dev.py start` (web app, worker, scheduler, demo data)."""

    def __init__(self, tmp_path: Path) -> None:
        self.started = Started(tmp_path)
        self.url = self.started.url
        self.var = self.started.var
        try:
            self.started.wait_healthy()
            self.token = token_for(self.var)
        except BaseException:
            self.started.close()
            raise

    def close(self) -> None:
        self.started.close()
