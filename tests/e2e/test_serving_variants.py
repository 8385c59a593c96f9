"""Serving in the browser: the log and an A/B split with a shadow set on the chain
page, then the per-variant page showing what each variant answered."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from builder import services
from serving.models import ServingChange
from tests.e2e.conftest import shoot
from tests.serving.conftest import revenue_doc

pytestmark = pytest.mark.e2e

GOOD = {"temperature": 20.0, "price": 2.0, "shape": "a", "color": "red", "promo": 1}


def test_a_split_and_a_shadow_set_on_the_chain_page_show_per_variant(
    page, editor_user, settings
):
    settings.CATENA_SERVE_SHADOWS_INLINE = True
    chain = services.chain_create(name="shop", owner=editor_user)
    for expr in ("price * promo", "price * promo + 1", "price * promo * 3"):
        services.chain_version_save(
            chain=chain, document=revenue_doc(expr), user=editor_user
        )
    services.chain_live_set(chain=chain, number=1, user=editor_user)

    page.goto("/chains/shop/")
    log_form = page.get_by_role("form", name="Prediction log settings")
    log_form.get_by_label("Log predictions").check()
    log_form.get_by_role("button", name="Save log settings").click()
    expect(page.get_by_text("100% of requests logged, kept 7 days")).to_be_visible()
    form = page.get_by_role("form", name="Variants")
    form.get_by_label("A/B split").fill("1:50, 2:50")
    form.get_by_label("Sticky by column").fill("customer")
    form.get_by_label("Shadows").fill("3")
    form.get_by_role("button", name="Save variants").click()
    expect(page.locator("#variants-summary")).to_have_text(
        "split v1 50% / v2 50% by customer; shadows v3"
    )
    shoot(page, "serving-01-chain-page")
    assert ServingChange.objects.count() == 2

    api = APIClient()
    api.force_authenticate(editor_user)
    answered = set()
    for customer in range(30):
        row = GOOD | {"customer": customer}
        body = api.post("/api/chains/shop/predict", {"rows": [row]}, format="json")
        answered.add(body.json()["variant"])
    assert answered == {"v1", "v2"}

    page.get_by_role("link", name="Per-variant figures").click()
    table = page.locator("#variant-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tr", has_text="v3")).to_contain_text("shadow")
    expect(table.locator("tr", has_text="v3")).to_contain_text("100%")
    expect(
        page.get_by_role("img", name="Latency p50 and p99 per variant")
    ).to_be_visible()
    expect(
        page.get_by_text("split v1 50% / v2 50% by customer; shadows v3")
    ).to_be_visible()
    shoot(page, "serving-02-variants")
    page.get_by_role("link", name="Prediction log").click()
    expect(page.locator("#log-table tbody tr")).to_have_count(50)
    expect(page.get_by_text("Page 1 of 2 · 60 entries")).to_be_visible()
