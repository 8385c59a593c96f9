"""Downloads of stored node outputs: Parquet as stored, or CSV streamed."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from config.downloads import storage_redirect
from config.exceptions import CatenaAppError
from runner.models import NodeResult
from runner.streams import csv_chunks


def node_output_response(node: NodeResult, fmt: str) -> HttpResponseBase:
    """The stored output as a download; 404 JSON when it is not stored."""
    if node.artifact is None:
        raise CatenaAppError(
            f"Node {node.node_id!r} has no stored output.",
            {"node": node.node_id, "status": node.status},
            status=404,
        )
    name = f"run{node.run_id}-{node.node_id}"
    if fmt == "parquet":
        redirect = storage_redirect(node.artifact.path, f"{name}.parquet")
        if redirect is not None:
            return redirect
    try:
        handle = default_storage.open(node.artifact.path, "rb")
    except FileNotFoundError as exc:
        raise CatenaAppError(
            f"The stored output of {node.node_id!r} is gone.",
            {"node": node.node_id},
            status=404,
        ) from exc
    if fmt == "parquet":
        return FileResponse(handle, as_attachment=True, filename=f"{name}.parquet")
    # Written a batch of rows at a time from the Parquet file, never whole.
    response = StreamingHttpResponse(csv_chunks(handle), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
