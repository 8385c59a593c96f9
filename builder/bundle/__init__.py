"""Export and import of a chain version, with the models it uses.

``writer`` makes the manifest and the zip bundle, ``reader`` opens an uploaded
bundle within bounds and checks its manifest, ``importer`` stores it.
"""

from __future__ import annotations

from builder.bundle.importer import ImportReport, chain_import
from builder.bundle.reader import (
    MAX_MANIFEST_BYTES,
    MAX_MEMBERS,
    Bundle,
    bundle_open,
    manifest_check,
)
from builder.bundle.writer import (
    EXPORT_FORMAT,
    MANIFEST,
    chain_bundle_write,
    chain_export,
)

__all__ = [
    "EXPORT_FORMAT",
    "MANIFEST",
    "MAX_MANIFEST_BYTES",
    "MAX_MEMBERS",
    "Bundle",
    "ImportReport",
    "bundle_open",
    "chain_bundle_write",
    "chain_export",
    "chain_import",
    "manifest_check",
]
