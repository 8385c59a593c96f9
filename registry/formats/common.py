"""What every format shares: errors, the inspection record, extensions, samples."""

from __future__ import annotations

import io
import platform
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

ACCEPTED = {
    ".skops": "skops",
    ".onnx": "onnx",
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".joblib": "joblib",
}
ACCEPTED_TEXT = "skops (.skops), ONNX (.onnx), pickle (.pkl, .pickle), joblib (.joblib)"
SAMPLE_MAX_ROWS = 1000


class ModelFileError(ValueError):
    """A file that cannot be a model of its format; the message is for the user."""


class ModelRunError(ValueError):
    """The model failed on its own sample; the message is the model's error."""


@dataclass
class Inspection:
    """What was learned about an uploaded file."""

    format: str
    library: str = ""
    library_version: str = ""
    sklearn_version: str = ""
    numpy_version: str = ""
    python_version: str = ""
    untrusted_types: list[str] = field(default_factory=list)
    # None when the signature can be known only by loading (after trust).
    signature: dict[str, Any] | None = None
    load_warnings: list[str] = field(default_factory=list)
    # A scikit-learn stacking estimator's training, read from its cv param:
    # True out-of-fold, False in-sample, None not a stacker or unknown.
    out_of_fold: bool | None = None

    @property
    def methods(self) -> list[str]:
        return list((self.signature or {}).get("outputs", {}))

    @property
    def needs_trust(self) -> bool:
        return self.format in ("pickle", "joblib") or bool(self.untrusted_types)


def format_of(filename: str) -> str:
    """The format named by a file's extension, or a ModelFileError."""
    lower = filename.lower()
    for ext, fmt in ACCEPTED.items():
        if lower.endswith(ext):
            return fmt
    raise ModelFileError(
        f"'{filename}' is not an accepted model format. Accepted: {ACCEPTED_TEXT}."
    )


def installed_versions() -> dict[str, str]:
    import numpy as np
    import sklearn

    return {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }


def read_sample(data: bytes) -> pd.DataFrame:
    """A sample CSV as a DataFrame (first rows only), or a ModelFileError."""
    import pandas as pd

    if not data.strip():
        raise ModelFileError("The sample file is empty.")
    try:
        frame = pd.read_csv(io.BytesIO(data), nrows=SAMPLE_MAX_ROWS)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ModelFileError(f"The sample is not a readable CSV file: {exc}") from exc
    if frame.empty:
        raise ModelFileError("The sample has a header but no rows.")
    return frame


def compat_warnings(
    *, python: str, sklearn_version: str, numpy_version: str, load_warnings: list[str]
) -> list[str]:
    """Differences between the recorded and installed versions that can matter."""
    now = installed_versions()
    found = list(load_warnings)
    if sklearn_version and sklearn_version != now["sklearn"]:
        found.append(
            f"Saved with scikit-learn {sklearn_version}; this server runs "
            f"{now['sklearn']}. Results may differ (InconsistentVersionWarning)."
        )
    if numpy_version and _major(numpy_version) != _major(now["numpy"]):
        found.append(
            f"Saved with numpy {numpy_version}; this server runs {now['numpy']}."
        )
    if python and _minor(python) != _minor(now["python"]):
        found.append(f"Saved with Python {python}; this server runs {now['python']}.")
    return found


def _major(version: str) -> str:
    return version.split(".")[0]


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])
