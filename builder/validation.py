"""Graph validation against the registry, as JSON-ready problems and schemas."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from builder.limits import document_limits_check
from catena import graph as catena_graph
from catena import validation
from catena.errors import GraphDocumentError
from catena.guards import target_problems
from catena.problems import CODES, FIELDS, Problem
from catena.resolving import Resolver
from catena.schema import schema_to_json

ProblemDict = dict[str, Any]
SchemaDict = dict[str, list[list[str]] | None]


def registry_resolver() -> Resolver:
    """Models from the registry, saved chains from the builder."""
    from builder.resolver import ChainResolver

    return ChainResolver()


def chain_validate(
    document: Any,
    *,
    resolver: Resolver | None = None,
    chain: str | None = None,
    target: str = "",
) -> tuple[list[ProblemDict], SchemaDict]:
    """Return every problem of a document and each node's inferred output schema.

    Limits are checked first and raise ``CatenaAppError``; a malformed document
    is reported through its problems, like any other problem. ``chain`` names
    the chain the document is a version of, so a chain node using it is a cycle;
    ``target`` a data set's target column: a model taking it gets a warning.
    """
    document_limits_check(document)
    try:
        graph = catena_graph.load(document)
    except GraphDocumentError as exc:
        return problems_as_dicts(exc.problems), {}
    report = validation.check(graph, resolver or registry_resolver(), chain=chain)
    leaks = target_problems(graph, report.schemas, report.resolved, target)
    schemas = {
        node: schema_to_json(schema) if schema is not None else None
        for node, schema in report.schemas.items()
    }
    return problems_as_dicts(report.problems + leaks), schemas


def problems_as_dicts(problems: list[Problem]) -> list[ProblemDict]:
    return [p.as_dict() for p in problems]


def errors_of(problems: list[ProblemDict]) -> list[ProblemDict]:
    return [p for p in problems if p.get("severity", "error") == "error"]


def _data_serializer(code: str) -> type[serializers.Serializer[Any]]:
    fields: dict[str, serializers.Field[Any, Any, Any, Any]] = {
        name: serializers.JSONField(help_text=meaning, allow_null=True)
        for name, meaning in FIELDS[code].items()
    }
    name = "".join(part.title() for part in code.split("_"))
    return type(f"Problem{name}Data", (serializers.Serializer,), fields)


def _problem_serializer(code: str) -> type[serializers.Serializer[Any]]:
    name = "".join(part.title() for part in code.split("_"))
    fields = {
        "code": serializers.ChoiceField(choices=[code], help_text=CODES[code]),
        "message": serializers.CharField(
            help_text="for people only; read the fields, never this text"
        ),
        "node": serializers.CharField(allow_null=True),
        "edge": serializers.ListField(
            child=serializers.CharField(), min_length=2, max_length=2, allow_null=True
        ),
        "severity": serializers.ChoiceField(choices=["error", "warning"]),
        "data": _data_serializer(code)(),
    }
    return type(f"Problem{name}", (serializers.Serializer,), fields)


def problem_serializer() -> PolymorphicProxySerializer:
    """A serializer documenting a problem: the variant is chosen by ``code``."""
    return PolymorphicProxySerializer(
        component_name="Problem",
        serializers={code: _problem_serializer(code) for code in CODES},
        resource_type_field_name="code",
        many=True,
    )
