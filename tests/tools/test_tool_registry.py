"""The tool registry: lookup, order, subsets and per-run schema records."""

import pytest

from lightclaw.errors import UnknownChoiceError, UserError
from lightclaw.tools import ToolRegistry, tool


@tool
def alpha(x: int) -> int:
    """First tool."""
    return x


@tool
def beta(y: str) -> str:
    """Second tool."""
    return y


@tool(name="gamma")
def third(z: bool) -> bool:
    return z


def test_register_get_contains_len_iter() -> None:
    registry = ToolRegistry()
    assert registry.register(beta) is beta
    registry.register(alpha)
    assert len(registry) == 2
    assert "alpha" in registry and "gamma" not in registry
    assert registry.get("beta") is beta
    assert registry.get("nope") is None
    assert [t.name for t in registry] == ["beta", "alpha"]  # registration order
    assert registry.names() == ["alpha", "beta"]  # sorted


def test_duplicate_name_is_rejected() -> None:
    registry = ToolRegistry([alpha])

    @tool(name="alpha")
    def other(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="'alpha' is already registered"):
        registry.register(other)
    assert registry.get("alpha") is alpha


def test_subset_keeps_requested_order_and_rejects_unknown_names() -> None:
    registry = ToolRegistry([alpha, beta, third])
    picked = registry.subset(["gamma", "alpha", "gamma"])
    assert [t.name for t in picked] == ["gamma", "alpha"]
    assert len(registry) == 3
    with pytest.raises(UnknownChoiceError) as info:
        registry.subset(["alpha", "delta"])
    assert isinstance(info.value, UserError)
    assert str(info.value) == "unknown tool 'delta'; valid choices: alpha, beta, gamma"


def test_schemas_hashes_and_records() -> None:
    registry = ToolRegistry([alpha, third])
    assert registry.schemas() == [alpha.schema, third.schema]
    assert [s.openai()["function"]["name"] for s in registry.schemas()] == ["alpha", "gamma"]
    assert registry.hashes() == {"alpha": alpha.schema_hash, "gamma": third.schema_hash}
    assert alpha.schema_hash != third.schema_hash
    records = registry.records()
    assert [(r.name, r.hash) for r in records] == [
        ("alpha", alpha.schema_hash),
        ("gamma", third.schema_hash),
    ]
    assert records[0].json_schema["description"] == "First tool."
