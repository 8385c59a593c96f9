"""JSON bodies are bounded by CATENA_MAX_JSON_MB before they are read or parsed."""

from __future__ import annotations

import json

import pytest

from builder.models import Chain
from config.parsers import MB, CatenaJSONParser
from runner.models import Run
from tests.config.wsgi import CountingInput, wsgi_post


def test_a_json_body_over_the_limit_is_a_413_read_no_further(owner, settings):
    settings.CATENA_MAX_JSON_MB = 1
    body = json.dumps({"name": "big", "description": "x" * (2 * MB)}).encode()
    answer = wsgi_post("/api/chains/", body, "application/json", owner)
    assert answer.status == 413
    error = json.loads(answer.body)
    assert error["extra"] == {"limit": "body", "max": MB, "got": len(body)}
    assert answer.bytes_read == 0
    assert Chain.objects.count() == 0


def test_run_rows_are_bounded_by_the_json_limit_too(owner, settings):
    settings.CATENA_MAX_JSON_MB = 1
    rows = [{"x": float(i), "y": 1.0} for i in range(100_000)]
    body = json.dumps({"chain": "adder", "rows": rows}).encode()
    answer = wsgi_post("/api/runs/", body, "application/json", owner)
    assert answer.status == 413
    refusal = json.loads(answer.body)
    assert refusal["extra"] == {"limit": "body", "max": MB, "got": len(body)}
    assert refusal["message"].startswith(
        f"The request body is {len(body)} bytes; "
        f"a run submission may carry at most {MB}."
    )
    assert answer.bytes_read == 0
    assert Run.objects.count() == 0


def test_without_a_content_length_the_parser_reads_one_byte_past_the_limit(
    settings,
):
    settings.CATENA_MAX_JSON_MB = 1
    stream = CountingInput(b"[" + b"1," * (3 * MB) + b"1]")
    with pytest.raises(Exception, match="the limit is 1048576") as raised:
        CatenaJSONParser().parse(stream, "application/json", {})
    assert raised.value.status_code == 413
    assert stream.bytes_read == MB + 1


def test_a_body_under_the_limit_is_parsed(settings):
    settings.CATENA_MAX_JSON_MB = 1
    stream = CountingInput(b'{"a": [1, 2.5, "\\ud83d\\ude00"]}')
    assert CatenaJSONParser().parse(stream, "application/json", {}) == {
        "a": [1, 2.5, "\U0001f600"]
    }
