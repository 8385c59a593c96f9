"""The prediction log: off by default, sampled, capped, pruned, browsed, exported."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from scipy.stats import binom

from builder.services import chain_team_set
from config.celery import app
from serving import logbook, variants
from serving.logbook import log_prune
from serving.models import ChainServing, PredictionLog
from serving.setup import serving_set
from tests.serving.test_variants import GOOD, SHOP
from tests.teams import api_as, member, pricing

__all__ = ["member", "pricing"]

pytestmark = pytest.mark.django_db


def log_on(chain, user, **log):
    serving_set(chain=chain, user=user, log={"enabled": True} | log)


def entry(chain, *, variant="live", role="served", latency=1.0, **fields):
    return PredictionLog.objects.create(
        chain=chain,
        request=uuid.uuid4(),
        role=role,
        variant=variant,
        version=1,
        status=fields.pop("status", 200),
        latency_ms=latency,
        rate=fields.pop("rate", 1.0),
        rows=1,
        inputs=[GOOD],
        outputs=[{"revenue": 2.0}],
        used_models=[],
        **fields,
    )


def test_the_log_is_off_by_default_and_nothing_is_written(api, shop):
    assert api.post(SHOP, {"rows": [GOOD]}, format="json").status_code == 200
    assert PredictionLog.objects.count() == 0


def test_a_logged_answer_keeps_inputs_outputs_versions_and_latency(api, shop, owner):
    log_on(shop, owner)
    api.post(SHOP, {"rows": [GOOD, GOOD | {"promo": 3}]}, format="json")
    logged = PredictionLog.objects.get()
    assert (logged.role, logged.variant, logged.version) == ("served", "live", 1)
    assert (logged.status, logged.rows, logged.rate) == (200, 2, 1.0)
    assert logged.inputs == [GOOD, GOOD | {"promo": 3}]
    assert logged.outputs == [{"revenue": 2.0}, {"revenue": 6.0}]
    assert logged.used_models == []
    assert logged.latency_ms > 0


def test_a_logged_entry_keeps_only_the_first_rows(api, shop, owner, settings):
    settings.CATENA_SERVE_LOG_ROWS = 3
    log_on(shop, owner)
    rows = [GOOD | {"promo": i} for i in range(10)]
    api.post(SHOP, {"rows": rows}, format="json")
    logged = PredictionLog.objects.get()
    assert logged.rows == 10
    assert logged.inputs == rows[:3]
    assert logged.outputs == [{"revenue": 0.0}, {"revenue": 2.0}, {"revenue": 4.0}]


def test_long_text_keeps_an_entry_small(api, shop, owner):
    log_on(shop, owner)
    rows = [GOOD | {"shape": "x" * 20_000} for _ in range(5)]
    api.post(SHOP, {"rows": rows}, format="json")
    logged = PredictionLog.objects.get()
    assert logged.rows == 5
    assert len(logged.inputs) == 1  # halved until under 32 kB of JSON


def test_refused_rows_are_logged_with_their_status(api, shop, owner):
    log_on(shop, owner)
    response = api.post(SHOP, {"rows": [GOOD | {"promo": "x"}]}, format="json")
    assert response.status_code == 400
    logged = PredictionLog.objects.get()
    assert logged.status == 400
    assert "promo" in logged.error
    assert logged.inputs == [GOOD | {"promo": "x"}]


def test_sampling_logs_about_its_share_of_requests(api, shop, owner):
    variants.rng.seed(7)
    log_on(shop, owner, rate=0.25)
    n = 800
    for _ in range(n):
        api.post(SHOP, {"rows": [GOOD]}, format="json")
    logged = PredictionLog.objects.count()
    assert binom.ppf(0.5e-6, n, 0.25) <= logged <= binom.isf(0.5e-6, n, 0.25)
    assert set(PredictionLog.objects.values_list("rate", flat=True)) == {0.25}
    stats = api.get("/api/chains/shop/serving/stats").json()["variants"]
    assert stats[0]["requests"] == pytest.approx(logged * 4)
    variants.rng.seed()


def test_prune_deletes_entries_older_than_the_kept_days(shop, owner):
    log_on(shop, owner, days=2)
    old, recent = entry(shop), entry(shop)
    PredictionLog.objects.filter(id=old.id).update(
        created=timezone.now() - timedelta(days=2, minutes=1)
    )
    PredictionLog.objects.filter(id=recent.id).update(
        created=timezone.now() - timedelta(days=1, hours=23)
    )
    assert log_prune() == {"deleted": 1}
    assert list(PredictionLog.objects.values_list("id", flat=True)) == [recent.id]


def test_prune_takes_several_batches(shop, owner, monkeypatch):
    monkeypatch.setattr(logbook, "PRUNE_BATCH", 2)
    log_on(shop, owner, days=1)
    for _ in range(5):
        entry(shop)
    PredictionLog.objects.update(created=timezone.now() - timedelta(days=3))
    assert log_prune() == {"deleted": 5}


def test_prune_runs_on_the_beat_schedule(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["serving.log_prune"]
    assert schedule["task"] == "serving.log_prune"
    app.loader.import_default_modules()
    assert "serving.log_prune" in app.tasks


def test_the_csv_export_streams_entries_newest_first(api, shop, owner):
    log_on(shop, owner)
    first = entry(shop, latency=3.0, error="=HYPERLINK(evil)", status=422)
    second = entry(shop, latency=4.0, variant="v3", role="shadow", diff_share=0.5)
    response = api.get("/api/chains/shop/log/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming is True
    text = b"".join(response.streaming_content).decode()
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["request"] for r in table] == [str(second.request), str(first.request)]
    assert table[0]["diff_share"] == "0.5"
    assert table[1]["error"] == "'=HYPERLINK(evil)"
    assert json.loads(table[1]["inputs"]) == [GOOD]
    only = api.get("/api/chains/shop/log/export?role=shadow")
    assert (
        len(
            list(csv.DictReader(io.StringIO(b"".join(only.streaming_content).decode())))
        )
        == 1
    )


def test_the_log_api_pages_newest_first(api, shop, owner):
    for latency in range(5):
        entry(shop, latency=float(latency))
    body = api.get("/api/chains/shop/log/?limit=2").json()
    assert body["count"] == 5
    assert [e["latency_ms"] for e in body["results"]] == [4.0, 3.0]


def test_the_log_page_paginates_and_has_an_empty_state(owner_client, shop, owner):
    page = owner_client.get("/chains/shop/log").content.decode()
    assert "No predictions logged" in page
    assert "Turn the log on" in page
    for _ in range(51):
        entry(shop)
    page = owner_client.get("/chains/shop/log").content.decode()
    assert "Page 1 of 2" in page
    assert "51 entries" in page
    assert owner_client.get("/chains/shop/log?page=2").status_code == 200


def test_variant_figures_are_computed_from_the_log(api, shop, owner):
    latencies = [float(v) for v in range(1, 101)]
    for value in latencies:
        entry(shop, variant="v1", latency=value, rate=0.5)
    entry(shop, variant="v1", latency=999.0, status=422, rate=0.5)
    entry(shop, variant="v3", role="shadow", diff_mean=2.0, diff_share=1.0)
    entry(shop, variant="v3", role="shadow", diff_mean=0.0, diff_share=0.0)
    body = api.get("/api/chains/shop/serving/stats").json()
    assert body["hours"] == 24
    stats = {s["variant"]: s for s in body["variants"]}
    assert stats["v1"]["requests"] == 202.0  # 101 entries at a 50% sample
    assert stats["v1"]["failed"] == 2.0
    p50, p99 = np.percentile(latencies, [50, 99])
    assert stats["v1"]["p50_ms"] == pytest.approx(p50)
    assert stats["v1"]["p99_ms"] == pytest.approx(p99)
    assert stats["v3"]["role"] == "shadow"
    assert stats["v3"]["diff_mean"] == 1.0
    assert stats["v3"]["diff_share"] == 0.5


def test_the_variants_page_shows_figures_and_a_chart(owner_client, shop, owner):
    page = owner_client.get("/chains/shop/variants").content.decode()
    assert "No requests logged in this window" in page
    entry(shop, variant="v1", latency=2.0)
    entry(shop, variant="v3", role="shadow", diff_share=0.25, diff_mean=0.5)
    page = owner_client.get("/chains/shop/variants").content.decode()
    assert 'id="variant-table"' in page
    assert 'aria-label="Latency p50 and p99 per variant"' in page
    assert "25%" in page


OWNER_ONLY = [
    ("get", "/api/chains/shop/serving"),
    ("put", "/api/chains/shop/serving"),
    ("get", "/api/chains/shop/serving/stats"),
    ("get", "/api/chains/shop/log/"),
    ("get", "/api/chains/shop/log/export"),
]


@pytest.mark.parametrize(("method", "url"), OWNER_ONLY)
def test_only_owner_team_and_staff_see_the_log_and_change_variants(
    api,
    teammate_api,
    staff_api,
    shop,
    owner,
    method,
    url,
    member,
):
    entry(shop)
    body = {"log": {"enabled": True}}
    refused = getattr(teammate_api, method)(url, body, format="json")
    assert refused.status_code == 403
    assert "owner" in refused.json()["message"]
    chain_team_set(chain=shop, team="pricing", user=owner)
    team_api = api_as(member)
    for client in (api, staff_api, team_api):
        assert getattr(client, method)(url, body, format="json").status_code == 200
    assert PredictionLog.objects.count() == 1


def test_pages_refuse_other_users(client, teammate, shop):
    client.force_login(teammate)
    assert client.get("/chains/shop/log").status_code == 403
    assert client.get("/chains/shop/variants").status_code == 403
    response = client.post(
        "/chains/shop/serving", {"part": "log", "enabled": "on", "rate": "50"}
    )
    assert response.status_code == 302
    assert PredictionLog.objects.count() == 0
    assert client.get("/chains/shop/").content.decode().count("Save variants") == 0


@pytest.mark.parametrize(
    "query",
    ["hours=0", "hours=abc", "hours=99999999999999999999", "hours=-1"],
)
def test_bad_stats_windows_answer_400(api, shop, query):
    assert api.get(f"/api/chains/shop/serving/stats?{query}").status_code == 400


@pytest.mark.parametrize("query", ["role=bogus", "variant=" + "v" * 21])
def test_bad_log_filters_answer_400(api, shop, query):
    assert api.get(f"/api/chains/shop/log/?{query}").status_code == 400
    assert api.get(f"/api/chains/shop/log/export?{query}").status_code == 400


@pytest.mark.parametrize(
    "form",
    [
        {"part": "variants", "split": "1:abc"},
        {"part": "variants", "split": "1:60, 2:60"},
        {"part": "variants", "split": "9:100"},
        {"part": "variants", "shadows": "x"},
        {"part": "variants", "split": "1:1" * 400},
        {"part": "log", "rate": "nan", "days": "7"},
        {"part": "log", "rate": "0", "days": "7"},
        {"part": "log", "rate": "50", "days": "1e9"},
    ],
)
def test_bad_forms_on_the_chain_page_say_why_and_change_nothing(
    owner_client,
    shop3,
    form,
):
    response = owner_client.post("/chains/shop/serving", form, follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert "saved" not in messages[0]
    assert ChainServing.objects.count() == 0


def test_the_chain_page_forms_set_the_log_and_variants(owner_client, shop3):
    owner_client.post(
        "/chains/shop/serving",
        {"part": "log", "enabled": "on", "rate": "25", "days": "3"},
    )
    owner_client.post(
        "/chains/shop/serving",
        {"part": "variants", "split": "1:80, v2:20", "key": "color", "shadows": "3"},
    )
    page = owner_client.get("/chains/shop/").content.decode()
    assert "25% of requests logged, kept 3 days" in page
    assert "split v1 80% / v2 20% by color; shadows v3" in page
