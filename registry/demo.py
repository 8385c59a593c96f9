"""Demo models: the reference chain's sales models, an ONNX export, iris classifiers.

The sales models come from ``catena/reference.py`` (the same recipe the
engine benchmark runs). Files are made byte-for-byte reproducible (skops
object ids renumbered, zip timestamps fixed), so a second install finds the
same sha256 as the latest version and changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from registry import selectors, services
from registry.models import RegisteredModel

SEED = 0
DEMO_NOTE = "Installed by the demo (registry.demo)."
TRUST_NOTE = "demo: trusts exactly the types its own tree models need"


@dataclass
class DemoModel:
    name: str
    title: str
    description: str
    filename: str
    data: bytes
    sample: pd.DataFrame | None = None
    metrics: dict[str, Any] | None = None
    # A stacker: the models whose latest versions' outputs were its features,
    # and whether those were out-of-fold predictions.
    trained_on: tuple[str, ...] = ()
    out_of_fold: bool | None = None


# Reproducible files ----------------------------------------------------------
def canonical_skops(data: bytes) -> bytes:
    """The same skops file with stable object ids and zip timestamps.

    skops names objects by ``id()``, which differs between processes; ids are
    only compared with each other when loading, so renumbering them in order of
    first appearance keeps the meaning and makes equal models equal bytes.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    ids: dict[str, str] = {}
    schema = _renumber(schema, ids)
    members["schema.json"] = json.dumps(schema, indent=2).encode()
    renamed = {_renamed(old, ids): content for old, content in members.items()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in sorted(renamed.items()):
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)
    return out.getvalue()


def _new_id(old: Any, ids: dict[str, str]) -> str:
    return ids.setdefault(str(old), str(len(ids) + 1))


def _renamed(filename: str, ids: dict[str, str]) -> str:
    match = re.fullmatch(r"(\d+)(\.\w+)", filename)
    return _new_id(match.group(1), ids) + match.group(2) if match else filename


