"""The codes, fields and messages of the evaluation guards' warnings.

Merged into :data:`catena.problems.CODES`, ``FIELDS`` and ``MESSAGES``; kept
here so the guards (:mod:`catena.guards`) read as one piece.
"""

from __future__ import annotations

GUARD_CODES: dict[str, str] = {
    "target_as_feature": "a model would take the data set's target column as a "
    "feature (a warning)",
    "stacker_base_moved": "a stacker sits on another version of a base model than "
    "the one it was trained on (a warning)",
    "stacker_in_sample": "a stacker was trained on in-sample (not out-of-fold) "
    "predictions of its base models (a warning)",
}

GUARD_FIELDS: dict[str, dict[str, str]] = {
    "target_as_feature": {
        "model": "registry name",
        "version": "version number",
        "feature": "the model's feature the target feeds",
        "column": "the column that arrives (the target, fan-in prefix included)",
        "target": "the data set's target column",
    },
    "stacker_base_moved": {
        "model": "the stacker's registry name",
        "version": "the stacker's version number",
        "base_model": "the base model's registry name",
        "trained_version": "the base version the stacker was trained on",
        "running_version": "the base version upstream now (what runs use)",
        "base_node": "the upstream node running the base model",
    },
    "stacker_in_sample": {
        "model": "the stacker's registry name",
        "version": "the stacker's version number",
    },
}

GUARD_MESSAGES: dict[str, str] = {
    "target_as_feature": (
        "node {node!r}: model {model!r} v{version} would take the target column "
        "{target!r} as its feature {feature!r}: its predictions would leak the answer"
    ),
    "stacker_base_moved": (
        "node {node!r}: stacker {model!r} v{version} was trained on {base_model!r} "
        "v{trained_version}, but node {base_node!r} runs v{running_version}"
    ),
    "stacker_in_sample": (
        "node {node!r}: stacker {model!r} v{version} was trained on in-sample "
        "predictions of its base models: it trusts them more than it should"
    ),
}
