"""BFCL vocabulary: parameter types, the decoded-call shape, categories and result decoding.

A *decoded* model result is what BFCL's AST checker consumes: a list of one-key dicts,
``[{"func_name": {"param": value, ...}}, ...]``. The leaderboard's result files hold either that
shape's source: a Python-syntax string (prompting models, e.g. ``"[f(a=1), g(b='x')]"``) or a
list of ``{"func_name": "<JSON arguments>"}`` (function-calling models). :func:`decode_result`
turns any of the three into the decoded list.
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Callable
from typing import Any, cast

from lightclaw.errors import UserError
from lightclaw.schema import ErrorType
from lightclaw.suites.arith import BINARY_OPERATORS

PYTHON_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
"""BFCL's Python type map (``tuple`` values are JSON lists; ``any`` is checked as a string)."""

TYPE_ALIASES: dict[str, str] = {
    "number": "float",
    "double": "float",
    "object": "dict",
    "list": "array",
    "bool": "boolean",
    "str": "string",
    "int": "integer",
}
"""Spellings outside BFCL's Python map (which would crash BFCL) read as their BFCL type."""

NESTED_TYPES = ("array", "tuple")
"""Types whose items are type-checked one level deep."""

CATEGORIES = (
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "irrelevance",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "live_irrelevance",
)
"""BFCL v4's Python single-turn categories judged by the AST checker (or, for the irrelevance
ones, by "no call"): the categories ``lightclaw bfcl score`` scores."""

DecodedCall = dict[str, dict[str, Any]]


class BfclDataError(UserError):
    """A BFCL question, answer or result that cannot be read (names the id or line)."""


def python_type(type_name: str) -> type:
    """The Python type BFCL checks a parameter of ``type_name`` against."""
    name = TYPE_ALIASES.get(type_name, type_name)
    found = PYTHON_TYPES.get(name)
    if found is None:
        raise BfclDataError(f"unsupported BFCL parameter type {type_name!r}")
    return found


def bfcl_type(type_name: str) -> str:
    """``type_name`` as one of BFCL's Python type names (aliases resolved)."""
    name = TYPE_ALIASES.get(type_name, type_name)
    python_type(name)
    return name


def category_of(entry_id: str) -> str:
    """The test category of a BFCL id: everything before the last ``_`` (``live_simple_3-2-0``)."""
    head = entry_id.split(":", 1)[0]
    category, sep, _ = head.rpartition("_")
    if not sep or not category:
        raise BfclDataError(f"id {entry_id!r} has no category prefix (expected CATEGORY_N)")
    return category


def is_call_list(decoded: object) -> bool:
    """BFCL's format check: a list of one-key dicts whose value is a dict (``[]`` passes)."""
    if type(decoded) is not list:
        return False
    for item in decoded:
        if type(item) is not dict or len(item) != 1:
            return False
        if type(next(iter(item.values()))) is not dict:
            return False
    return True


def is_empty_output(decoded: object) -> bool:
    """BFCL's "no function call": not in call format, ``[]`` or ``[{}]``."""
    if not is_call_list(decoded):
        return True
    assert isinstance(decoded, list)
    return len(decoded) == 0 or (len(decoded) == 1 and len(decoded[0]) == 0)


def name_styles(function_docs: list[dict[str, Any]], result: object) -> tuple[int, int]:
    """How a function-calling ``result`` spells dotted function names: ``(underscored, dotted)``.

    ``underscored`` counts calls whose name is not a documented name but is one with ``.``
    replaced by ``_`` (what BFCL's function-calling handlers show a model when their
    ``underscore_to_dot`` setting is on); ``dotted`` counts calls that name a dotted function
    as documented. Only list-shaped results count: a prompting model's Python-syntax string
    always saw the documented names.
    """
    if not isinstance(result, list) or not isinstance(function_docs, list):
        return 0, 0
    names = {str(doc.get("name")) for doc in function_docs if isinstance(doc, dict)}
    renamed = {name.replace(".", "_") for name in names if "." in name} - names
    underscored = dotted = 0
    for item in result:
        if isinstance(item, dict) and len(item) == 1:
            name = next(iter(item))
            if name in renamed:
                underscored += 1
            elif name in names and "." in name:
                dotted += 1
    return underscored, dotted


