from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from catena.errors import ModelNotFoundError
from catena.schema import Column
from registry import services
from registry.resolver import ModelCache, RegistryResolver, model_cache
from tests.registry import files


def old_sklearn_skops() -> bytes:
    """The ridge file as if saved by scikit-learn 1.0.0."""
    source = zipfile.ZipFile(io.BytesIO(files.ridge_bytes()))
    schema = json.loads(source.read("schema.json"))
    schema["content"]["content"]["_sklearn_version"]["content"] = '"1.0.0"'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            body = source.read(name)
            if name == "schema.json":
                body = json.dumps(schema).encode()
            target.writestr(name, body)
    return out.getvalue()


def test_resolves_number_latest_and_alias_from_the_database(ridge_v1, sales, owner):
    services.model_version_create(
        model=sales,
        file=files.upload("r.skops", files.ridge_bytes()),
        uploaded_by=owner,
    )
    services.alias_set(model=sales, alias="production", number=1, user=owner)
    resolver = RegistryResolver()
    assert resolver.resolve("sales-ridge", 1).version == 1
    assert resolver.resolve("sales-ridge", "@latest").version == 2
    assert resolver.resolve("sales-ridge", "@production").version == 1
    assert resolver.resolve("sales-ridge", "2").version == 2
    resolved = resolver.resolve("sales-ridge", 1)
    assert resolved.sha256 == ridge_v1.sha256
    assert resolved.signature.inputs == (
        Column("price", "float"),
        Column("area", "float"),
    )
    assert resolved.trusted is True
    assert resolved.warnings == ()


@pytest.mark.parametrize(
    ("name", "version", "message"),
    [
        ("nope", 1, "no model named 'nope'"),
        ("sales-ridge", 4, "has no version 4"),
        ("sales-ridge", "@staging", "has no alias '@staging'"),
    ],
)
def test_unknown_references_raise_model_not_found(ridge_v1, name, version, message):
    with pytest.raises(ModelNotFoundError, match=message):
        RegistryResolver().resolve(name, version)


def test_resolving_never_loads_the_file(ridge_v1):
    ridge_v1.file.storage.delete(ridge_v1.file.name)
    resolved = RegistryResolver().resolve("sales-ridge", 1)
    assert resolved.signature.methods == ("predict",)
    assert len(model_cache) == 0


def test_a_warm_process_loads_a_model_once(ridge_v1):
    resolver = RegistryResolver()
    first = resolver.resolve("sales-ridge", 1).load()
    second = resolver.resolve("sales-ridge", "@latest").load()
    assert second is first
    assert (model_cache.misses, model_cache.hits) == (1, 1)
    predicted = first.call("predict", files.FEATURES)
    assert predicted.shape == (6,)


def test_cache_evicts_the_least_recently_used(ridge_v1, sales, owner, settings):
    settings.CATENA_MODEL_CACHE_SIZE = 1
    services.model_version_create(
        model=sales, file=files.upload("m.onnx", files.onnx_bytes()), uploaded_by=owner
    )
    resolver = RegistryResolver()
    resolver.resolve("sales-ridge", 1).load()
    resolver.resolve("sales-ridge", 2).load()
    assert len(model_cache) == 1
    assert ridge_v1.sha256 not in model_cache


def test_onnx_version_loads_as_an_onnx_adapter(sales, owner):
    services.model_version_create(
        model=sales,
        file=files.upload("m.onnx", files.onnx_bytes()),
        uploaded_by=owner,
        sample=files.upload("s.csv", files.sample_csv()),
    )
    adapter = RegistryResolver(ModelCache(2)).resolve("sales-ridge", 1).load()
    assert type(adapter).__name__ == "OnnxModel"
    assert adapter.call("predict_proba", files.FEATURES).shape == (6, 2)


def test_a_changed_file_is_not_loaded(ridge_v1):
    path = ridge_v1.file.path
    with open(path, "wb") as handle:
        handle.write(files.onnx_bytes())
    with pytest.raises(Exception, match="changed since upload"):
        RegistryResolver().resolve("sales-ridge", 1).load()


def test_other_sklearn_version_is_a_warning_on_resolve_and_page(
    sales, owner, owner_client
):
    version = services.model_version_create(
        model=sales,
        file=files.upload("old.skops", old_sklearn_skops()),
        uploaded_by=owner,
    )
    assert version.sklearn_version == "1.0.0"
    assert any("InconsistentVersionWarning" in w for w in version.load_warnings)
    resolved = RegistryResolver().resolve("sales-ridge", 1)
    assert any("scikit-learn 1.0.0" in w for w in resolved.warnings)
    page = owner_client.get("/models/sales-ridge/versions/1/")
    assert b"Saved with scikit-learn 1.0.0" in page.content


def test_references_read_ahead_in_one_go_resolve_as_one_at_a_time(
    ridge_v1,
    sales,
    forest,
    owner,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    services.model_version_create(
        model=sales,
        file=files.upload("r.skops", files.ridge_bytes()),
        uploaded_by=owner,
    )
    services.alias_set(model=sales, alias="production", number=1, user=owner)
    services.alias_set(model=forest, alias="production", number=1, user=owner)
    refs = [
        ("churn-forest", 1),
        ("churn-forest", "@production"),
        ("churn-forest", "@latest"),
        ("sales-ridge", 1),
        ("sales-ridge", "2"),
        ("sales-ridge", "@latest"),
        ("sales-ridge", "production"),
        ("sales-ridge", "@staging"),
        ("sales-ridge", 4),
        ("churn-forest", 2),
        ("sales-ridge", 2**40),
        ("nope", "@latest"),
    ]
    ahead = RegistryResolver()
    with django_assert_max_num_queries(2):
        ahead.prefetch(refs)
    for name, version in refs[:7]:
        one = RegistryResolver().resolve(name, version)
        with django_assert_num_queries(0):
            got = ahead.resolve(name, version)
        assert (got.name, got.version, got.sha256, got.signature) == (
            one.name,
            one.version,
            one.sha256,
            one.signature,
        )
    for name, version in refs[7:]:
        with pytest.raises(ModelNotFoundError) as one:
            RegistryResolver().resolve(name, version)
        with pytest.raises(ModelNotFoundError, match=re.escape(str(one.value))):
            ahead.resolve(name, version)
