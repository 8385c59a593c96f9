"""Hostile model files, built in the tests: ONNX models reaching for files, pickles
hiding their imports, zip bombs."""

from __future__ import annotations

import io
import zipfile

import numpy as np
from onnx import AttributeProto, TensorProto, helper

from tests.registry import files

SECRET = "secret.bin"
SECRET_VALUES = np.arange(4, dtype=np.float32)


def external_tensor(name: str) -> TensorProto:
    """A float tensor of 4 values whose bytes live in ``SECRET`` (relative)."""
    tensor = helper.make_tensor(name, TensorProto.FLOAT, [4], np.zeros(4, np.float32))
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in {"location": SECRET, "offset": "0", "length": "16"}.items():
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def _model(nodes, **graph) -> bytes:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    functions = graph.pop("functions", [])
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("catena.test", 1)]
    made = helper.make_graph(nodes, "g", [x], [y], **graph)
    model = helper.make_model(made, opset_imports=opsets, functions=functions)
    return model.SerializeToString()


def onnx_sparse_initializer() -> bytes:
    values = external_tensor("W")
    indices = helper.make_tensor("W_indices", TensorProto.INT64, [4], [0, 1, 2, 3])
    sparse = helper.make_sparse_tensor(values, indices, [4])
    add = helper.make_node("Add", ["x", "W"], ["y"])
    return _model([add], sparse_initializer=[sparse])


def onnx_constant_attribute() -> bytes:
    constant = helper.make_node("Constant", [], ["W"], value=external_tensor("W"))
    return _model([constant, helper.make_node("Add", ["x", "W"], ["y"])])


def onnx_if_subgraph() -> bytes:
    w = helper.make_tensor_value_info("W", TensorProto.FLOAT, [4])
    inner = helper.make_graph(
        [helper.make_node("Constant", [], ["W"], value=external_tensor("W_inner"))],
        "branch",
        [],
        [w],
    )
    cond = helper.make_node(
        "Constant", [], ["c"], value=helper.make_tensor("c", TensorProto.BOOL, [], [1])
    )
    branch = helper.make_node("If", ["c"], ["W"], then_branch=inner, else_branch=inner)
    return _model([cond, branch, helper.make_node("Add", ["x", "W"], ["y"])])


def onnx_function_body() -> bytes:
    body = [
        helper.make_node("Constant", [], ["W"], value=external_tensor("W_function")),
        helper.make_node("Add", ["a", "W"], ["b"]),
    ]
    function = helper.make_function(
        "catena.test", "AddSecret", ["a"], ["b"], body, [helper.make_opsetid("", 17)]
    )
    call = helper.make_node("AddSecret", ["x"], ["y"], domain="catena.test")
    return _model([call], functions=[function])


def onnx_tensors_attribute() -> bytes:
    """A tensor inside a TENSORS attribute (no standard op reads it)."""
    node = helper.make_node("Identity", ["x"], ["y"])
    node.attribute.append(helper.make_attribute("stash", [external_tensor("W_list")]))
    assert node.attribute[-1].type == AttributeProto.TENSORS
    return _model([node])


# Pickles ---------------------------------------------------------------------
def pickle_inst(command: str) -> bytes:
    """Protocol 0: INST names os.system without GLOBAL."""
    return f"(S'{command}'\nios\nsystem\n.".encode()


def _unicode(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def pickle_memoised_stack_global(command: str) -> bytes:
    """The names go into the memo, a decoy STACK_GLOBAL follows, then BINGETs."""
    return (
        b"\x80\x04"
        + _unicode("posix")
        + b"\x940"  # MEMOIZE -> 0, POP
        + _unicode("system")
        + b"\x940"  # MEMOIZE -> 1, POP
        + _unicode("builtins")
        + _unicode("len")
        + b"\x93"  # STACK_GLOBAL builtins.len (the decoy)
        + b"0"  # POP
        + b"h\x00h\x01\x93"  # BINGET 0, BINGET 1, STACK_GLOBAL
        + _unicode(command)
        + b"\x85R."  # TUPLE1, REDUCE, STOP
    )


def pickle_decoy_global(command: str) -> bytes:
    """A harmless GLOBAL first, popped, then the real one."""
    return f"cbuiltins\nlen\n0cos\nsystem\n(S'{command}'\ntR.".encode()


def pickle_opcode_bomb(ops: int) -> bytes:
    """Small per byte, huge for a reader that keeps every opcode."""
    return b"\x80\x04" + b")0" * ops + b"N."


# Zips --------------------------------------------------------------------------
def skops_schema_bomb(megabytes: int) -> bytes:
    """The ridge skops file whose schema.json is padded with ``megabytes`` MiB of
    spaces (valid JSON, compressing about 1000:1)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(files.ridge_bytes())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for name in source.namelist():
            raw = source.read(name)
            if name != "schema.json":
                target.writestr(name, raw)
                continue
            with target.open(name, "w") as handle:
                handle.write(raw[:-1])
                for _ in range(megabytes):
                    handle.write(b" " * (1 << 20))
                handle.write(raw[-1:])
    return out.getvalue()


def zip_with_entries(count: int) -> bytes:
    """A zip whose central directory lists ``count`` empty stored members,
    written directly (zipfile would take seconds)."""
    import struct
    import zlib

    local, central = io.BytesIO(), io.BytesIO()
    crc = zlib.crc32(b"")
    for i in range(count):
        name = f"m{i}".encode()
        offset = local.tell()
        local.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, 0, 0, len(name), 0
            )
            + name
        )
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                0,
                0,
                0,
                crc,
                0,
                0,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
    start = local.tell()
    size = central.tell()
    eocd64 = struct.pack(
        "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, size, start
    )
    locator = struct.pack("<IIQI", 0x07064B50, 0, start + size, 1)
    eocd = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0
    )
    return local.getvalue() + central.getvalue() + eocd64 + locator + eocd
