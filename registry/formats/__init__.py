"""What a model file is, what it offers, and how to read it safely.

One module per format (``skops``, ``onnx``, ``pickle``), the bounded zip
reader they share (``ziplimits``), and the sandbox (``sandbox`` in this
process, ``child`` and ``jobs`` in the disposable one) in which every upload is
inspected and every version being trusted is loaded. ``loading`` is what a
worker uses to run a model it may run.
"""

from __future__ import annotations

from registry.formats.common import (
    ACCEPTED,
    ACCEPTED_TEXT,
    Inspection,
    ModelFileError,
    ModelRunError,
    compat_warnings,
    format_of,
    installed_versions,
    read_sample,
)
from registry.formats.loading import load_object
from registry.formats.sandbox import Limits, SandboxError, describe, inspect
from registry.formats.signatures import adapter_for, check_runs, signature_and_check

__all__ = [
    "ACCEPTED",
    "ACCEPTED_TEXT",
    "Inspection",
    "Limits",
    "ModelFileError",
    "ModelRunError",
    "SandboxError",
    "adapter_for",
    "check_runs",
    "compat_warnings",
    "describe",
    "format_of",
    "inspect",
    "installed_versions",
    "load_object",
    "read_sample",
    "signature_and_check",
]
