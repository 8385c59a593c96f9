"""Safe arithmetic over columns: one checked grammar for every expression Catena takes.

An expression may use names (columns, and whatever else its caller provides),
numbers, ``+ - * / **``, unary ``-`` and ``+``, parentheses, and the functions its
:class:`Grammar` lists. The text is parsed with :mod:`ast` and checked against that
whitelist, then evaluated by walking the tree; nothing is ever given to ``eval``.
Numbers are floats, so ``10 ** 10 ** 10`` overflows to ``inf`` instead of hanging,
and the text's length and nesting depth are bounded before and after parsing.

The transform step's ``arith`` op uses :data:`ARITH` (no functions), the optimize
step's objective :data:`OBJECTIVE` (``min max abs log exp sqrt``).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_LENGTH = 500
#: Deepest tree accepted; Python's own parser gives up near 200 brackets.
MAX_DEPTH = 32

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: np.power,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "indexing is not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "boolean operators are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.NamedExpr: "assignment is not allowed",
}


@dataclass(frozen=True)
class Grammar:
    """What one kind of expression may use, and what its messages call it."""

    #: The word messages use: "the expression is empty", "the objective is …".
    noun: str
    #: Function name -> (numpy function, number of arguments).
    functions: dict[str, tuple[Callable[..., Any], int]] = field(default_factory=dict)

    def parse(self, text: str) -> ast.Expression:
        """Parse ``text`` and check it against the whitelist.

        Raises
        ------
        ValueError
            Saying what is not allowed, or where the syntax breaks.

        Examples
        --------
        >>> ARITH.parse("price.real")
        Traceback (most recent call last):
        ...
        ValueError: attribute access is not allowed: price.real
        >>> OBJECTIVE.parse("__import__('os')")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: unknown function '__import__' (allowed: min, max, abs, log, ...)
        """
        if len(text) > MAX_LENGTH:
            raise ValueError(f"the {self.noun} is longer than {MAX_LENGTH} characters")
        if not text.strip():
            raise ValueError(f"the {self.noun} is empty")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except (SyntaxError, RecursionError, MemoryError) as exc:
            detail = exc.msg if isinstance(exc, SyntaxError) else "too deeply nested"
            raise ValueError(f"the {self.noun} does not parse: {detail}") from None
        self._check(tree.body, 1)
        return tree

    def _check(self, node: ast.AST, depth: int) -> None:
        if depth > MAX_DEPTH:
            deep = f"nested deeper than {MAX_DEPTH} levels"
            raise ValueError(f"the {self.noun} is {deep}")
        if isinstance(node, ast.Call):
            self._check_call(node)
            children: list[ast.AST] = list(node.args)
        elif isinstance(node, ast.BinOp | ast.UnaryOp):
            if type(node.op) not in (*_BINARY, *_UNARY):
                raise ValueError(f"operator not allowed: {_shown(node)}")
            children = (
                [node.left, node.right]
                if isinstance(node, ast.BinOp)
                else [node.operand]
            )
        elif isinstance(node, ast.Constant):
            _check_number(node.value, self.noun)
            children = []
        elif isinstance(node, ast.Name):
            children = []
        else:
            reason = _REFUSED.get(type(node), f"{type(node).__name__} is not allowed")
            raise ValueError(f"{reason}: {_shown(node)}")
        for child in children:
            self._check(child, depth + 1)

    def _check_call(self, node: ast.Call) -> None:
        if not self.functions:
            raise ValueError(f"function calls are not allowed: {_shown(node)}")
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in self.functions:
            name = func.id if isinstance(func, ast.Name) else _shown(func)
            allowed = ", ".join(self.functions)
            raise ValueError(f"unknown function {name!r} (allowed: {allowed})")
        wanted = self.functions[func.id][1]
        if node.keywords or len(node.args) != wanted:
            raise ValueError(f"{func.id}() takes {wanted} argument(s)")

    def evaluate(self, tree: ast.Expression, values: Mapping[str, Any]) -> Any:
        """Evaluate a parsed expression over numpy arrays (broadcasting) or numbers.

        Examples
        --------
        >>> x = {"a": np.array([1.0, 3.0]), "b": 2.0}
        >>> OBJECTIVE.evaluate(OBJECTIVE.parse("max(a, 2) * -b"), x)
        array([-4., -6.])
        """
        with np.errstate(all="ignore"):  # overflow gives inf, 0/0 gives nan
            return self._eval(tree.body, values)

    def _eval(self, node: ast.expr, values: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.BinOp):
            op = _BINARY[type(node.op)]
            return op(self._eval(node.left, values), self._eval(node.right, values))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, values))
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)  # parse() admits nothing else
            function = self.functions[node.func.id][0]
            return function(*(self._eval(arg, values) for arg in node.args))
        if isinstance(node, ast.Name):
            return values[node.id]
        assert isinstance(node, ast.Constant)
        assert isinstance(node.value, int | float)  # parse() admits nothing else
        return np.float64(node.value)


def names(tree: ast.Expression) -> list[str]:
    """Return the names an expression uses (not its functions), in text order.

    Examples
    --------
    >>> names(OBJECTIVE.parse("(price - unit_cost) * max(prediction, 0)"))
    ['price', 'unit_cost', 'prediction']
    """
    called = {id(n.func) for n in ast.walk(tree.body) if isinstance(n, ast.Call)}
    found = [
        n
        for n in ast.walk(tree.body)
        if isinstance(n, ast.Name) and id(n) not in called
    ]
    found.sort(key=lambda n: n.col_offset)
    return list(dict.fromkeys(n.id for n in found))


def _check_number(value: object, noun: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"only numbers are allowed as constants, not {value!r}")
    try:
        float(value)
    except OverflowError:
        raise ValueError(f"a number in the {noun} is too large") from None


def _shown(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


#: The transform step's ``arith`` op: arithmetic over columns, no functions.
ARITH = Grammar("expression")
#: The optimize step's objective: arithmetic and a few numpy functions.
OBJECTIVE = Grammar(
    "objective",
    {
        "min": (np.minimum, 2),
        "max": (np.maximum, 2),
        "abs": (np.abs, 1),
        "log": (np.log, 1),
        "exp": (np.exp, 1),
        "sqrt": (np.sqrt, 1),
    },
)