def is_function_calling_result(result: object) -> bool:
    """A result in BFCL's function-calling shape: a list holding ``{name: "<JSON arguments>"}``."""
    return isinstance(result, list) and any(
        isinstance(item, dict) and item and isinstance(next(iter(item.values())), str)
        for item in result
    )


def decode_result(result: object, *, function_calling: bool = False) -> object:
    """Decode a leaderboard ``result`` into BFCL's decoded-call shape, as BFCL's handlers do.

    A list is decoded like a function-calling handler's ``decode_ast``: each item's first key
    names the function and its value is parsed as JSON arguments (an item that is already
    ``{name: {arguments}}`` is kept: LightClaw's decoded shape). A string is a prompting model's
    Python call syntax, parsed and never evaluated; with ``function_calling`` (the result file
    is a function-calling model's) it is the model's text answer: ``""`` decodes to no call and
    any other text does not decode. Raises ``ValueError`` (BFCL's ``ast_decoder:decoder_failed``)
    when the result does not decode; anything else is returned unchanged for the format check.
    """
    if isinstance(result, str):
        if function_calling:
            if result:
                raise ValueError("a function-calling model's text answer is not a call")
            return []
        return _parse_python_calls(result)
    if isinstance(result, list):
        decoded: list[object] = []
        for item in result:
            if not isinstance(item, dict) or not item:
                raise ValueError(f"expected {{function: arguments}}, got {item!r:.80}")
            name, params = next(iter(item.items()))
            if isinstance(params, str):
                decoded.append({name: json.loads(params)})
            elif len(item) == 1 and isinstance(params, dict):
                decoded.append(item)
            else:
                raise ValueError(f"arguments of {name!r} are not a JSON string")
        return decoded
    return result


def _parse_python_calls(text: str) -> list[DecodedCall]:
    body = text.strip("`\n ")
    if not body.startswith("["):
        body = "[" + body
    if not body.endswith("]"):
        body = body + "]"
    try:
        tree = ast.parse(body.strip().strip("'"), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"not Python call syntax: {exc.msg}") from None
    except (MemoryError, RecursionError):  # the parser gives up on very deep nesting
        raise ValueError("not Python call syntax: nested too deeply") from None
    calls = [tree] if isinstance(tree, ast.Call) else getattr(tree, "elts", None)
    if calls is None:
        raise ValueError("expected a list of function calls")
    out: list[DecodedCall] = []
    for node in calls:
        if not isinstance(node, ast.Call):
            raise ValueError(f"expected a function call, got {ast.unparse(node)!r}")
        try:
            out.append(_call(node))
        except (TypeError, ArithmeticError) as exc:  # e.g. an unhashable dict key, 1 / 0
            raise ValueError(f"cannot resolve an argument: {exc}") from None
    return out


def _call(node: ast.Call) -> DecodedCall:
    parts: list[str] = []
    func: ast.expr = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return {".".join(reversed(parts)): {kw.arg or "": _value(kw.value) for kw in node.keywords}}


def _value(node: ast.expr) -> Any:
    """An argument value, resolved as BFCL's ``resolve_ast_by_type`` resolves it.

    Kept BFCL quirks: a unary operator on a constant negates it whatever the operator
    (``+5`` reads as -5); a name reads as its text; a call without keywords and a subscript
    read as their source. Arithmetic is evaluated like Python would, on literals only.
    """
    if isinstance(node, ast.Constant):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.operand, ast.Constant):
            raise ValueError(f"unsupported argument syntax {ast.unparse(node)!r}")
        constant: Any = node.operand.value
        return -constant
    if isinstance(node, ast.List):
        return [_value(item) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_value(item) for item in node.elts)
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise ValueError("unsupported argument syntax: ** in a dict")
        return {
            _value(cast("ast.expr", key)): _value(val)
            for key, val in zip(node.keys, node.values, strict=True)
        }
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _call(node) if node.keywords else ast.unparse(node)
    if isinstance(node, ast.BinOp):
        return _arithmetic(node)
    if isinstance(node, ast.Subscript):
        return ast.unparse(node.value) + "[" + ast.unparse(node.slice) + "]"
    raise ValueError(f"unsupported argument syntax {ast.unparse(node)!r}")


_OPERATORS: dict[type[ast.AST], Callable[..., Any]] = {
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}
_OPERATORS.update((op, function) for op, function in BINARY_OPERATORS.items())
_MAX_SIZE = 100_000
"""Bits of an integer or items of a sequence that arithmetic may produce (BFCL has no bound)."""


