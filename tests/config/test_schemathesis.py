"""Schemathesis over every operation of the OpenAPI schema, against the real app.

Each operation gets a bounded number of generated requests, valid ones and
invalid ones, sent through the whole Django stack (middleware, session login,
CSRF) to a real database holding the demo models, chains, data sets and runs.
Path parameters are drawn from the names and ids that exist plus one that does
not, so most requests get past the 404. Any 5xx, or an answer whose status,
content type or body the schema does not describe, fails the test; the failures
of all operations are reported together.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from builder.demo import demo_chains_install
from builder.models import ChainVersion
from registry.demo import demo_models_install
from registry.models import RegisteredModel
from runner.demo import demo_datasets_install
from runner.models import Dataset, Experiment, NodeResult
from runner.services import runs as run_services
from tests.config.wsgi import connection_kept, session_cookies

#: Generated requests per operation and generation mode (positive, negative).
MAX_EXAMPLES = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def demo(staff, settings, tmp_path) -> dict[str, list[Any]]:
    """The demo data and two pending runs; the path values worth trying."""
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_models_install(user=staff)
    demo_chains_install(user=staff)
    demo_datasets_install(user=staff)
    pairs = {"sales-stacked": "demo-sales", "iris-vote": "iris"}
    runs = [
        run_services.run_start(
            chain_version=ChainVersion.objects.get(chain__name=chain),
            user=staff,
            dataset=Dataset.objects.get(name=dataset),
            until="",
            reuse=True,
        )
        for chain, dataset in pairs.items()
    ]
    chains = list(ChainVersion.objects.values_list("chain__name", flat=True))
    models = list(RegisteredModel.objects.values_list("name", flat=True)[:3])
    nodes = NodeResult.objects.filter(run=runs[0]).values_list("node_id", flat=True)
    experiment = Experiment.objects.create(
        chain_version=runs[0].chain_version,
        base_run=runs[0],
        node_id="stack",
        created_by=staff,
    )
    return {
        "experiment_id": [experiment.id, 999_999],
        "name": [*chains, *models, "no-such-name"],
        "number": [1, 2, 999],
        "run_id": [*(run.id for run in runs), 999_999],
        "node_id": [*list(nodes)[:3], "no-such-node"],
    }


def openapi_schema(values: dict[str, list[Any]]) -> dict[str, Any]:
    """The served schema, with path parameters drawn from ``values``."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    schema = json.loads(OpenApiJsonRenderer().render(generated))
    for methods in schema["paths"].values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in values:
                    parameter["schema"] = {"enum": values[parameter["name"]]}
    return schema


def fuzz(operation: Any, mode: GenerationMode, auth: dict[str, Any]) -> int:
    sent = 0

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        # The WSGI client would read a "?" or "#" in a path value as the start of
        # the query or fragment (and refuse the case): send them percent-encoded.
        for name, value in (case.path_parameters or {}).items():
            if isinstance(value, str):
                case.path_parameters[name] = value.replace("?", "%3F").replace(
                    "#", "%23"
                )
        case.call_and_validate(checks=CHECKS, **auth)

    run()
    return sent


def describe(exc: BaseException) -> str:
    found = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
    return " | ".join(f"{type(e).__name__}: {str(e)[:1500]}" for e in found)


# pytest-timeout's signal would land inside Hypothesis and be reported as a
# failure of whichever operation was running: give the whole sweep room.
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_every_operation_answers_as_its_schema_says(staff, demo):
    cookies = session_cookies(staff)
    auth = {"cookies": cookies, "headers": {"X-CSRFToken": cookies["csrftoken"]}}
    schema = schemathesis.openapi.from_dict(openapi_schema(demo))
    schema.app = WSGIHandler()
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    cases = 0
    started = time.monotonic()
    with connection_kept():
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    cases += fuzz(operation, mode, auth)
                except Unsatisfiable:
                    # Nothing to spoil: no parameter or body outside the schema.
                    assert mode is GenerationMode.NEGATIVE, operation.label
                # Schemathesis raises a BaseExceptionGroup of its findings.
                except (Exception, BaseExceptionGroup) as exc:
                    failures.append(
                        f"{operation.label} [{mode.value}]: {describe(exc)}"
                    )
    seconds = time.monotonic() - started
    print(f"schemathesis: {len(operations)} operations, {cases} cases, {seconds:.0f} s")
    assert len(operations) >= 30
    assert failures == [], "\n\n".join(failures)
