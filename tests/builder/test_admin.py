"""The admin never deletes a chain version, so its number is never given twice."""

from __future__ import annotations

from builder.models import ChainVersion
from tests.factories import UserFactory


def test_admin_cannot_delete_a_chain_version(client, saved):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    url = f"/admin/builder/chainversion/{saved.pk}/delete/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = client.post(
        "/admin/builder/chainversion/",
        {"action": "delete_selected", "_selected_action": [saved.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    assert ChainVersion.objects.filter(pk=saved.pk).exists()
