"""The arithmetic operators allowed when evaluating expressions safely with ``ast``."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

BINARY_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
