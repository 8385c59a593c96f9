"""The admin never deletes a version, so version numbers are never given twice."""

from __future__ import annotations

from registry import services
from registry.models import ModelVersion
from tests.factories import UserFactory
from tests.registry import files


def test_admin_cannot_delete_a_version_so_its_number_is_never_reused(
    client, ridge_v1, owner
):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    url = f"/admin/registry/modelversion/{ridge_v1.pk}/delete/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert ModelVersion.objects.filter(pk=ridge_v1.pk).exists()
    changelist = client.post(
        "/admin/registry/modelversion/",
        {"action": "delete_selected", "_selected_action": [ridge_v1.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    assert ModelVersion.objects.filter(pk=ridge_v1.pk).exists()
    version = services.model_version_create(
        model=ridge_v1.model,
        file=files.upload("ridge.skops", files.ridge_bytes()),
        uploaded_by=owner,
    )
    assert version.number == 2
