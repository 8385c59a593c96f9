"""Downloads of stored files: a pre-signed redirect when the storage is S3."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiResponse

#: How long a pre-signed download link works, in seconds.
REDIRECT_SECONDS = 300
#: The 302 of a download when the storage is S3 (documented in the schema).
PRESIGNED_REDIRECT = OpenApiResponse(
    description="Object storage: a redirect to a pre-signed URL of the file, "
    "valid for 5 minutes (Location header)."
)


def storage_redirect(name: str, filename: str) -> HttpResponseRedirect | None:
    """A 302 to a short-lived pre-signed URL of ``name``, or None to stream it.

    None also when the object is gone, so the caller answers its own 404
    rather than sending the client to the store's error page.
    """
    if not settings.CATENA_STORAGE_REDIRECT or not default_storage.exists(name):
        return None
    disposition = f'attachment; filename="{filename}"'
    url = default_storage.url(  # type: ignore[call-arg]
        name,
        parameters={"ResponseContentDisposition": disposition},
        expire=REDIRECT_SECONDS,
    )
    return HttpResponseRedirect(url)