def _renumber(node: Any, ids: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_renumber(item, ids) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "__id__" and isinstance(value, int):
            result[key] = int(_new_id(value, ids))
        elif key == "file" and isinstance(value, str):
            result[key] = _renamed(value, ids)
        else:
            result[key] = _renumber(value, ids)
    return result


def skops_bytes(estimator: Any) -> bytes:
    import skops.io as sio

    return canonical_skops(sio.dumps(estimator))


# The demo models -------------------------------------------------------------
def sales_models() -> list[DemoModel]:
    """The six models of the reference chain, trained on its synthetic sales."""
    from catena.reference import BASE, MODELS, fit_reference, synthetic_sales

    estimators = fit_reference(SEED)
    data, sales = synthetic_sales(2000, SEED)
    scaled = estimators["scale"].transform(estimators["encode"].transform(data))
    metrics = _sales_metrics(estimators, scaled, sales)
    titles = {
        "encode": "Sales: one-hot encoder (shape, color)",
        "scale": "Sales: standard scaler",
        "ridge": "Sales: ridge regression",
        "forest": "Sales: random forest",
        "boost": "Sales: gradient boosting",
        "stack": "Sales: linear stacker over ridge, forest and boosting",
    }
    found = [
        DemoModel(
            name=MODELS[node],
            title=titles[node],
            description="Part of the reference sales chain (catena/reference.py).",
            filename=f"{MODELS[node]}.skops",
            data=skops_bytes(estimator),
            sample=data.head(20) if node == "encode" else None,
            metrics=metrics.get(node),
            trained_on=tuple(MODELS[b] for b in BASE) if node == "stack" else (),
            out_of_fold=True if node == "stack" else None,
        )
        for node, estimator in estimators.items()
    ]
    found.append(_ridge_onnx(estimators["ridge"], scaled, metrics["ridge"]))
    found.append(_sales_predictor(data))
    return found


def _sales_predictor(data: pd.DataFrame) -> DemoModel:
    """The whole sales chain as one pipeline: the optimize demo's predictor."""
    from catena.reference_optimize import PREDICTOR, fit_predictor

    return DemoModel(
        name=PREDICTOR,
        title="Sales: the stacked chain as one pipeline (optimize predictor)",
        description=(
            "Encoder, scaler, ridge, forest and boosting stacked by a linear "
            "model, in one scikit-learn pipeline: predicts sales from a row at "
            "any price, for the sales-optimize chain's optimize node."
        ),
        filename=f"{PREDICTOR}.skops",
        data=skops_bytes(fit_predictor(SEED)),
        sample=data.head(20),
    )


def _sales_metrics(
    estimators: dict[str, Any], scaled: np.ndarray, sales: np.ndarray
) -> dict[str, dict[str, float]]:
    predictions = {
        b: estimators[b].predict(scaled) for b in ("ridge", "forest", "boost")
    }
    stacked = np.column_stack(list(predictions.values()))
    predictions["stack"] = estimators["stack"].predict(stacked)
    return {
        node: {"train_rmse": round(float(np.sqrt(np.mean((p - sales) ** 2))), 4)}
        for node, p in predictions.items()
    }


def _ridge_onnx(ridge: Any, scaled: np.ndarray, metrics: dict[str, float]) -> DemoModel:
    from skl2onnx import to_onnx

    proto = to_onnx(ridge, scaled[:1].astype(np.float32), target_opset=17)
    return DemoModel(
        name="sales-ridge-onnx",
        title="Sales: ridge regression (ONNX export)",
        description="sales-ridge exported with skl2onnx; runs in onnxruntime.",
        filename="sales-ridge.onnx",
        data=proto.SerializeToString(),
        metrics=metrics,
    )


def iris_models() -> list[DemoModel]:
    """Three classifiers on scikit-learn's bundled iris data, for a voting chain."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.naive_bayes import GaussianNB
    from sklearn.tree import DecisionTreeClassifier

    frame = load_iris(as_frame=True).frame
    features = frame.drop(columns="target").rename(columns=_iris_column)
    train_x, test_x, train_y, test_y = train_test_split(
        features, frame["target"], test_size=0.3, random_state=SEED
    )
    classifiers: dict[str, tuple[str, Any]] = {
        "iris-logreg": ("Iris: logistic regression", LogisticRegression(max_iter=500)),
        "iris-tree": (
            "Iris: decision tree",
            DecisionTreeClassifier(max_depth=3, random_state=SEED),
        ),
        "iris-nb": ("Iris: Gaussian naive Bayes", GaussianNB()),
    }
    found = []
    for name, (title, classifier) in classifiers.items():
        classifier.fit(train_x, train_y)
        accuracy = float((classifier.predict(test_x) == test_y).mean())
        found.append(
            DemoModel(
                name=name,
                title=title,
                description="Classes 0 setosa, 1 versicolor, 2 virginica.",
                filename=f"{name}.skops",
                data=skops_bytes(classifier),
                sample=test_x.head(10),
                metrics={"test_accuracy": round(accuracy, 4)},
            )
        )
    return found


def _iris_column(name: str) -> str:
    return name.replace(" (cm)", "").replace(" ", "_")


DEMO_SETS: tuple[Callable[[], list[DemoModel]], ...] = (sales_models, iris_models)


# Installing ------------------------------------------------------------------
def demo_models_install(*, user: Any) -> str:
    """Register every demo model once; a re-run finds equal sha256 and skips."""
    added: list[str] = []
    for make in DEMO_SETS:
        for demo in make():
            if _demo_install(demo=demo, user=user):
                added.append(demo.name)
    if not added:
        return "Demo models: already installed, nothing changed."
    return f"Demo models: installed {', '.join(added)}."


@transaction.atomic
def _demo_install(*, demo: DemoModel, user: Any) -> bool:
    model = RegisteredModel.objects.filter(name=demo.name).first()
    latest = selectors.version_latest(model=model) if model else None
    if latest is not None and latest.sha256 == hashlib.sha256(demo.data).hexdigest():
        return False
    if model is None:
        model = services.registered_model_create(
            name=demo.name, owner=user, title=demo.title, description=demo.description
        )
    version = services.model_version_create(
        model=model,
        file=SimpleUploadedFile(demo.filename, demo.data),
        uploaded_by=user,
        notes=DEMO_NOTE,
        sample=_csv(demo.sample),
        metrics=demo.metrics,
        # Trained in this process: the versions it was saved with are ours.
        python_version=platform.python_version(),
        sklearn_version=sklearn.__version__,
        numpy_version=np.__version__,
        trained_on=_latest_versions(demo.trained_on),
        out_of_fold=demo.out_of_fold,
    )
    if not version.trusted:
        services.model_version_trust(
            version=version,
            user=user,
            types=list(version.untrusted_types),
            note=TRUST_NOTE,
        )
    services.alias_set(
        model=model, alias="production", number=version.number, user=user
    )
    return True


def _latest_versions(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The base models as installed just before the stacker (same call)."""
    found = []
    for name in names:
        latest = selectors.version_latest(model=RegisteredModel.objects.get(name=name))
        if latest is not None:
            found.append({"model": name, "version": latest.number})
    return found


def _csv(frame: pd.DataFrame | None) -> SimpleUploadedFile | None:
    if frame is None:
        return None
    return SimpleUploadedFile("sample.csv", frame.to_csv(index=False).encode())
