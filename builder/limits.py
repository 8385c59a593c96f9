"""Size limits of graph documents, checked before anything walks them.

Each violation raises ``CatenaAppError`` whose ``extra`` names the limit
(``{"limit": "nodes", "max": 1000, "got": 10000}``), so the API answers a 4xx
that says which one was hit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from catena.graph import canonical_json
from config.exceptions import CatenaAppError

MAX_DOCUMENT_BYTES = 1024 * 1024
#: A request carrying a document may add a message and a few fields.
MAX_REQUEST_BYTES = MAX_DOCUMENT_BYTES + 64 * 1024
MAX_NODES = 1000
MAX_EDGES = 5000
MAX_NAME_LENGTH = 80
MAX_DEPTH = 32


def limit_error(limit: str, message: str, *, got: int, maximum: int) -> CatenaAppError:
    status = 413 if limit in ("body", "document_size") else 400
    extra = {"limit": limit, "max": maximum, "got": got}
    return CatenaAppError(message, extra, status=status)


def document_limits_check(document: Any) -> None:
    """Raise ``CatenaAppError`` when a decoded document breaks a limit."""
    depth_check(document)
    size = len(canonical_json(document).encode())
    if size > MAX_DOCUMENT_BYTES:
        raise limit_error(
            "document_size",
            f"The graph document is {size} bytes; the limit is {MAX_DOCUMENT_BYTES}.",
            got=size,
            maximum=MAX_DOCUMENT_BYTES,
        )
    if isinstance(document, dict):
        _count_check("nodes", document.get("nodes"), MAX_NODES)
        _count_check("edges", document.get("edges"), MAX_EDGES)
        _names_check(document)


def depth_check(value: Any, maximum: int = MAX_DEPTH) -> None:
    """Refuse values nested deeper than ``maximum``, walking without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > maximum:
            raise limit_error(
                "depth",
                f"The document is nested more than {maximum} levels deep.",
                got=depth,
                maximum=maximum,
            )
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def _count_check(key: str, items: Any, maximum: int) -> None:
    if isinstance(items, list) and len(items) > maximum:
        raise limit_error(
            key,
            f"The graph has {len(items)} {key}; the limit is {maximum}.",
            got=len(items),
            maximum=maximum,
        )


def _names_check(document: dict[str, Any]) -> None:
    for what, name in _names(document):
        if len(name) > MAX_NAME_LENGTH:
            raise limit_error(
                "name_length",
                f"The {what} {name[:20]!r}... is {len(name)} characters long; "
                f"names are at most {MAX_NAME_LENGTH}.",
                got=len(name),
                maximum=MAX_NAME_LENGTH,
            )


def _names(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (what, name) for node ids, kinds, model names and column names."""
    nodes = document.get("nodes")
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, dict):
            continue
        for key in ("id", "kind"):
            if isinstance(node.get(key), str):
                yield f"node {key}", node[key]
        params = node.get("params")
        if isinstance(params, dict):
            yield from _param_names(params)


def _param_names(params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if isinstance(params.get("model"), str):
        yield "model name", params["model"]
    schema = params.get("schema")
    for column in schema if isinstance(schema, list) else []:
        if isinstance(column, list) and column and isinstance(column[0], str):
            yield "column name", column[0]
    columns = params.get("columns")
    if isinstance(columns, dict):
        for key, value in columns.items():
            yield "column name", str(key)
            if isinstance(value, str):
                yield "column name", value
