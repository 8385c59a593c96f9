"""A disposable process for reading hostile model files.

Inspecting an upload and loading a version a staff user is trusting run in a
child Python started per call: its working directory is an empty temporary
folder (removed afterwards), its environment holds none of Catena's settings,
and it sets ``RLIMIT_AS``, ``RLIMIT_CPU`` and ``RLIMIT_FSIZE`` on itself before
it reads a byte. The parent waits at most a wall-clock timeout, then kills the
child's whole process group. The child answers in JSON only: the parent never
unpickles anything the child says.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.formats.common import Inspection, ModelFileError, ModelRunError

ROOT = Path(__file__).resolve().parents[2]
BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from registry.formats.child import main; main()"
)
ZYGOTE_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from registry.formats.child import serve; serve()"
)
MAX_ANSWER_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds of one sandboxed call."""

    memory_mb: int = 2048
    cpu_seconds: int = 60
    wall_seconds: float = 120.0
    max_total_bytes: int = 512 * 1024 * 1024


class SandboxError(ModelFileError):
    """The child was stopped by a limit or died; ``reason`` says which."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def inspect(
    data: bytes, filename: str, sample: bytes | None, *, limits: Limits = Limits()
) -> Inspection:
    """Check an upload in the sandbox and return what was learned."""
    args = {"filename": filename, "max_total_bytes": limits.max_total_bytes}
    return Inspection(**run("inspect", data, sample, args=args, limits=limits))


def describe(
    data: bytes,
    sample: bytes | None,
    *,
    fmt: str,
    trusted_types: list[str],
    limits: Limits = Limits(),
) -> dict[str, Any]:
    """Load a version being trusted in the sandbox: signature, warnings, version."""
    args = {"fmt": fmt, "trusted_types": trusted_types}
    return run("describe", data, sample, args=args, limits=limits)


def run(
    job: str,
    data: bytes,
    sample: bytes | None,
    *,
    args: dict[str, Any],
    limits: Limits,
) -> dict[str, Any]:
    header = json.dumps(
        {
            "job": job,
            "args": args,
            "data": len(data),
            "sample": None if sample is None else len(sample),
            "memory_mb": limits.memory_mb,
            "cpu_seconds": limits.cpu_seconds,
        }
    ).encode()
    message = struct.pack("<I", len(header)) + header + data + (sample or b"")
    returncode, answer, errors = _ZYGOTE.run(message, limits)
    return _answer(returncode, answer, errors, limits)


class _Zygote:
    """One long-lived child per process that forks each job (see child.serve).

    It is started like the per-call child (empty folder, clean environment, our
    own interpreter in isolated mode) and never reads a job's bytes itself; each
    job is forked off, limits itself in a fresh empty folder, and exits. Should
    the zygote misbehave, the job runs in a freshly started child instead.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.child: subprocess.Popen[bytes] | None = None
        self.pid = 0
        self.folder: tempfile.TemporaryDirectory[str] | None = None

    def run(self, message: bytes, limits: Limits) -> tuple[int, bytes, bytes]:
        with self.lock:
            try:
                return self._ask(message, limits)
            except (OSError, EOFError, struct.error, ValueError):
                self._stop()
        with tempfile.TemporaryDirectory(prefix="catena-sandbox-") as empty:
            return _spawn(message, empty, limits)

    def _ask(self, message: bytes, limits: Limits) -> tuple[int, bytes, bytes]:
        child = self._ensure()
        assert child.stdin is not None
        assert child.stdout is not None
        wall_ms = int(limits.wall_seconds * 1000)
        child.stdin.write(struct.pack("<QI", len(message), wall_ms) + message)
        child.stdin.flush()
        head = child.stdout.read(20)
        if len(head) != 20:
            raise EOFError("the sandbox zygote stopped")
        status, answer_size, errors_size = struct.unpack("<iQQ", head)
        answer = child.stdout.read(answer_size)
        errors = child.stdout.read(errors_size)
        return status, answer, errors

    def _ensure(self) -> subprocess.Popen[bytes]:
        alive = self.child is not None and self.child.poll() is None
        if alive and self.child is not None and self.pid == os.getpid():
            return self.child
        self.folder = tempfile.TemporaryDirectory(prefix="catena-zygote-")
        cwd = self.folder.name
        self.child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-I", "-c", ZYGOTE_BOOT, str(ROOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=cwd,
            env=_environment(cwd),
            start_new_session=True,
        )
        self.pid = os.getpid()
        return self.child

    def _stop(self) -> None:
        if self.child is not None and self.pid == os.getpid():
            _kill(self.child)
        self.child = None


_ZYGOTE = _Zygote()


def _spawn(message: bytes, cwd: str, limits: Limits) -> tuple[int, bytes, bytes]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-I", "-c", BOOT, str(ROOT)],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=_environment(cwd),
            start_new_session=True,
        )
        try:
            child.communicate(message, timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            _kill(child)
            return -signal.SIGKILL, b"", b"wall timeout"
        finally:
            _kill(child)
        out.seek(0)
        err.seek(0)
        return child.returncode, out.read(MAX_ANSWER_BYTES), err.read(64 * 1024)


def _kill(child: subprocess.Popen[bytes]) -> None:
    """Stop the child and anything it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def _environment(cwd: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": cwd,
        "TMPDIR": cwd,
        "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }


def _answer(
    returncode: int, answer: bytes, errors: bytes, limits: Limits
) -> dict[str, Any]:
    try:
        reply = json.loads(answer.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError, UnicodeDecodeError):
        reply = None
    if not isinstance(reply, dict):
        raise _died(returncode, errors, limits)
    if reply.get("ok") is True and isinstance(reply.get("result"), dict):
        return dict(reply["result"])
    return _refuse(reply, limits)


def _refuse(reply: dict[str, Any], limits: Limits) -> dict[str, Any]:
    message = str(reply.get("message", "The file could not be read."))
    if reply.get("error") == "run":
        raise ModelRunError(message)
    if reply.get("error") == "memory":
        raise _memory(limits)
    raise ModelFileError(message)


def _memory(limits: Limits) -> SandboxError:
    return SandboxError(
        f"Reading the file needs more than the memory limit of "
        f"{limits.memory_mb} MB; it is refused.",
        reason="memory",
    )


def _died(returncode: int, errors: bytes, limits: Limits) -> SandboxError:
    if returncode in (-signal.SIGKILL, -signal.SIGXCPU):
        return SandboxError(
            f"Reading the file took longer than the limit ({limits.cpu_seconds} s "
            f"of CPU, {limits.wall_seconds:g} s in all); it is refused.",
            reason="time",
        )
    text = errors.decode("utf-8", "replace")
    if "MemoryError" in text or "bad_alloc" in text or "Cannot allocate" in text:
        return _memory(limits)
    return SandboxError(
        f"Reading the file stopped the process that read it (exit code "
        f"{returncode}); it is refused.",
        reason="crash",
    )
