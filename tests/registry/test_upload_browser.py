"""The upload page in a real browser: drag a file onto the drop zone, submit."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect, sync_playwright

from registry.models import ModelVersion
from tests.factories import UserFactory
from tests.registry import files

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    user = UserFactory(username="uploader")
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(base_url=live_server.url)
        context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        browser.close()
    assert errors == []


DROP = """([bytes, name]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(bytes)], name));
  const zone = document.querySelector('[data-dropzone]');
  zone.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true}));
}"""


@pytest.mark.e2e
def test_dropped_file_is_uploaded_as_a_new_model(page):
    page.goto("/models/")
    page.get_by_role("link", name="Upload your first model").click()
    page.get_by_label("Name", exact=True).fill("dropped-ridge")
    page.evaluate(DROP, [list(files.ridge_bytes()), "ridge.skops"])
    expect(page.locator("[data-dropzone-name]")).to_contain_text("ridge.skops")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="dropped-ridge v1")).to_be_visible()
    version = ModelVersion.objects.get()
    assert version.sha256 == hashlib.sha256(files.ridge_bytes()).hexdigest()


@pytest.mark.e2e
def test_dropping_a_file_above_the_limit_warns_before_upload(page, settings):
    settings.CATENA_MAX_UPLOAD_MB = 1
    page.goto("/models/new")
    page.evaluate(DROP, [[0] * (1024 * 1024 + 1), "big.skops"])
    expect(page.locator("[data-dropzone-error]")).to_contain_text(
        "the upload limit is 1 MB"
    )
