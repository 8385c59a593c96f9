"""Safe arithmetic expressions over columns, for the transform step's ``arith`` op.

An expression may use column names (Python identifiers), numbers, ``+ - * / **``,
unary minus and parentheses; nothing else. It is parsed with :mod:`ast` and
evaluated by walking the tree, never with ``eval``. Numbers are taken as floats,
so ``10 ** 10 ** 10`` overflows to ``inf`` instead of hanging.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

MAX_LENGTH = 500

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
# Operator and context nodes are checked through their parent BinOp/UnaryOp,
# which ast.walk visits first.
_ALLOWED = (
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.operator,
    ast.unaryop,
    ast.expr_context,
)
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access is not allowed",
    ast.Call: "function calls are not allowed",
    ast.Subscript: "indexing is not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "boolean operators are not allowed",
    ast.Lambda: "lambdas are not allowed",
}


def parse(expr: str) -> ast.Expression:
    """Parse ``expr`` and check that it uses only the allowed syntax.

    Raises
    ------
    ValueError
        With a message saying what is not allowed, or where the syntax breaks.

    Examples
    --------
    >>> columns(parse("price * 2 + qty"))
    ['price', 'qty']
    >>> parse("price.real")
    Traceback (most recent call last):
    ...
    ValueError: attribute access is not allowed: price.real
    """
    if len(expr) > MAX_LENGTH:
        raise ValueError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"invalid expression {expr!r}: {exc.msg}") from exc
    for node in ast.walk(tree.body):
        _check(node)
    return tree


def _check(node: ast.AST) -> None:
    if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
        raise ValueError(f"operator not allowed: {ast.unparse(node)}")
    if isinstance(node, ast.UnaryOp) and type(node.op) not in _UNARY:
        raise ValueError(f"operator not allowed: {ast.unparse(node)}")
    if isinstance(node, ast.Constant) and not _is_number(node.value):
        raise ValueError(f"only numbers are allowed as constants, not {node.value!r}")
    if not isinstance(node, _ALLOWED):
        reason = _REFUSED.get(type(node), f"{type(node).__name__} is not allowed")
        raise ValueError(f"{reason}: {ast.unparse(node)}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def columns(tree: ast.Expression) -> list[str]:
    """Return the column names an expression uses, in order of first use."""
    found = [n for n in ast.walk(tree.body) if isinstance(n, ast.Name)]
    found.sort(key=lambda n: n.col_offset)
    return list(dict.fromkeys(n.id for n in found))


def evaluate(tree: ast.Expression, values: Mapping[str, Any]) -> Any:
    """Evaluate a parsed expression over numpy arrays (or numbers).

    Examples
    --------
    >>> evaluate(parse("-a ** 2 / 4"), {"a": np.array([2.0, 4.0])})
    array([-1., -4.])
    """
    with np.errstate(all="ignore"):  # overflow gives inf, 0/0 gives nan, as in SQL
        return _eval(tree.body, values)


def _eval(node: ast.expr, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.BinOp):
        op = _BINARY[type(node.op)]
        return op(_eval(node.left, values), _eval(node.right, values))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_eval(node.operand, values))
    if isinstance(node, ast.Name):
        return values[node.id]
    value = node.value if isinstance(node, ast.Constant) else None
    assert isinstance(value, int | float)  # parse() admits nothing else
    return np.float64(value)
