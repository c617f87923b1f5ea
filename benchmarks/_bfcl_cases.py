"""Cases for benchmarks/bfcl_agreement.py: BFCL outputs built from tests/data/bfcl.

Each answered entry gives its first-acceptable-value answer and perturbations of it; each
irrelevance question gives a few outputs with and without calls. :func:`render` writes a case
as the ``result`` of a BFCL result line, the way each kind of model (:data:`MODES`) writes it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from lightclaw.suites.bfcl_types import bfcl_type, first_acceptable, oracle_calls

MODES = {
    "fc": "gpt-4o-2024-11-20-FC",
    "fc_dots": "qwen3-235b-a22b-instruct-2507-FC",
    "prompt": "gpt-4o-2024-11-20",
}
"""Model mode -> a BFCL model of that kind: FC with underscore_to_dot, FC without, prompting."""
TEXT = "I am sorry, none of the functions I have can answer that."

Calls = list[dict[str, dict[str, Any]]]


class OtherStyle(str):
    """A function name to write in the spelling the model was not shown (see :func:`spell`)."""

    __slots__ = ()


class Raw:
    """An output that is not a list of calls, written in each mode's own way (see render)."""

    def __init__(
        self,
        kind: str,
        name: str,
        arguments: dict[str, Any],
        source: tuple[str, str] | None = None,
    ) -> None:
        self.kind, self.name, self.arguments = kind, name, arguments
        self.source = source
        """``(parameter, Python source)`` written for that argument (prompting models only)."""


SKIP = object()
"""What :func:`render` returns for a case a kind of model cannot produce."""


# --- cases ------------------------------------------------------------------------------------


def _sample_value(details: dict[str, Any]) -> Any:
    kind = bfcl_type(str(details.get("type", "string")))
    if kind in ("array", "tuple"):
        items = details.get("items")
        return [_sample_value(items if isinstance(items, dict) else {"type": "string"})]
    simple = {"integer": 3, "float": 2.5, "boolean": True, "dict": {"key": "example"}}
    return simple.get(kind, "example")


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return 42
    if isinstance(value, list):
        return "example"
    if isinstance(value, dict):
        return ["example"]
    return 0


def _wrong_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1000
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return value + " zz"
    if isinstance(value, list):
        return [*value, value[0]] if value else ["zz"]
    if isinstance(value, dict):
        return {**value, **{k: _wrong_value(v) for k, v in list(value.items())[:1]}}
    return "zz"


def _variant(text: str) -> str:
    """The same string after BFCL's standardisation: case, spaces and ``,./-_*^`` changed."""
    return text.upper().replace(" ", " _").replace(",", ", ") + "."


def _find(calls: Calls, test: Any) -> tuple[int, str] | None:
    for index, call in enumerate(calls):
        for param, value in next(iter(call.values())).items():
            if test(value):
                return index, param
    return None


def _with(calls: Calls, spot: tuple[int, str] | None, value: Any) -> Calls | None:
    if spot is None:
        return None
    out = copy.deepcopy(calls)
    arguments = next(iter(out[spot[0]].values()))
    if value is _DROP:
        del arguments[spot[1]]
    else:
        arguments[spot[1]] = value
    return out


_DROP = object()


def _renamed(calls: Calls, name: str) -> Calls:
    out = copy.deepcopy(calls)
    out[0] = {name: next(iter(out[0].values()))}
    return out


def _choices(expected: list[dict[str, Any]], pick: int) -> Calls:
    """Each parameter's acceptable value number ``pick`` (-1: the last), "" meaning omitted."""
    calls: Calls = []
    for call in expected:
        for name, answers in call.items():
            arguments = {}
            for param, options in answers.items():
                real = [v for v in options if v != ""]
                if real:
                    arguments[param] = first_acceptable(real[pick])
            calls.append({name: arguments})
    return calls


