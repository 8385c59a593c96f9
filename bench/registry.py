"""Benchmark: loading each demo model cold, a warm cache hit, and an alias's impact.

Runs on its own SQLite database and media folder under ``var/bench-registry``
(migrated and filled with the demo models on the first run), never on yours.

    .venv/bin/python bench/registry.py [--json] [--quick]

Columns: cold = resolve from the database, read the file, check its sha256,
load it (skops / onnxruntime) into an adapter; warm = resolve + load when the
per-process cache already holds it (one database query); hit = the loader call
alone on a warm cache; impact = validating the 500 chain versions that follow
``@production`` of the first demo model against a candidate version, the way
the version page, the alias form and ``GET .../impact`` do (goal: under 1 s).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
from _common import ROOT, emit, parser, table

VAR = "var/bench-registry"


def setup_django() -> None:
    os.environ["CATENA_VAR_DIR"] = VAR
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / VAR / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def install_demo() -> list[str]:
    from django.contrib.auth import get_user_model

    from registry.demo import demo_models_install
    from registry.models import RegisteredModel

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True}
    )
    demo_models_install(user=user)
    # Only models whose @production alias the demo set: other models in the same
    # database may have none.
    with_alias = RegisteredModel.objects.filter(aliases__name="production")
    return list(with_alias.values_list("name", flat=True).distinct())


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    spent = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        spent.append(time.perf_counter() - start)
    return statistics.median(spent) * 1e3


def measure(name: str, repeats: int) -> dict[str, Any]:
    from registry.models import ModelVersion
    from registry.resolver import ModelCache, RegistryResolver

    def cold() -> None:
        RegistryResolver(ModelCache(4)).resolve(name, "@production").load()

    warm_resolver = RegistryResolver(ModelCache(4))
    resolved = warm_resolver.resolve(name, "@production")
    resolved.load()
    version = ModelVersion.objects.get(model__name=name, number=resolved.version)
    return {
        "model": name,
        "format": version.format,
        "size_kb": round(version.size / 1024, 1),
        "cold_ms": median_ms(cold, repeats),
        "warm_resolve_load_ms": median_ms(
            lambda: warm_resolver.resolve(name, "@production").load(), repeats * 5
        ),
        "cache_hit_us": median_ms(resolved.load, repeats * 50) * 1e3,
    }


IMPACT_CHAINS = 500


def impact_chains_install(name: str, count: int) -> None:
    """``count`` chains ``bench-impact-N`` following ``name@production``, half live."""
    from django.contrib.auth import get_user_model

    from builder import services
    from builder.models import Chain
    from registry.models import ModelVersion

    user = get_user_model().objects.get(username="bench")
    version = ModelVersion.objects.get(model__name=name, aliases__name="production")
    features = version.signature.get("inputs", [])
    document = {
        "format": "catena.chain/1",
        "nodes": [
            {"id": "in", "kind": "input", "params": {"schema": features}},
            {
                "id": "m",
                "kind": "model",
                "params": {"model": name, "version": "@production"},
            },
            {"id": "out", "kind": "output", "params": {}},
        ],
        "edges": [["in", "m"], ["m", "out"]],
    }
    have = Chain.objects.filter(name__startswith="bench-impact-").count()
    for n in range(have, count):
        chain = services.chain_create(name=f"bench-impact-{n}", owner=user)
        # A distinct model node id per chain: no two versions share a hash, so
        # each is validated (an impact validates one document per hash).
        doc = json.loads(json.dumps(document).replace('"m"', f'"m{n}"'))
        services.chain_version_save(chain=chain, document=doc, user=user)
        if n % 2 == 0:
            services.chain_live_set(chain=chain, number=1, user=user)


def measure_impact(name: str, repeats: int) -> dict[str, Any]:
    """Impact of ``name@production`` on its current version over the chains."""
    from registry.impact import impact_of
    from registry.models import ModelVersion

    impact_chains_install(name, IMPACT_CHAINS)
    version = ModelVersion.objects.get(model__name=name, aliases__name="production")
    found = impact_of(version=version, alias="production")
    return {
        "model": name,
        "chain_versions": len(found.reached),
        "live": found.live,
        "impact_ms": median_ms(
            lambda: impact_of(version=version, alias="production"), repeats
        ),
    }


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    setup_django()
    names = install_demo()
    repeats = 3 if args.quick else 15
    results = [measure(name, repeats) for name in names]
    headers = ["model", "format", "size KB", "cold ms", "warm resolve+load ms"]
    headers.append("cache hit µs")
    print(table(headers, [list(r.values()) for r in results]))
    impact = measure_impact(names[0], 3 if args.quick else 7)
    print(
        table(["model", "chain versions", "live", "impact ms"], [list(impact.values())])
    )
    emit({"models": results, "repeats": repeats, "impact": impact}, args.json)


if __name__ == "__main__":
    main()
