"""The sandbox's child: limits itself, reads one job from stdin, answers in JSON."""

from __future__ import annotations

import json
import os
import resource
import struct
import sys
from typing import Any, BinaryIO

MB = 1024 * 1024
# Files the child may write (its answer included): enough for JSON, not a flood.
MAX_WRITE_BYTES = 16 * MB


def _limit(kind: int, soft: int, hard: int | None = None) -> None:
    resource.setrlimit(kind, (soft, soft if hard is None else hard))


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the sandbox's input ended early")
    return data


def main() -> None:
    stdin = sys.stdin.buffer
    (size,) = struct.unpack("<I", _read_exactly(stdin, 4))
    header = json.loads(_read_exactly(stdin, size))
    # The limits are set before the hostile bytes are read or parsed.
    _limit(resource.RLIMIT_AS, int(header["memory_mb"]) * MB)
    cpu = int(header["cpu_seconds"])
    _limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _limit(resource.RLIMIT_FSIZE, MAX_WRITE_BYTES)
    _limit(resource.RLIMIT_CORE, 0)
    # Whatever the job prints goes to stderr; stdout carries the answer only.
    answer = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    data = _read_exactly(stdin, int(header["data"]))
    sample_size = header["sample"]
    sample = None if sample_size is None else _read_exactly(stdin, int(sample_size))
    answer.write(json.dumps(_run(header, data, sample)) + "\n")
    answer.flush()


def _run(header: dict[str, Any], data: bytes, sample: bytes | None) -> dict[str, Any]:
    try:
        from registry.formats.common import ModelFileError, ModelRunError
        from registry.formats.jobs import JOBS

        result = JOBS[header["job"]](data, sample, **header["args"])
    except MemoryError:
        return {"ok": False, "error": "memory"}
    except ModelRunError as exc:
        return {"ok": False, "error": "run", "message": str(exc)}
    except ModelFileError as exc:
        return {"ok": False, "error": "file", "message": str(exc)}
    except Exception as exc:  # a hostile file may raise anything
        message = f"The file cannot be read: {type(exc).__name__}: {exc}"
        return {"ok": False, "error": "file", "message": message}
    return {"ok": True, "result": result}


# The zygote ----------------------------------------------------------------------
# Starting Python and importing scikit-learn, skops and onnxruntime costs 1.5-3 s;
# a forked child of a process that imported them once starts in milliseconds. The
# zygote itself never reads a job's bytes: each job is forked off, limits itself
# in a fresh empty folder, answers, and exits.
PRELOAD = ("numpy", "pandas", "sklearn", "skops.io", "onnx", "onnxruntime")


def serve() -> None:
    import importlib
    import select
    import signal
    import tempfile
    import time

    for name in PRELOAD:
        with _suppress_import():
            importlib.import_module(name)
    importlib.import_module("registry.formats.jobs")
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = stdin.read(12)
        if len(head) != 12:
            return
        size, wall_ms = struct.unpack("<QI", head)
        message = _read_exactly(stdin, size)
        folder = tempfile.mkdtemp(prefix="catena-job-")
        errors_path = os.path.join(folder, ".stderr")
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the job
            os.setsid()
            os.close(read_end)
            os.chdir(folder)
            os.environ["HOME"] = os.environ["TMPDIR"] = folder
            tempfile.tempdir = folder
            err = os.open(errors_path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.dup2(err, 2)
            os.dup2(write_end, 1)
            sys.stdin = open(os.devnull)  # noqa: SIM115
            code = 0
            try:
                _job(message)
            except BaseException:  # noqa: BLE001 - reported through stderr
                import traceback

                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        os.close(write_end)
        answer = bytearray()
        deadline = time.monotonic() + wall_ms / 1000
        status = None
        while status is None:
            left = deadline - time.monotonic()
            if left <= 0:
                with _suppress():
                    os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                status = -signal.SIGKILL
                break
            ready, _, _ = select.select([read_end], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(read_end, 1 << 16)
                if chunk:
                    if len(answer) < 4 * MB:
                        answer += chunk
                    continue
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(raw)
        while chunk := _drain(read_end):
            answer += chunk
        os.close(read_end)
        with _suppress():
            os.killpg(pid, signal.SIGKILL)
        errors = b""
        with _suppress(), open(errors_path, "rb") as handle:
            errors = handle.read(64 * 1024)
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        out = bytes(answer[: 4 * MB])
        stdout.write(struct.pack("<iQQ", status, len(out), len(errors)) + out + errors)
        stdout.flush()


def _drain(fd: int) -> bytes:
    import select

    ready, _, _ = select.select([fd], [], [], 0)
    return os.read(fd, 1 << 16) if ready else b""


def _suppress_import() -> Any:
    import contextlib

    return contextlib.suppress(ImportError)


def _suppress() -> Any:
    import contextlib

    return contextlib.suppress(OSError)


def _job(message: bytes) -> None:
    import io

    stream = io.BytesIO(message)
    (size,) = struct.unpack("<I", _read_exactly(stream, 4))
    header = json.loads(_read_exactly(stream, size))
    _limit(resource.RLIMIT_AS, int(header["memory_mb"]) * MB)
    cpu = int(header["cpu_seconds"])
    _limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _limit(resource.RLIMIT_FSIZE, MAX_WRITE_BYTES)
    _limit(resource.RLIMIT_CORE, 0)
    data = _read_exactly(stream, int(header["data"]))
    sample_size = header["sample"]
    sample = None if sample_size is None else _read_exactly(stream, int(sample_size))
    answer = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    answer.write(json.dumps(_run(header, data, sample)) + "\n")
    answer.flush()


if __name__ == "__main__":
    main()