def entry_cases(question: dict[str, Any], expected: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The perturbed outputs of one answered entry: ``(kind, calls or Raw)``."""
    docs = {doc["name"]: doc for doc in question["function"]}
    oracle = oracle_calls(question["function"], expected)
    name, arguments = next(iter(oracle[0].items()))
    doc = docs[name]
    required = doc["parameters"].get("required", [])
    answers = next(iter(expected[0].values()))
    optional = [p for p in answers if "" not in answers[p] and p not in required]
    unanswered = [p for p in doc["parameters"]["properties"] if p not in answers]
    others = [n for n in docs if n not in {next(iter(c)) for c in expected}]
    cases: list[tuple[str, Any]] = [
        ("oracle", oracle),
        ("last_acceptable", _choices(expected, -1)),
        ("every_optional", _choices(expected, 0)),
        ("wrong_name", _renamed(oracle, name + "_v2")),
        ("other_name_style", _respelt(oracle)),
        ("other_function", _renamed(oracle, others[0]) if others else None),
        ("missing_required", _with(oracle, _find(oracle[:1], lambda v: True), _DROP)),
        ("missing_unmarked", _with(oracle, (0, optional[0]), _DROP) if optional else None),
        ("extra_unknown", _with(oracle, (0, "unknown_param_xyz"), 1)),
    ]
    if unanswered:
        details = doc["parameters"]["properties"][unanswered[0]]
        cases.append(
            ("extra_documented", _with(oracle, (0, unanswered[0]), _sample_value(details)))
        )
    spot = _find(oracle, lambda v: True)
    first = None if spot is None else next(iter(oracle[spot[0]].values()))[spot[1]]
    cases += [
        ("wrong_type", _with(oracle, spot, _wrong_type(first))),
        ("wrong_value", _with(oracle, spot, _wrong_value(first))),
        ("none_value", _with(oracle, spot, None)),
        ("bool_for_int", _with(oracle, _find(oracle, lambda v: type(v) is int), True)),
        ("float_for_int", _with(oracle, *_float_for_int(oracle))),
        ("int_for_float", _with(oracle, *_int_for_float(oracle))),
    ]
    text = _find(oracle, lambda v: isinstance(v, str) and v.strip())
    if text is not None:
        value = next(iter(oracle[text[0]].values()))[text[1]]
        cases.append(("string_variant", _with(oracle, text, _variant(value))))
    many = _find(oracle, lambda v: isinstance(v, list) and len(v) >= 2)
    if many is not None:
        items = next(iter(oracle[many[0]].values()))[many[1]]
        cases.append(("list_reversed", _with(oracle, many, items[::-1])))
        retyped = [_wrong_type(items[0]), *items[1:]]
        cases.append(("list_item_type", _with(oracle, many, retyped)))
    mapping = _find(oracle, lambda v: isinstance(v, dict) and v)
    if mapping is not None:
        value = next(iter(oracle[mapping[0]].values()))[mapping[1]]
        cases.append(("dict_missing_key", _with(oracle, mapping, dict(list(value.items())[1:]))))
        cases.append(("dict_extra_key", _with(oracle, mapping, {**value, "zz_key": "zz"})))
    cases += [
        ("drop_call", oracle[:-1]),
        ("duplicate_call", [*oracle, oracle[0]]),
        ("reversed_calls", oracle[::-1] if len(oracle) > 1 else None),
        ("swapped_values", _swapped(oracle)),
        ("empty", []),
        ("text", Raw("text", name, arguments)),
        ("undecodable", Raw("undecodable", name, arguments)),
        ("not_calls", Raw("not_calls", name, arguments)),
        ("odd_wrapping", Raw("odd_wrapping", name, arguments)),
        ("sloppy", Raw("sloppy", name, arguments)),
        ("call_as_text", Raw("call_as_text", name, arguments)),
    ]
    cases += [(kind, Raw(kind, name, arguments, source)) for kind, source in _sources(arguments)]
    return [(kind, output) for kind, output in cases if output is not None]


def _sources(arguments: dict[str, Any]) -> list[tuple[str, tuple[str, str]]]:
    """Argument values written as Python expressions a prompting model might use."""
    out = []
    for param, value in arguments.items():
        if type(value) in (int, float):
            out += [
                ("unary_plus", (param, f"+{value!r}")),
                ("double_negation", (param, f"- -{value!r}")),
                ("arithmetic", (param, f"({value!r} - 1) * 2 / 2 + 1")),
                ("power", (param, f"{value!r} + 0 * 2 ** 3")),
            ]
            break
    for param, value in arguments.items():
        if isinstance(value, str) and len(value) > 1:
            half = len(value) // 2
            out += [
                ("concatenation", (param, f"{value[:half]!r} + {value[half:]!r}")),
                ("variable", (param, "user_input")),
                ("negated_variable", (param, "-user_input")),
                ("subscript", (param, "inputs[0, 1]")),
                ("call_value", (param, f"str({value!r})")),
            ]
            break
    for param, value in arguments.items():
        if isinstance(value, list | dict):
            out += [
                ("unpacking", (param, "{**defaults}" if isinstance(value, dict) else "[*items]"))
            ]
            break
    return out


def _respelt(oracle: Calls) -> Calls | None:
    """The first call with a dotted name, spelt the way the model was not shown."""
    for index, call in enumerate(oracle):
        name, arguments = next(iter(call.items()))
        if "." in name:
            out = copy.deepcopy(oracle)
            out[index] = {OtherStyle(name): copy.deepcopy(arguments)}
            return out
    return None


def _float_for_int(oracle: Calls) -> tuple[tuple[int, str] | None, Any]:
    spot = _find(oracle, lambda v: type(v) is int)
    return spot, None if spot is None else float(next(iter(oracle[spot[0]].values()))[spot[1]])


def _int_for_float(oracle: Calls) -> tuple[tuple[int, str] | None, Any]:
    spot = _find(oracle, lambda v: type(v) is float)
    return spot, None if spot is None else int(next(iter(oracle[spot[0]].values()))[spot[1]])


def _swapped(oracle: Calls) -> Calls | None:
    """Two calls of one function with their first differing argument swapped."""
    for i in range(len(oracle) - 1):
        (a, x), (b, y) = next(iter(oracle[i].items())), next(iter(oracle[i + 1].items()))
        for param in x:
            if a == b and param in y and x[param] != y[param]:
                out = copy.deepcopy(oracle)
                out[i][a][param], out[i + 1][b][param] = y[param], x[param]
                return out
    return None


def irrelevance_cases(question: dict[str, Any]) -> list[tuple[str, Any]]:
    doc = question["function"][0]
    name = doc["name"]
    properties = doc["parameters"].get("properties", {})
    some = {p: _sample_value(d) for p, d in list(properties.items())[:2]}
    cases: list[tuple[str, Any]] = [
        ("text", Raw("text", name, some)),
        ("empty", []),
        ("call_no_arguments", [{name: {}}]),
        ("call_with_arguments", [{name: some}]),
        ("undecodable", Raw("undecodable", name, some)),
        ("call_as_text", Raw("call_as_text", name, some)),
    ]
    if "." in name:
        cases.append(("other_name_style", [{OtherStyle(name): some}]))
    return cases


# --- result lines, as each kind of model writes them --------------------------------------------


def spell(mode: str, name: str) -> str:
    """``name`` as the model writes it: with ``_`` for ``.`` where it was shown so (``fc``).

    A :class:`OtherStyle` name is written the other way: as documented in the ``fc`` mode,
    with ``_`` for ``.`` in the others.
    """
    renamed = mode == "fc"
    if isinstance(name, OtherStyle):
        renamed = not renamed
    return str.replace(name, ".", "_") if renamed else str(name)


def _python_call(
    mode: str, name: str, arguments: dict[str, Any], source: tuple[str, str] | None = None
) -> str:
    written = {k: repr(v) for k, v in arguments.items()}
    if source is not None:
        written[source[0]] = source[1]
    return f"{spell(mode, name)}({', '.join(f'{k}={v}' for k, v in written.items())})"


def render(mode: str, output: Any) -> Any:
    """The ``result`` of a BFCL result line for ``output`` in ``mode``.

    A function-calling model's result is ``[{name: "<JSON arguments>"}]`` (names renamed in
    the ``fc`` mode, except where a case is about the other spelling); a prompting model's is
    the Python-syntax string it wrote.
    """
    if isinstance(output, Raw):
        return _render_raw(mode, output)
    calls: Calls = output
    if mode == "prompt":
        return "[" + ", ".join(_python_call(mode, *next(iter(c.items()))) for c in calls) + "]"
    return [{spell(mode, n): json.dumps(a)} for c in calls for n, a in c.items()]


def _render_raw(mode: str, raw: Raw) -> Any:
    if raw.kind == "text":
        return TEXT
    if raw.source is not None:
        if mode != "prompt":
            return SKIP
        return "[" + _python_call(mode, raw.name, raw.arguments, raw.source) + "]"
    call = _python_call(mode, raw.name, raw.arguments)
    name = spell(mode, raw.name)
    arguments = json.dumps(raw.arguments)
    if mode == "prompt":
        values = ", ".join(repr(v) for v in raw.arguments.values())
        return {
            "undecodable": f"[{call[:-1]}",
            "not_calls": f"[{name}, {call}]",
            "odd_wrapping": f"```\n{call}\n```",
            "sloppy": f"[{name}({values})]",
            "call_as_text": call,
        }[raw.kind]
    return {
        "undecodable": [{name: arguments[:-1]}],
        "not_calls": [{name: json.dumps(list(raw.arguments.values()))}],
        "odd_wrapping": [{name: arguments, "id": "call_0"}],
        "sloppy": [{name: arguments}, {}],
        "call_as_text": f"[{call}]",
    }[raw.kind]
