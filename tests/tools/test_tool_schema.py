"""JSON schema generation from signatures and docstrings, and the stable schema hash."""

import enum
import hashlib
import subprocess
import sys
from typing import Annotated, Any, Literal, Optional

import pytest
from pydantic import BaseModel, Field

from lightclaw.schema import ToolSchema
from lightclaw.tools import Tool, ToolContext, schema_hash, tool


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Item(BaseModel):
    """One line of an order."""

    title: str
    qty: Annotated[int, Field(ge=1)]


def _walk_keys(value: Any, parent: str = "") -> list[tuple[str, str]]:
    """(parent key, key) pairs of every dict in ``value``."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, sub in value.items():
            found.append((parent, key))
            found.extend(_walk_keys(sub, key))
    elif isinstance(value, list):
        for sub in value:
            found.extend(_walk_keys(sub, parent))
    return found


def test_primitives_literal_required_and_docstring_descriptions() -> None:
    @tool
    def convert_units(
        value: float, from_unit: Literal["km", "mi"], to_unit: Literal["km", "mi"], exact: bool
    ) -> float:
        """Convert a distance between units.

        Args:
            value: The quantity to convert.
            from_unit: Unit of ``value``,
                as a short code.
            to_unit: Unit to convert to.
        """
        return value

    assert convert_units.name == "convert_units"
    assert convert_units.description == "Convert a distance between units."
    assert convert_units.parameters == {
        "type": "object",
        "properties": {
            "value": {"type": "number", "description": "The quantity to convert."},
            "from_unit": {
                "type": "string",
                "enum": ["km", "mi"],
                "description": "Unit of ``value``, as a short code.",
            },
            "to_unit": {
                "type": "string",
                "enum": ["km", "mi"],
                "description": "Unit to convert to.",
            },
            "exact": {"type": "boolean"},
        },
        "required": ["value", "from_unit", "to_unit", "exact"],
        "additionalProperties": False,
    }
    assert convert_units.schema == ToolSchema(
        name="convert_units",
        description="Convert a distance between units.",
        parameters=convert_units.parameters,
    )


def test_enum_ranges_optional_defaults_and_lists() -> None:
    @tool
    def search(
        query: Annotated[str, Field(min_length=1, max_length=50)],
        color: Color = Color.RED,
        limit: Annotated[int, Field(ge=1, le=10)] = 5,
        ratio: Annotated[float, Field(gt=0, lt=1)] = 0.5,
        cursor: Optional[str] = None,  # noqa: UP045 - the typing.Optional spelling on purpose
        ids: list[int] | None = None,
    ) -> list[str]:
        return []

    props = search.parameters["properties"]
    assert search.parameters["required"] == ["query"]
    assert props["query"] == {"type": "string", "minLength": 1, "maxLength": 50}
    assert props["color"]["default"] == "red"
    assert search.parameters["$defs"]["Color"] == {"type": "string", "enum": ["red", "green"]}
    assert props["limit"] == {"type": "integer", "minimum": 1, "maximum": 10, "default": 5}
    assert props["ratio"] == {
        "type": "number",
        "exclusiveMinimum": 0,
        "exclusiveMaximum": 1,
        "default": 0.5,
    }
    assert props["cursor"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert props["ids"]["anyOf"][0] == {"type": "array", "items": {"type": "integer"}}


def test_nested_model_schema_has_no_titles_but_keeps_title_fields_and_defaults() -> None:
    @tool
    def order(items: list[Item], title: str, first: Item = Item(title="pen", qty=1)) -> str:  # noqa: B008
        """Place an order.

        Args:
            items: What to order.
            title: Name of the order.
        """
        return title

    params = order.parameters
    item_def = params["$defs"]["Item"]
    assert item_def["properties"]["title"] == {"type": "string"}
    assert item_def["properties"]["qty"] == {"type": "integer", "minimum": 1}
    assert item_def["required"] == ["title", "qty"]
    assert params["properties"]["items"]["items"] == {"$ref": "#/$defs/Item"}
    assert params["properties"]["title"] == {"type": "string", "description": "Name of the order."}
    assert params["properties"]["first"]["default"] == {"title": "pen", "qty": 1}
    # The only "title" keys left are the property named title (not Pydantic's title keyword).
    titles = [parent for parent, key in _walk_keys(params) if key == "title"]
    assert titles and all(parent in ("properties", "default") for parent in titles)


def test_context_param_is_excluded_wherever_it_is() -> None:
    @tool
    def note(text: str, context: ToolContext, urgent: bool = False) -> None:
        context.state.setdefault("notes", []).append(text)

    assert note.context_param == "context"
    assert list(note.parameters["properties"]) == ["text", "urgent"]
    assert note.argument_names == ["text", "urgent"]


def test_annotated_description_kept_and_docstring_wins_when_both() -> None:
    @tool
    def f(
        a: Annotated[int, Field(description="from Field")],
        b: Annotated[int, Field(description="from Field")],
    ) -> int:
        """Add.

        Args:
            b: from docstring
        """
        return a + b

    assert f.parameters["properties"]["a"]["description"] == "from Field"
    assert f.parameters["properties"]["b"]["description"] == "from docstring"


def test_no_docstring_and_no_parameters() -> None:
    @tool
    def ping() -> str:
        return "pong"

    assert ping.description == ""
    assert ping.parameters == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


def test_options_override_name_description_and_set_timeout() -> None:
    @tool(name="slow_lookup", description="Look up slowly.", timeout=0.5)
    async def lookup(key: str) -> str:
        """Ignored docstring."""
        return key

    assert (lookup.name, lookup.description) == ("slow_lookup", "Look up slowly.")
    assert lookup.timeout == 0.5
    assert lookup.schema.openai()["function"]["name"] == "slow_lookup"
    assert tool(lambda: 1, name="anon").timeout is None


def test_string_annotations_are_resolved() -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import Literal\n"
        "def pick(choice: Literal['a', 'b'], n: int = 1) -> str:\n"
        "    return choice\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    picked = tool(namespace["pick"])
    assert picked.parameters["properties"]["choice"] == {"type": "string", "enum": ["a", "b"]}


class Opaque:
    pass


def _no_hint(x) -> None:  # type: ignore[no-untyped-def]
    pass


def _star_args(*values: int) -> None:
    pass


def _star_kwargs(**options: int) -> None:
    pass


def _positional_only(x: int, /) -> None:
    pass


def _opaque(thing: Opaque) -> None:
    pass


def _field_default(x: int = Field(3)) -> None:
    pass


def _two_contexts(a: ToolContext, b: ToolContext) -> None:
    pass


def _ping() -> str:
    return "pong"


def _bad_default(x: object = Opaque()) -> None:
    pass


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (_no_hint, ["_no_hint", "'x'", "no type hint"]),
        (_star_args, ["_star_args", "*values"]),
        (_star_kwargs, ["_star_kwargs", "**options"]),
        (_positional_only, ["'x'", "positional-only"]),
        (_opaque, ["'thing'", "JSON schema"]),
        (_field_default, ["'x'", "Annotated"]),
        (_two_contexts, ["'b'", "second ToolContext"]),
        (_bad_default, ["_bad_default", "'x'", "not JSON serializable"]),
    ],
)
def test_bad_definitions_fail_at_decoration_naming_the_problem(fn: Any, words: list[str]) -> None:
    with pytest.raises(TypeError) as info:
        tool(fn)
    for word in words:
        assert word in str(info.value)


def test_invalid_name_and_timeout() -> None:
    with pytest.raises(ValueError, match="invalid tool name"):
        tool(lambda: 1)
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="timeout"):
            tool(timeout=bad)(_ping)


# --- schema hash --------------------------------------------------------------------------

_SOURCE = '''
from typing import Literal
from lightclaw.tools import tool

@tool
def convert_units(value: float, unit: Literal["km", "mi"] = "km") -> float:
    """Convert a distance.

    Args:
        value: The quantity to convert.
        unit: Unit of the value.
    """
    return value
'''


def _from_source(source: str) -> Tool:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    found = namespace["convert_units"]
    assert isinstance(found, Tool)
    return found


def test_hash_is_sha256_of_canonical_json() -> None:
    schema = ToolSchema(name="t", description="d", parameters={"type": "object", "b": 1, "a": [1]})
    canonical = '{"description":"d","name":"t","parameters":{"a":[1],"b":1,"type":"object"}}'
    assert schema_hash(schema) == hashlib.sha256(canonical.encode()).hexdigest()


def test_hash_is_stable_across_processes() -> None:
    here = _from_source(_SOURCE)
    hashes = set()
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", _SOURCE + "\nprint(convert_units.schema_hash)"],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        hashes.add(done.stdout.strip())
    assert hashes == {here.schema_hash}
    assert len(here.schema_hash) == 64


def test_hash_changes_when_a_description_or_type_changes() -> None:
    base = _from_source(_SOURCE).schema_hash
    assert _from_source(_SOURCE.replace("Unit of the value.", "The unit.")).schema_hash != base
    assert _from_source(_SOURCE.replace("value: float", "value: int")).schema_hash != base
    assert _from_source(_SOURCE).schema_hash == base


def test_record_carries_hash_and_dumped_schema() -> None:
    converted = _from_source(_SOURCE)
    record = converted.record()
    assert record.name == "convert_units"
    assert record.hash == converted.schema_hash
    assert schema_hash(ToolSchema.model_validate(record.json_schema)) == record.hash


def test_parameter_names_that_clash_with_pydantic_attributes() -> None:
    @tool
    def odd(json: str, schema: int, model_config: bool = False, copy: str = "x") -> str:
        return f"{json}{schema}{model_config}{copy}"

    assert list(odd.parameters["properties"]) == ["json", "schema", "model_config", "copy"]
    kwargs = odd.validate({"json": "j", "schema": 1, "model_config": True})
    assert odd(**kwargs) == "j1Truex"
