"""Downloads of model files, byte for byte (never loaded)."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase

from config.downloads import storage_redirect
from registry.models import ModelVersion


def version_file_response(version: ModelVersion) -> HttpResponseBase:
    if not version.file:
        raise Http404(f"{version} is a remote endpoint; it has no file.")
    ext = version.file.name.rsplit(".", 1)[-1]
    filename = f"{version.model.name}-v{version.number}.{ext}"
    redirect = storage_redirect(version.file.name, filename)
    if redirect is not None:
        redirect["X-Content-SHA256"] = version.sha256
        return redirect
    response = FileResponse(
        version.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/octet-stream",
    )
    response["X-Content-SHA256"] = version.sha256
    return response
