from __future__ import annotations

import platform

import numpy as np
import pytest
import sklearn
from django.core.management import call_command

from catena.executor import run
from catena.graph import load
from catena.reference import direct, reference_doc, synthetic_sales
from catena.validation import check
from registry.demo import demo_models_install
from registry.models import AliasMove, ModelVersion, RegisteredModel, TrustRecord
from registry.resolver import RegistryResolver, load_version

SALES = [
    "sales-boost",
    "sales-encoder",
    "sales-forest",
    "sales-predictor",
    "sales-ridge",
    "sales-ridge-onnx",
    "sales-scaler",
    "sales-stacker",
]


@pytest.fixture
def installed(staff):
    demo_models_install(user=staff)
    return staff


def test_demo_registers_sales_onnx_and_iris_models(installed):
    names = list(RegisteredModel.objects.values_list("name", flat=True))
    assert names == ["iris-logreg", "iris-nb", "iris-tree", *SALES]
    assert set(ModelVersion.objects.values_list("trusted", flat=True)) == {True}
    onnx = ModelVersion.objects.get(model__name="sales-ridge-onnx")
    assert onnx.format == "onnx"
    assert onnx.signature["outputs"] == {"predict": [["prediction", "float"]]}
    encoder = ModelVersion.objects.get(model__name="sales-encoder")
    assert encoder.signature["inputs"][2] == ["shape", "str"]
    assert encoder.signature["inputs"][4] == ["promo", "int"]


def test_demo_versions_record_the_python_sklearn_and_numpy_they_were_saved_with(
    installed,
):
    saved_with = set(
        ModelVersion.objects.values_list(
            "python_version", "sklearn_version", "numpy_version"
        )
    )
    assert saved_with == {
        (platform.python_version(), sklearn.__version__, np.__version__)
    }


def test_demo_trusts_exactly_the_tree_types_as_its_user(installed):
    records = TrustRecord.objects.order_by("version__model__name")
    assert [(r.version.model.name, r.types) for r in records] == [
        ("iris-tree", ["sklearn.tree._tree.Tree"]),
        ("sales-boost", ["sklearn.tree._tree.Tree"]),
        ("sales-forest", ["sklearn.tree._tree.Tree"]),
        # StackingRegressor keeps its named estimators in a Bunch.
        ("sales-predictor", ["sklearn.tree._tree.Tree", "sklearn.utils._bunch.Bunch"]),
    ]
    assert {r.trusted_by for r in records} == {installed}


def test_running_the_demo_again_changes_nothing(installed):
    before = (
        ModelVersion.objects.count(),
        AliasMove.objects.count(),
        TrustRecord.objects.count(),
    )
    summary = demo_models_install(user=installed)
    assert summary == "Demo models: already installed, nothing changed."
    after = (
        ModelVersion.objects.count(),
        AliasMove.objects.count(),
        TrustRecord.objects.count(),
    )
    assert after == before


def test_reference_chain_runs_on_registry_models_like_the_direct_script(installed):
    resolver = RegistryResolver()
    data, _ = synthetic_sales(50, seed=1)
    result = run(load(reference_doc()), data, resolver)
    ours = result.outcomes["out"].output["prediction"].to_numpy()
    estimators = {
        node: load_version(ModelVersion.objects.get(model__name=name)).estimator
        for node, name in {
            "encode": "sales-encoder",
            "scale": "sales-scaler",
            "ridge": "sales-ridge",
            "forest": "sales-forest",
            "boost": "sales-boost",
            "stack": "sales-stacker",
        }.items()
    }
    np.testing.assert_allclose(ours, direct(estimators, data), rtol=0, atol=1e-9)


def test_demo_command_needs_a_staff_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Need a staff user"):
        call_command("registry_demo")
    assert RegisteredModel.objects.count() == 0


def test_the_demo_stacker_records_its_out_of_fold_training_on_the_base_versions(
    installed,
):
    stacker = ModelVersion.objects.get(model__name="sales-stacker")
    assert stacker.trained_on == [
        {"model": "sales-ridge", "version": 1},
        {"model": "sales-forest", "version": 1},
        {"model": "sales-boost", "version": 1},
    ]
    assert stacker.out_of_fold is True
    problems = check(load(reference_doc()), RegistryResolver()).problems
    assert problems == []


def test_moving_a_base_model_past_the_demo_stackers_training_is_warned(installed):
    from registry import services
    from tests.registry import files

    ridge = RegisteredModel.objects.get(name="sales-ridge")
    v1 = ModelVersion.objects.get(model=ridge, number=1)
    with v1.file.open("rb") as handle:
        data = handle.read()
    services.model_version_create(
        model=ridge,
        file=files.upload("sales-ridge.skops", data),
        uploaded_by=installed,
    )
    doc = reference_doc()
    problems = check(load(doc), RegistryResolver()).problems
    assert [(p.code, p.node, p.severity, dict(p.data)) for p in problems] == [
        (
            "stacker_base_moved",
            "stack",
            "warning",
            {
                "model": "sales-stacker",
                "version": 1,
                "base_model": "sales-ridge",
                "trained_version": 1,
                "running_version": 2,
                "base_node": "ridge",
            },
        )
    ]