def _arithmetic(node: ast.expr) -> Any:
    """A literal expression evaluated as Python would (BFCL ``eval``s it); names do not resolve."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = [_arithmetic(item) for item in node.elts]
        kind = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
        return kind(items)
    if isinstance(node, ast.Dict) and all(key is not None for key in node.keys):
        return {
            _arithmetic(cast("ast.expr", key)): _arithmetic(value)
            for key, value in zip(node.keys, node.values, strict=True)
        }
    if isinstance(node, ast.UnaryOp):
        return _OPERATORS[type(node.op)](_arithmetic(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _arithmetic(node.left), _arithmetic(node.right)
        _bounded(node.op, left, right)
        return _OPERATORS[type(node.op)](left, right)
    raise ValueError(f"unsupported argument syntax {ast.unparse(node)!r}")


def _bounded(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse arithmetic whose result would be huge (BFCL would compute it or hang)."""
    size = 0
    if isinstance(op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
        size = right * abs(left).bit_length() if abs(left) > 1 else 0
    elif isinstance(op, ast.LShift) and isinstance(right, int):
        size = right
    elif isinstance(op, ast.Mult):
        for count, other in ((left, right), (right, left)):
            if isinstance(count, int) and isinstance(other, str | list | tuple | bytes):
                size = count * len(other)
    if size > _MAX_SIZE:
        raise ValueError("arithmetic result too large")


def first_acceptable(value: Any) -> Any:
    """An acceptable answer value made concrete: inside dicts, each key's first acceptable value."""
    if isinstance(value, dict):
        return {
            key: first_acceptable(options[0])
            for key, options in value.items()
            if isinstance(options, list) and options and options[0] != ""
        }
    if isinstance(value, list):
        return [first_acceptable(item) for item in value]
    return value


def oracle_calls(
    function_docs: list[dict[str, Any]], expected: list[dict[str, Any]]
) -> list[DecodedCall]:
    """The calls made of each parameter's first acceptable value (BFCL's reference answer).

    ``""`` means "omit": a parameter is left out when its first value is ``""`` or when it may be
    omitted and the function doc does not define it; a required parameter whose list starts
    with ``""`` takes its first real value.
    """
    docs = {doc.get("name"): doc.get("parameters", {}) for doc in function_docs}
    calls: list[DecodedCall] = []
    for entry in expected:
        for name, answers in entry.items():
            params = docs.get(name, {})
            required = set(params.get("required", []))
            defined = params.get("properties", {})
            arguments: dict[str, Any] = {}
            for param, options in answers.items():
                optional = "" in options
                if optional and param not in defined:
                    continue
                values = [v for v in options if v != ""] if param in required else options
                if values and values[0] != "":
                    arguments[param] = first_acceptable(values[0])
            calls.append({name: arguments})
    return calls


_MAPPING_ORDER = (ErrorType.INVALID_FORMAT, ErrorType.WRONG_ARGS, ErrorType.SEMANTIC_WRONG_ARGS)


def lightclaw_error(error_type: str, sub_types: list[str] | None = None) -> ErrorType:
    """The LightClaw error type of a BFCL error type (the mapping is explained in docs/bfcl.md).

    ``sub_types`` are the errors of the candidate calls of a failed parallel match; the most
    severe among candidates of the right function names the verdict, else ``wrong_tool``.
    ``...:unexpected_param:schema`` marks a parameter the function doc does not define.
    """
    if error_type.startswith("ast_decoder:"):
        return ErrorType.INVALID_FORMAT
    if error_type.startswith("type_error:") or error_type.endswith(
        ("missing_required", "unexpected_param:schema")
    ):
        return ErrorType.WRONG_ARGS
    if error_type.endswith("cannot_find_match"):
        found = {lightclaw_error(t) for t in sub_types or [] if not t.endswith("wrong_func_name")}
        return next((e for e in _MAPPING_ORDER if e in found), ErrorType.WRONG_TOOL)
    if error_type.endswith(("wrong_func_name", "wrong_count")) or error_type.startswith(
        "irrelevance_error"
    ):
        return ErrorType.WRONG_TOOL
    return ErrorType.SEMANTIC_WRONG_ARGS
