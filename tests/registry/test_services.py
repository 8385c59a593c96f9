from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from config.exceptions import CatenaAppError
from registry import services
from registry.models import (
    Alias,
    AliasMove,
    ModelVersion,
    RegisteredModel,
    TrustRecord,
)
from tests.registry import files


def stored_files(media_root) -> list[str]:
    if not media_root.exists():
        return []
    return sorted(str(p) for p in media_root.rglob("*") if p.is_file())


def test_skops_upload_records_signature_from_feature_names(ridge_v1):
    assert ridge_v1.number == 1
    assert ridge_v1.format == "skops"
    assert ridge_v1.trusted is True
    assert ridge_v1.signature == {
        "inputs": [["price", "float"], ["area", "float"]],
        "outputs": {"predict": [["prediction", "float"]]},
    }
    assert ridge_v1.methods == ["predict"]
    assert ridge_v1.metrics == {"rmse": 0.4}
    assert len(ridge_v1.sha256) == 64
    assert ridge_v1.size == len(files.ridge_bytes())
    assert ridge_v1.sklearn_version != ""


def test_versions_are_numbered_per_model(ridge_v1, sales, owner, forest):
    second = services.model_version_create(
        model=sales,
        file=files.upload("ridge.skops", files.ridge_bytes()),
        uploaded_by=owner,
    )
    assert second.number == 2
    assert forest.versions.get().number == 1


def test_sample_fills_dtypes_and_names_for_unnamed_features(sales, owner):
    frame = files.FEATURES.assign(area=[10, 12, 9, 15, 11, 13])
    version = services.model_version_create(
        model=sales,
        file=files.upload("m.onnx", files.onnx_bytes()),
        uploaded_by=owner,
        sample=files.upload("s.csv", files.sample_csv(frame)),
    )
    assert version.signature["inputs"] == [["price", "float"], ["area", "float"]]
    assert version.signature["outputs"] == {
        "predict": [["prediction", "int"]],
        "predict_proba": [["proba_0", "float"], ["proba_1", "float"]],
    }
    assert version.sample.name.endswith("sample.csv")


def test_onnx_without_sample_gets_positional_features(sales, owner):
    version = services.model_version_create(
        model=sales, file=files.upload("m.onnx", files.onnx_bytes()), uploaded_by=owner
    )
    assert version.signature["inputs"] == [["x0", "float"], ["x1", "float"]]
    assert version.library == "skl2onnx"
    assert version.trusted is True


def test_forest_lists_untrusted_tree_type_and_waits_for_trust(forest):
    version = forest.versions.get()
    assert version.untrusted_types == ["sklearn.tree._tree.Tree"]
    assert version.trusted is False
    assert version.signature == {}


def test_staff_trusts_exact_types_and_signature_is_learned(forest, staff):
    version = services.model_version_trust(
        version=forest.versions.get(), user=staff, types=["sklearn.tree._tree.Tree"]
    )
    assert version.trusted is True
    assert version.signature["outputs"]["predict_proba"] == [
        ["proba_0", "float"],
        ["proba_1", "float"],
    ]
    record = TrustRecord.objects.get()
    assert record.types == ["sklearn.tree._tree.Tree"]
    assert record.trusted_by == staff


def test_trust_with_other_types_is_refused(forest, staff):
    with pytest.raises(ValidationError, match="Trust exactly the listed types"):
        services.model_version_trust(
            version=forest.versions.get(), user=staff, types=["builtins.eval"]
        )
    assert forest.versions.get().trusted is False
    assert TrustRecord.objects.count() == 0


def test_owner_who_is_not_staff_cannot_trust(forest, owner):
    with pytest.raises(CatenaAppError, match="Only a staff user"):
        services.model_version_trust(version=forest.versions.get(), user=owner)
    assert forest.versions.get().trusted is False


def test_teammate_cannot_add_a_version(sales, teammate, media_root):
    with pytest.raises(CatenaAppError, match="Only the owner"):
        services.model_version_create(
            model=sales,
            file=files.upload("ridge.skops", files.ridge_bytes()),
            uploaded_by=teammate,
        )
    assert ModelVersion.objects.count() == 0
    assert stored_files(media_root) == []


