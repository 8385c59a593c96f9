"""Password reset by mail exists only when a mail server is configured."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

RESET_PAGES = ["password_reset", "password_reset_done", "password_reset_complete"]


def test_without_mail_there_is_no_reset_link_or_page(client, owner, settings):
    settings.CATENA_PASSWORD_RESET = False
    assert "Forgot your password?" not in client.get(reverse("login")).content.decode()
    for name in RESET_PAGES:
        assert client.get(reverse(name)).status_code == 404
    confirm = reverse("password_reset_confirm", args=["MQ", "set-password"])
    assert client.get(confirm).status_code == 404
    response = client.post(reverse("password_reset"), {"email": owner.email})
    assert response.status_code == 404
    assert mail.outbox == []


def test_with_mail_the_login_page_links_to_a_working_reset(client, owner, settings):
    settings.CATENA_PASSWORD_RESET = True
    html = client.get(reverse("login")).content.decode()
    assert "Forgot your password?" in html
    assert reverse("password_reset") in html
    response = client.post(reverse("password_reset"), {"email": owner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(
        line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line
    )
    path = link.strip().split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-pass-4-tests", "new_password2": "a-new-pass-4-tests"},
    )
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a-new-pass-4-tests") is True
