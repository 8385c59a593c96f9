"""pickle and joblib files: the globals they would import, listed by picklescan.

Nothing here unpickles. The listing is picklescan's (INST, GLOBAL and
STACK_GLOBAL, including names passed through the memo); a file it cannot read
to the end, or whose imports it can name only as "unknown", is refused rather
than shown with a list that might be incomplete. A joblib file is a pickle
stream, maybe compressed, into which joblib writes raw array bytes; those stop
any static reader, so such a file is listed as "(could not be listed)" and
trusting it means trusting the whole file.
"""

from __future__ import annotations

import bz2
import io
import lzma
import pickletools
import zlib
from typing import TYPE_CHECKING, Any

from registry.formats.common import Inspection, ModelFileError

if TYPE_CHECKING:
    import pandas as pd

NOT_LISTED = "(could not be listed)"
# picklescan keeps every opcode in a list (about 100 bytes each) and reads a
# MemoryError as the end of the stream, which would list nothing; the opcodes
# are therefore counted first. A fitted model pickles to far fewer: a forest
# of 100 trees is about 100,000 opcodes, its arrays being single opcodes.
MAX_OPCODES = 2_000_000
IMPORTS = ("GLOBAL", "STACK_GLOBAL", "INST")


def pickle_inspect(
    data: bytes, fmt: str, sample: pd.DataFrame | None, *, max_total_bytes: int
) -> Inspection:
    """Describe a pickle or joblib file; meant to run inside the sandbox."""
    found = Inspection(format=fmt, library=fmt)
    if fmt == "pickle":
        found.untrusted_types = pickle_globals(data)
    else:
        found.untrusted_types = joblib_globals(data, max_total_bytes=max_total_bytes)
    if sample is not None:
        from catena.schema import schema_of, schema_to_json

        found.signature = {"inputs": schema_to_json(schema_of(sample)), "outputs": {}}
    return found


def pickle_globals(data: bytes) -> list[str]:
    """The sorted ``module.name`` globals of a whole pickle, or a ModelFileError."""
    error, imports = _opcodes_read(data)
    if error is not None:
        raise ModelFileError(
            f"The file is not a pickle (its opcodes cannot be read: {error})."
        )
    names, complete = _scan(data)
    if not complete or (imports and not names):
        raise ModelFileError(
            "The pickle cannot be fully listed (it holds data after its end, or "
            "names an import only at load time); such a file is refused."
        )
    return names


def joblib_globals(data: bytes, *, max_total_bytes: int) -> list[str]:
    """The globals of a joblib file, or ``[NOT_LISTED]`` when arrays hide the rest."""
    stream = _joblib_stream(data, max_total_bytes)
    if not _starts_as_pickle(stream):
        raise ModelFileError(
            "The file is not a joblib file (neither a pickle stream nor a "
            "compressed joblib file)."
        )
    error, imports = _opcodes_read(stream)
    if error is not None:
        return [NOT_LISTED]
    names, complete = _scan(stream)
    return names if complete and (names or not imports) else [NOT_LISTED]


def _scan(data: bytes) -> tuple[list[str], bool]:
    from picklescan.scanner import scan_pickle_bytes

    result = scan_pickle_bytes(io.BytesIO(data), "upload", multiple_pickles=True)
    names = sorted({f"{g.module}.{g.name}" for g in result.globals})
    hidden = any("unknown" in (g.module, g.name) for g in result.globals)
    return names, not (result.scan_err or hidden)


def _opcodes_read(data: bytes) -> tuple[str | None, int]:
    """Why the stream is not one pickle read to its STOP (or None), and how
    many imports it names; refused past ``MAX_OPCODES``."""
    imports = 0
    try:
        for count, (opcode, _arg, _pos) in enumerate(
            pickletools.genops(io.BytesIO(data))
        ):
            imports += opcode.name in IMPORTS
            if count > MAX_OPCODES:
                raise ModelFileError(
                    f"The pickle holds more than {MAX_OPCODES:,} opcodes; "
                    "it is refused."
                )
    except ModelFileError:
        raise
    except Exception as exc:  # pickletools raises ValueError and others on garbage
        return str(exc) or type(exc).__name__, imports
    return None, imports


def _starts_as_pickle(stream: bytes) -> bool:
    """A protocol 2+ pickle whose first opcodes read up to a first import."""
    if not stream.startswith(b"\x80"):
        return False
    try:
        for opcode, _arg, _pos in pickletools.genops(io.BytesIO(stream)):
            if opcode.name in ("GLOBAL", "STACK_GLOBAL", "INST"):
                return True
    except Exception:
        return False
    return False


def _joblib_stream(data: bytes, max_total_bytes: int) -> bytes:
    """The pickle stream of a joblib file, unpacked within ``max_total_bytes``."""
    decompressor = _decompressor(data)
    if decompressor is None:
        return data
    try:
        out = bytes(decompressor.decompress(data, max_total_bytes + 1))
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
        raise ModelFileError(
            f"The file is not a joblib file (its compressed stream is damaged: {exc})."
        ) from exc
    if len(out) > max_total_bytes:
        raise ModelFileError(
            f"The joblib file unpacks to more than {max_total_bytes:,} bytes; "
            "the limit is that."
        )
    return out


def _decompressor(data: bytes) -> Any:
    if data.startswith(b"x"):
        return zlib.decompressobj()
    if data.startswith(b"\x1f\x8b"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if data.startswith(b"BZh"):
        return bz2.BZ2Decompressor()
    if data.startswith((b"\xfd7zXZ", b"\x5d\x00\x00")):
        return lzma.LZMADecompressor()
    return None
