"""A/B splits and shadows: weights hold, keys stick, shadows are logged only."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from scipy.stats import binom

from serving import variants
from serving.models import ChainServing, PredictionLog, ServingChange
from serving.shadows import pool

pytestmark = pytest.mark.django_db

SHOP = "/api/chains/shop/predict"
SETTINGS = "/api/chains/shop/serving"
GOOD = {"temperature": 20.0, "price": 2.0, "shape": "a", "color": "red", "promo": 1}


@pytest.fixture
def seeded():
    variants.rng.seed(20261206)
    yield
    variants.rng.seed()


def put(api, body):
    return api.put(SETTINGS, body, format="json")


def test_a_split_holds_its_weights_within_exact_binomial_bounds(api, shop3, seeded):
    response = put(
        api,
        {
            "variants": {
                "split": [{"version": 1, "weight": 30}, {"version": 2, "weight": 70}]
            }
        },
    )
    assert response.status_code == 200, response.json()
    n, seen = 2000, Counter()
    for _ in range(n):
        body = api.post(SHOP, {"rows": [GOOD]}, format="json").json()
        seen[body["variant"]] += 1
        # The variant that answered is the version that answered.
        assert body["variant"] == f"v{body['version']}"
        assert body["rows"][0]["revenue"] == (2.0 if body["version"] == 1 else 3.0)
    # Outside [lo, hi] has probability below 1e-6 under the 30% weight.
    lo, hi = binom.ppf(0.5e-6, n, 0.3), binom.isf(0.5e-6, n, 0.3)
    assert lo <= seen["v1"] <= hi, seen
    assert seen["v1"] + seen["v2"] == n


def test_the_same_key_always_gets_the_same_variant(api, shop3):
    put(
        api,
        {
            "variants": {
                "key": "customer",
                "split": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}],
            }
        },
    )
    picked = {}
    for customer in range(40):
        row = GOOD | {"customer": f"c{customer}"}
        answers = {
            api.post(SHOP, {"rows": [row]}, format="json").json()["variant"]
            for _ in range(3)
        }
        assert len(answers) == 1, (customer, answers)
        picked[customer] = answers.pop()
    # Both variants get keys (probability of a miss: 2 * 2**-40).
    assert set(picked.values()) == {"v1", "v2"}
    # Columns carry the key too: the first row's value decides.
    columns = {k: [v] for k, v in (GOOD | {"customer": "c7"}).items()}
    by_columns = api.post(SHOP, {"columns": columns}, format="json").json()
    assert by_columns["variant"] == picked[7]


def test_without_a_split_the_live_version_answers(api, shop3):
    body = api.post(SHOP, {"rows": [GOOD]}, format="json").json()
    assert (body["variant"], body["version"]) == ("live", 1)


def test_a_pinned_version_ignores_the_split(api, shop3):
    put(api, {"variants": {"split": [{"version": 2, "weight": 100}]}})
    assert api.post(SHOP, {"rows": [GOOD]}, format="json").json()["version"] == 2
    pinned = api.post(
        "/api/chains/shop/versions/3/predict", {"rows": [GOOD]}, format="json"
    ).json()
    assert (pinned["variant"], pinned["version"]) == ("pinned", 3)


def test_shadow_answers_are_logged_and_never_returned(api, shop3, settings):
    settings.CATENA_SERVE_SHADOWS_INLINE = True
    put(api, {"log": {"enabled": True}, "variants": {"shadows": [3]}})
    rows = [GOOD, GOOD | {"price": 5.0}]
    body = api.post(SHOP, {"rows": rows}, format="json").json()
    assert body["variant"] == "live"
    assert body["rows"] == [{"revenue": 2.0}, {"revenue": 5.0}]
    served = PredictionLog.objects.get(role="served")
    shadow = PredictionLog.objects.get(role="shadow")
    assert (served.variant, served.version) == ("live", 1)
    assert (shadow.variant, shadow.version) == ("v3", 3)
    assert shadow.request == served.request
    assert shadow.outputs == [{"revenue": 6.0}, {"revenue": 15.0}]
    assert shadow.diff_share == 1.0
    assert shadow.diff_mean == pytest.approx((4.0 + 10.0) / 2)
    assert served.diff_share is None


def test_shadows_run_after_the_answer_in_the_pool(
    transactional_db, api, shop3, settings
):
    settings.CATENA_SERVE_SHADOWS_INLINE = False
    put(api, {"log": {"enabled": True}, "variants": {"shadows": [2]}})
    response = api.post(SHOP, {"rows": [GOOD]}, format="json")
    assert response.json()["rows"] == [{"revenue": 2.0}]
    pool.drain()
    shadow = PredictionLog.objects.get(role="shadow")
    assert shadow.outputs == [{"revenue": 3.0}]
    assert shadow.diff_mean == pytest.approx(1.0)


def test_a_full_shadow_pool_drops_the_shadow_not_the_answer(
    transactional_db, api, shop3, settings
):
    settings.CATENA_SERVE_SHADOWS_INLINE = False
    settings.CATENA_SERVE_SHADOW_QUEUE = 0
    settings.CATENA_SERVE_SHADOW_THREADS = 1
    put(api, {"log": {"enabled": True}, "variants": {"shadows": [2]}})

    gate = threading.Event()
    assert pool.submit(gate.wait) is True  # the only slot is taken
    dropped = pool.dropped
    response = api.post(SHOP, {"rows": [GOOD]}, format="json")
    assert response.status_code == 200
    assert pool.dropped == dropped + 1
    gate.set()
    pool.drain()
    assert PredictionLog.objects.filter(role="shadow").count() == 0
    assert PredictionLog.objects.filter(role="served").count() == 1


def test_every_change_is_recorded_with_who_and_what(api, shop3, owner):
    put(api, {"log": {"enabled": True, "rate": 0.1, "days": 3}})
    put(
        api,
        {
            "variants": {
                "split": [{"version": 1, "weight": 90}, {"version": 2, "weight": 10}],
                "key": "customer",
                "shadows": [3],
            }
        },
    )
    put(
        api,
        {
            "variants": {
                "split": [{"version": 1, "weight": 90}, {"version": 2, "weight": 10}],
                "key": "customer",
                "shadows": [3],
            }
        },
    )  # no change: not recorded
    body = api.get(SETTINGS).json()
    assert [c["summary"] for c in body["changes"]] == [
        "split v1 90% / v2 10% by customer; shadows v3",
        "log on at 10%, kept 3 days",
    ]
    assert {c["user"] for c in body["changes"]} == {"owner"}
    assert body["changes"][0]["before"]["variants"]["split"] == []
    assert body["log"] == {"enabled": True, "rate": 0.1, "days": 3}
    assert ServingChange.objects.count() == 2


HOSTILE = {
    "weights summing to 90": {
        "variants": {
            "split": [{"version": 1, "weight": 40}, {"version": 2, "weight": 50}]
        }
    },
    "weights summing to 110": {
        "variants": {
            "split": [{"version": 1, "weight": 60}, {"version": 2, "weight": 50}]
        }
    },
    "a zero weight": {
        "variants": {
            "split": [{"version": 1, "weight": 0}, {"version": 2, "weight": 100}]
        }
    },
    "a negative weight": {
        "variants": {
            "split": [{"version": 1, "weight": -50}, {"version": 2, "weight": 150}]
        }
    },
    "a fractional weight": {
        "variants": {
            "split": [{"version": 1, "weight": 50.5}, {"version": 2, "weight": 49.5}]
        }
    },
    "a weight as text": {
        "variants": {
            "split": [{"version": 1, "weight": "50"}, {"version": 2, "weight": 50}]
        }
    },
    "an unknown version": {"variants": {"split": [{"version": 9, "weight": 100}]}},
    "a huge version": {"variants": {"split": [{"version": 2**70, "weight": 100}]}},
    "a version twice": {
        "variants": {
            "split": [{"version": 1, "weight": 50}, {"version": 1, "weight": 50}]
        }
    },
    "a shadow that answers": {"variants": {"shadows": [1]}},
    "an unknown shadow": {"variants": {"shadows": [7]}},
    "too many shadows": {"variants": {"shadows": [2, 3, 2, 3, 2]}},
    "a split that is not a list": {"variants": {"split": {"1": 100}}},
    "a split item without weight": {"variants": {"split": [{"version": 1}]}},
    "a key too long": {"variants": {"key": "k" * 81}},
    "a key as a number": {"variants": {"key": 12}},
    "variants as a list": {"variants": [1, 2]},
    "a rate of zero": {"log": {"rate": 0}},
    "a rate above one": {"log": {"rate": 1.5}},
    "a rate as text": {"log": {"rate": "0.5"}},
    "zero days": {"log": {"days": 0}},
    "days as a float": {"log": {"days": 7.5}},
    "enabled as a number": {"log": {"enabled": 1}},
    "a body that is a list": [{"log": {"enabled": True}}],
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_settings_answer_400_and_change_nothing(api, shop3, body):
    response = put(api, body)
    assert response.status_code == 400, response.content
    assert response.json()["message"]
    assert ChainServing.objects.count() == 0
    assert ServingChange.objects.count() == 0


def test_a_huge_settings_body_answers_413_before_parsing(api, shop3):
    shadows = "[" + ",".join(["2"] * 40_000) + "]"
    response = api.generic(
        "PUT",
        SETTINGS,
        '{"variants": {"shadows": ' + shadows + "}}",
        content_type="application/json",
    )
    assert response.status_code == 413
    assert ChainServing.objects.count() == 0


def test_a_nan_rate_is_refused_by_the_json_parser(api, shop3):
    response = api.generic(
        "PUT", SETTINGS, '{"log": {"rate": NaN}}', content_type="application/json"
    )
    assert response.status_code == 400
    assert ChainServing.objects.count() == 0