def test_staff_may_add_a_version_to_any_model(sales, staff):
    version = services.model_version_create(
        model=sales,
        file=files.upload("ridge.skops", files.ridge_bytes()),
        uploaded_by=staff,
    )
    assert version.uploaded_by == staff


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("m.skops", b"", "The model file is empty."),
        ("m.skops", b"\x00\x01random bytes" * 10, "not a valid skops file"),
        ("m.onnx", b"\x08\x07corrupt onnx bytes", "ONNX"),
        ("m.pkl", b"\xfe\xffnot a pickle at all", "not a pickle"),
        ("m.joblib", b"\xfe\xffrandom bytes", "not a joblib file"),
        ("m.txt", b"hello", "Accepted: skops (.skops), ONNX (.onnx)"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(
    sales, owner, media_root, name, data, message
):
    with pytest.raises(ValidationError, match=re.escape(message)):
        services.model_version_create(
            model=sales, file=files.upload(name, data), uploaded_by=owner
        )
    assert ModelVersion.objects.count() == 0
    assert stored_files(media_root) == []


def test_truncated_skops_is_refused(sales, owner, media_root):
    data = files.ridge_bytes()[: len(files.ridge_bytes()) // 2]
    with pytest.raises(ValidationError, match="skops"):
        services.model_version_create(
            model=sales, file=files.upload("m.skops", data), uploaded_by=owner
        )
    assert ModelVersion.objects.count() == 0
    assert stored_files(media_root) == []


def test_onnx_with_external_data_is_refused(sales, owner):
    import onnx
    from onnx.external_data_helper import set_external_data

    proto = onnx.load_from_string(files.onnx_bytes())
    tensor = proto.graph.initializer.add()
    tensor.CopyFrom(
        onnx.helper.make_tensor("w", onnx.TensorProto.FLOAT, [1], b"\0\0\0\0", True)
    )
    set_external_data(tensor, location="../../etc/passwd")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    tensor.ClearField("raw_data")
    data = proto.SerializeToString()
    with pytest.raises(ValidationError, match="refers to external data"):
        services.model_version_create(
            model=sales, file=files.upload("m.onnx", data), uploaded_by=owner
        )
    assert ModelVersion.objects.count() == 0


def test_sample_whose_columns_do_not_match_is_refused(sales, owner, media_root):
    wrong = files.FEATURES.rename(columns={"area": "surface"})
    with pytest.raises(ValidationError, match="lacks the model's features: area"):
        services.model_version_create(
            model=sales,
            file=files.upload("ridge.skops", files.ridge_bytes()),
            uploaded_by=owner,
            sample=files.upload("s.csv", files.sample_csv(wrong)),
        )
    assert ModelVersion.objects.count() == 0
    assert stored_files(media_root) == []


def test_model_failing_on_its_sample_is_refused_with_its_error(sales, owner):
    text = files.FEATURES.astype({"area": object})
    text.loc[0, "area"] = "big"
    with pytest.raises(ValidationError, match="fails on its own sample.*big"):
        services.model_version_create(
            model=sales,
            file=files.upload("ridge.skops", files.ridge_bytes()),
            uploaded_by=owner,
            sample=files.upload("s.csv", files.sample_csv(text)),
        )
    assert ModelVersion.objects.count() == 0


def test_metrics_must_be_a_json_object(sales, owner):
    with pytest.raises(ValidationError, match="JSON object"):
        services.model_version_create(
            model=sales,
            file=files.upload("ridge.skops", files.ridge_bytes()),
            uploaded_by=owner,
            metrics="[1, 2]",
        )
    assert ModelVersion.objects.count() == 0


def test_upload_above_the_limit_names_the_limit(sales, owner, settings):
    settings.CATENA_MAX_UPLOAD_MB = 1
    big = files.upload("big.skops", b"x" * (1024 * 1024 + 1))
    with pytest.raises(CatenaAppError, match="the upload limit is 1 MB") as caught:
        services.model_version_create(model=sales, file=big, uploaded_by=owner)
    assert caught.value.status_code == 413
    assert ModelVersion.objects.count() == 0


def test_moving_an_alias_records_who_and_when(ridge_v1, sales, owner, staff):
    second = services.model_version_create(
        model=sales,
        file=files.upload("ridge.skops", files.ridge_bytes()),
        uploaded_by=owner,
    )
    services.alias_set(model=sales, alias="production", number=1, user=owner)
    alias = services.alias_set(model=sales, alias="production", number=2, user=staff)
    assert alias.version == second
    moves = list(AliasMove.objects.order_by("id"))
    assert [(m.from_version, m.to_version.number, m.moved_by) for m in moves] == [
        (None, 1, owner),
        (ridge_v1, 2, staff),
    ]


def test_alias_latest_is_reserved(ridge_v1, sales, owner):
    with pytest.raises(ValidationError, match="implicit"):
        services.alias_set(model=sales, alias="latest", number=1, user=owner)
    assert Alias.objects.count() == 0


def test_alias_to_a_missing_version_is_refused(ridge_v1, sales, owner):
    with pytest.raises(ValidationError, match="has no version 7"):
        services.alias_set(model=sales, alias="production", number=7, user=owner)
    assert Alias.objects.count() == 0
    assert AliasMove.objects.count() == 0


def test_teammate_cannot_move_an_alias(ridge_v1, sales, teammate):
    with pytest.raises(CatenaAppError, match="Only the owner"):
        services.alias_set(model=sales, alias="production", number=1, user=teammate)
    assert Alias.objects.count() == 0


def test_compressed_joblib_is_stored_untrusted(sales, owner):
    import io

    import joblib
    from sklearn.linear_model import Ridge

    buffer = io.BytesIO()
    joblib.dump(Ridge().fit(files.FEATURES, files.TARGET), buffer, compress=3)
    version = services.model_version_create(
        model=sales,
        file=files.upload("ridge.joblib", buffer.getvalue()),
        uploaded_by=owner,
    )
    assert version.format == "joblib"
    assert version.trusted is False
    assert version.untrusted_types == ["(could not be listed)"]


def test_model_names_are_at_most_what_a_chain_may_refer_to(owner):
    with pytest.raises(ValidationError, match="at most 80 characters"):
        services.registered_model_create(name="m" * 81, owner=owner)
    assert RegisteredModel.objects.count() == 0
