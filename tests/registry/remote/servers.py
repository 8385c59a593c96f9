"""Real model servers for the remote-model tests: Node.js and MLServer.

The linear model is fitted here with scikit-learn and handed to the Node.js
server as coefficients; MLServer serves a scikit-learn model saved with joblib
from its own virtualenv, created from PyPI on first use and kept under
``~/.cache/catena`` (``CATENA_MLSERVER_VENV`` to move it).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

HERE = Path(__file__).parent
MLSERVER_PINS = ["mlserver==1.7.1", "mlserver-sklearn==1.7.1", "scikit-learn==1.9.1"]
MLSERVER_VENV = Path(
    os.environ.get(
        "CATENA_MLSERVER_VENV", Path.home() / ".cache" / "catena" / "mlserver-1.7.1"
    )
)
FEATURES = ["a", "b", "c"]


def training_data(rows: int = 200, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(rows, len(FEATURES))), columns=FEATURES)
    target = 3.0 * frame["a"] - 2.0 * frame["b"] + 0.5 * frame["c"] + 1.0
    return frame, target.to_numpy() + rng.normal(scale=0.1, size=rows)


def fitted() -> LinearRegression:
    frame, target = training_data()
    return LinearRegression().fit(frame.to_numpy(), target)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def requests(self) -> int:
        with urllib.request.urlopen(f"{self.url}/stats", timeout=5) as answer:
            return int(json.load(answer)["requests"])


@contextmanager
def node_server(tmp: Path) -> Iterator[Server]:
    """The Node.js model server on a free port, serving :func:`fitted`."""
    model = fitted()
    spec = {
        "features": FEATURES,
        "coef": [float(c) for c in model.coef_],
        "intercept": float(model.intercept_),
    }
    path = tmp / "model.json"
    path.write_text(json.dumps(spec))
    process = subprocess.Popen(
        ["node", str(HERE / "model_server.js"), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        port = json.loads(process.stdout.readline())["port"]
        yield Server(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def mlserver_python() -> Path:
    """The MLServer virtualenv's python, created from PyPI when missing."""
    python = MLSERVER_VENV / "bin" / "python"
    marker = MLSERVER_VENV / ".catena-complete"
    MLSERVER_VENV.parent.mkdir(parents=True, exist_ok=True)
    # Both test configurations may get here at once: one creates, the other waits.
    with open(MLSERVER_VENV.parent / ".mlserver.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return python
        shutil.rmtree(MLSERVER_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(MLSERVER_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", *MLSERVER_PINS]
        subprocess.run(pip, check=True, timeout=900)
        marker.write_text(" ".join(MLSERVER_PINS))
    return python


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_mlserver_model(folder: Path, model: Any) -> None:
    import joblib

    folder.mkdir(parents=True)
    joblib.dump(model, folder / "model.joblib")
    settings = {
        "name": "sk",
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib"},
        "inputs": [{"name": "x", "datatype": "FP64", "shape": [-1, len(FEATURES)]}],
        "outputs": [{"name": "predict", "datatype": "FP64", "shape": [-1, 1]}],
    }
    (folder / "model-settings.json").write_text(json.dumps(settings))


@contextmanager
def mlserver(tmp: Path) -> Iterator[Server]:
    """MLServer serving :func:`fitted` as model ``sk`` over V2 (HTTP only)."""
    python = mlserver_python()
    models = tmp / "models"
    _write_mlserver_model(models / "sk", fitted())
    http_port, grpc_port, metrics_port = _free_port(), _free_port(), _free_port()
    (models / "settings.json").write_text(
        json.dumps(
            {
                "http_port": http_port,
                "grpc_port": grpc_port,
                "metrics_port": metrics_port,
                "host": "127.0.0.1",
                "parallel_workers": 0,
                "metrics_endpoint": None,
            }
        )
    )
    log = (tmp / "mlserver.log").open("wb")
    process = subprocess.Popen(
        [str(python), "-m", "mlserver.cli.main", "start", str(models)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=models,
    )
    url = f"http://127.0.0.1:{http_port}"
    try:
        _wait_ready(f"{url}/v2/models/sk/ready", process, tmp / "mlserver.log")
        yield Server(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    # A start-up wait, not a timing assertion: MLServer loads its runtimes first.
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError("MLServer exited:\n" + log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("MLServer did not become ready:\n" + log.read_text()[-3000:])
