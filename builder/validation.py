"""Graph validation against the registry, as JSON-ready problems and schemas."""

from __future__ import annotations

from typing import Any

from builder.limits import document_limits_check
from catena import graph as catena_graph
from catena import validation
from catena.errors import GraphDocumentError
from catena.problems import Problem
from catena.resolving import Resolver
from catena.schema import schema_to_json

ProblemDict = dict[str, Any]
SchemaDict = dict[str, list[list[str]] | None]


def registry_resolver() -> Resolver:
    from registry.resolver import RegistryResolver

    return RegistryResolver()


def chain_validate(
    document: Any, *, resolver: Resolver | None = None
) -> tuple[list[ProblemDict], SchemaDict]:
    """Return every problem of a document and each node's inferred output schema.

    Limits are checked first and raise ``CatenaAppError``; a malformed document
    is reported through its problems, like any other problem.
    """
    document_limits_check(document)
    try:
        graph = catena_graph.load(document)
    except GraphDocumentError as exc:
        return problems_as_dicts(exc.problems), {}
    report = validation.check(graph, resolver or registry_resolver())
    schemas = {
        node: schema_to_json(schema) if schema is not None else None
        for node, schema in report.schemas.items()
    }
    return problems_as_dicts(report.problems), schemas


def problems_as_dicts(problems: list[Problem]) -> list[ProblemDict]:
    return [p.as_dict() for p in problems]


def errors_of(problems: list[ProblemDict]) -> list[ProblemDict]:
    return [p for p in problems if p.get("severity", "error") == "error"]
