"""ONNX models whose tensors point at files on the server are refused at any depth."""

from __future__ import annotations

import numpy as np
import pytest

from registry.formats import onnx as onnx_format
from registry.models import ModelVersion
from tests.registry import hostile
from tests.registry.files import upload


@pytest.fixture
def secret_in_cwd(tmp_path, monkeypatch):
    """A file the attack names relative to the working directory."""
    monkeypatch.chdir(tmp_path)
    hostile.SECRET_VALUES.tofile(tmp_path / hostile.SECRET)
    return tmp_path / hostile.SECRET


ATTACKS = {
    "sparse initializer": (hostile.onnx_sparse_initializer, "W"),
    "Constant attribute": (hostile.onnx_constant_attribute, "W"),
    "If subgraph": (hostile.onnx_if_subgraph, "W_inner"),
    "function body": (hostile.onnx_function_body, "W_function"),
    "tensors attribute": (hostile.onnx_tensors_attribute, "W_list"),
}


@pytest.mark.parametrize("attack", ATTACKS, ids=list(ATTACKS))
def test_external_data_anywhere_is_refused_with_a_400_naming_the_tensor(
    api, sales, secret_in_cwd, media_root, attack
):
    build, tensor = ATTACKS[attack]
    response = api.post(
        "/api/models/sales-ridge/versions/",
        {"file": upload("m.onnx", build())},
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert f"external data (tensor '{tensor}')" in str(body)
    assert ModelVersion.objects.count() == 0
    assert not media_root.exists() or list(media_root.rglob("*.onnx")) == []


def test_the_walker_finds_every_attack_tensor():
    import onnx

    for build, tensor in ATTACKS.values():
        proto = onnx.load_model_from_string(build())
        names = [t.name for t in onnx_format.all_tensors(proto)]
        assert tensor in names


def test_a_session_cannot_read_a_relative_file_even_when_the_check_is_bypassed(
    secret_in_cwd, monkeypatch
):
    """The unchecked sparse attack reads the secret through onnxruntime; with the
    check bypassed, the session's external-data folder is empty, so it fails."""
    import onnxruntime as ort

    data = hostile.onnx_sparse_initializer()
    plain = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    leaked = plain.run(None, {"x": np.zeros((1, 4), np.float32)})[0]
    assert leaked.tolist() == [hostile.SECRET_VALUES.tolist()]  # the attack is real

    monkeypatch.setattr(onnx_format, "external_data_refuse", lambda proto: None)
    with pytest.raises(onnx_format.ModelFileError, match="onnxruntime cannot load"):
        onnx_format.onnx_session(data)


def test_the_sandbox_works_in_an_empty_folder(secret_in_cwd):
    """A trusted pickle that opens the secret by a relative path finds nothing:
    the sandbox's working directory is an empty temporary folder."""
    from registry import formats

    opener = f"cbuiltins\nopen\n(S'{hostile.SECRET}'\nS'rb'\ntR.".encode()
    with pytest.raises(formats.ModelFileError, match="No such file or directory"):
        formats.describe(opener, None, fmt="pickle", trusted_types=["builtins.open"])
