"""Adapters (scikit-learn, ONNX) and signatures derived from estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from catena.adapters import OnnxModel, SklearnModel, signature_from_estimator
from catena.executor import run
from catena.graph import load
from catena.resolving import DictResolver, ResolvedModel
from catena.schema import Column
from tests.catena import graphs

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
LABELS = [0, 0, 1, 1]


def test_sklearn_adapter_passes_names_only_to_estimators_fitted_with_names():
    named = LinearRegression().fit(X, X["a"] * 2)
    plain = LinearRegression().fit(X.to_numpy(), X["a"] * 2)
    with pytest.warns(UserWarning, match="feature names"):
        plain.predict(X)
    for estimator in (named, plain):
        result = SklearnModel(estimator).call("predict", X)
        assert result.round(9).tolist() == [0.0, 2.0, 4.0, 6.0]


def test_signature_of_a_classifier():
    clf = LogisticRegression().fit(X, ["no", "no", "yes", "yes"])
    sig = signature_from_estimator(clf)
    assert sig.inputs == (Column("a", "float"), Column("b", "float"))
    assert sig.outputs == {
        "predict": (Column("prediction", "str"),),
        "predict_proba": (Column("proba_no", "float"), Column("proba_yes", "float")),
        "decision_function": (Column("score", "float"),),
    }


def test_signature_of_a_multiclass_decision_function():
    clf = LogisticRegression().fit(X, [0, 1, 2, 2])
    assert [
        c.name for c in signature_from_estimator(clf).outputs["decision_function"]
    ] == [
        "score_0",
        "score_1",
        "score_2",
    ]


def test_signature_of_an_unnamed_regressor_is_positional():
    sig = signature_from_estimator(LinearRegression().fit(X.to_numpy(), X["a"]))
    assert sig.inputs == (Column("x0", "float"), Column("x1", "float"))
    assert sig.methods == ("predict",)


def test_signature_of_a_transformer_uses_feature_names_out_and_sample_dtypes():
    sample = pd.DataFrame({"n": [1, 2, 3], "c": ["u", "v", "u"]})
    encoder = ColumnTransformer(
        [("oh", OneHotEncoder(), ["c"])], remainder="passthrough"
    ).fit(sample)
    sig = signature_from_estimator(encoder, sample)
    assert sig.inputs == (Column("n", "int"), Column("c", "str"))
    assert [c.name for c in sig.outputs["transform"]] == [
        "oh__c_u",
        "oh__c_v",
        "remainder__n",
    ]
    assert "predict" not in sig.outputs


def test_signature_needs_feature_information():
    with pytest.raises(ValueError, match="neither its feature names nor count"):
        signature_from_estimator(object())


def onnx_session(estimator, **kwargs):
    onnxruntime = pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    onx = skl2onnx.to_onnx(estimator, **kwargs)
    return onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def test_onnx_classifier_predicts_labels_and_probabilities():
    clf = LogisticRegression().fit(X.to_numpy(), LABELS)
    model = OnnxModel(onnx_session(clf, X=X.to_numpy().astype(np.float32)))
    assert model.call("predict", X).tolist() == LABELS
    proba = model.call("predict_proba", X)
    assert proba.shape == (4, 2)
    np.testing.assert_allclose(proba, clf.predict_proba(X.to_numpy()), atol=1e-5)


def test_onnx_model_with_one_input_per_feature():
    from skl2onnx.common.data_types import FloatTensorType

    pipe = make_pipeline(
        ColumnTransformer([("n", StandardScaler(), ["a", "b"])]), LinearRegression()
    )
    pipe.fit(X, X["a"] * 2 + X["b"])
    types = [("a", FloatTensorType([None, 1])), ("b", FloatTensorType([None, 1]))]
    model = OnnxModel(onnx_session(pipe, initial_types=types))
    result = model.call("predict", X[["b", "a"]])
    assert result.shape == (4,)
    np.testing.assert_allclose(result, [1.0, 2.0, 5.0, 6.0], atol=1e-5)


def test_an_onnx_model_runs_in_a_chain():
    clf = LogisticRegression().fit(X.to_numpy(), LABELS)
    adapter = OnnxModel(onnx_session(clf, X=X.to_numpy().astype(np.float32)))
    signature = signature_from_estimator(clf)
    resolver = DictResolver(
        {
            "onnx-clf": [
                ResolvedModel("onnx-clf", 1, "a" * 64, signature, lambda: adapter)
            ]
        }
    )
    doc = graphs.doc(
        [
            graphs.inp(x0="float", x1="float"),
            graphs.model("clf", "onnx-clf", method="predict_proba"),
            graphs.node("out", "output"),
        ],
        [["in", "clf"], ["clf", "out"]],
    )
    output = (
        run(load(doc), X.set_axis(["x0", "x1"], axis=1), resolver)
        .outcomes["out"]
        .output
    )
    assert list(output.columns) == ["proba_0", "proba_1"]
    assert output["proba_1"].round(2).tolist() == [0.2, 0.36, 0.64, 0.8]
