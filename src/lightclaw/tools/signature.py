"""From a typed Python signature to a Pydantic arguments model and a clean JSON schema."""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PydanticUserError, TypeAdapter, create_model
from pydantic.fields import FieldInfo
from pydantic.json_schema import PydanticJsonSchemaWarning
from pydantic_core import PydanticSerializationError

from lightclaw.tools.context import ToolContext

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_CONFIG = ConfigDict(extra="forbid", protected_namespaces=())
# Keys whose values are sub-schemas, lists of sub-schemas, or name -> sub-schema maps.
_SUBSCHEMA = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")


@dataclass(frozen=True)
class ArgsSpec:
    """A tool's arguments: the validating model, its JSON schema and the context parameter."""

    model: type[BaseModel]
    names: dict[str, str]  # model field name -> parameter name (= JSON key)
    context_param: str | None
    parameters: dict[str, Any]


def strip_titles(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a JSON schema without Pydantic's ``title`` keywords.

    Only keyword positions are touched: a property *named* ``title`` and ``default``/``enum``
    values are kept as they are.
    """
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _SUBSCHEMA and isinstance(value, dict):
            out[key] = strip_titles(value)
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [strip_titles(v) if isinstance(v, dict) else v for v in value]
        elif key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {
                name: strip_titles(sub) if isinstance(sub, dict) else sub
                for name, sub in value.items()
            }
        else:
            out[key] = value
    return out


def _bad(label: str, param: str, problem: str) -> TypeError:
    return TypeError(f"tool {label}: parameter {param!r} {problem}")


def _type_error(label: str, annotations: Mapping[str, Any], exc: Exception) -> TypeError:
    """A TypeError naming the first parameter whose type Pydantic cannot validate or describe."""
    for param, annotation in annotations.items():
        try:
            TypeAdapter(annotation).json_schema()
        except (PydanticUserError, TypeError, ValueError) as culprit:
            first = str(culprit).splitlines()[0] if str(culprit) else type(culprit).__name__
            return _bad(label, param, f"has a type with no JSON schema ({annotation!r}): {first}")
    return TypeError(f"tool {label}: cannot build an argument schema: {exc}")


def _default_error(
    label: str, fields: Mapping[str, Any], names: Mapping[str, str], exc: Warning
) -> TypeError:
    """A TypeError naming the first parameter whose default has no JSON form."""
    for key, (annotation, info) in fields.items():
        if info.is_required():
            continue
        try:
            TypeAdapter(annotation).dump_json(info.default)
        except (PydanticSerializationError, TypeError, ValueError):
            return _bad(label, names[key], f"has a default that is not JSON serializable: {exc}")
    return TypeError(f"tool {label}: {exc}")


def build_args(fn: Callable[..., Any], label: str, descriptions: Mapping[str, str]) -> ArgsSpec:
    """Build the arguments model of ``fn``; ``descriptions`` come from its docstring.

    Raises TypeError for definitions a tool cannot have (missing hints, ``*args``, ...).
    """
    try:
        signature = inspect.signature(fn, eval_str=True)
    except (NameError, SyntaxError) as exc:
        raise TypeError(f"tool {label}: cannot resolve type hints: {exc}") from exc
    fields: dict[str, Any] = {}
    names: dict[str, str] = {}
    context_param: str | None = None
    for index, (name, param) in enumerate(signature.parameters.items()):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            star = "*" if param.kind is param.VAR_POSITIONAL else "**"
            raise _bad(label, star + name, "is not allowed: tools take named JSON arguments")
        if param.kind is param.POSITIONAL_ONLY:
            raise _bad(label, name, "is positional-only; tools are called with keyword arguments")
        if param.annotation is param.empty:
            raise _bad(label, name, "has no type hint; annotate it (e.g. `x: int`)")
        if param.annotation is ToolContext:
            if context_param is not None:
                raise _bad(label, name, f"is a second ToolContext (first: {context_param!r})")
            context_param = name
            continue
        if isinstance(param.default, FieldInfo):
            raise _bad(
                label, name, "uses Field(...) as its default; use `x: Annotated[T, Field(...)] = d`"
            )
        options: dict[str, Any] = {"alias": name}
        if name in descriptions:
            options["description"] = descriptions[name]
        if param.default is not param.empty:
            options["default"] = param.default
        field_name = f"arg{index}"
        fields[field_name] = (param.annotation, Field(**options))
        names[field_name] = name
    model_name = "".join(part.capitalize() for part in label.split("_")) + "Arguments"
    with warnings.catch_warnings():
        warnings.simplefilter("error", PydanticJsonSchemaWarning)
        try:
            model: type[BaseModel] = create_model(model_name, __config__=_CONFIG, **fields)
            raw = model.model_json_schema()
        except PydanticJsonSchemaWarning as exc:
            raise _default_error(label, fields, names, exc) from exc
        except (PydanticUserError, TypeError, ValueError) as exc:
            annotations = {names[key]: value[0] for key, value in fields.items()}
            raise _type_error(label, annotations, exc) from exc
    parameters = strip_titles(raw)
    parameters["required"] = list(raw.get("required", []))
    parameters["additionalProperties"] = False
    return ArgsSpec(model, names, context_param, parameters)
