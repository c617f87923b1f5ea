"""Calling tools: sync and async, context injection, and the kwargs the executor passes."""

import asyncio
import inspect
from typing import Annotated

from pydantic import Field

from lightclaw.tools import Tool, ToolContext, tool


@tool
def add_item(ctx: ToolContext, name: str, qty: int = 1) -> dict[str, int]:
    """Add an item to the cart.

    Args:
        name: Item name.
        qty: How many.
    """
    cart = ctx.state.setdefault("cart", {})
    cart[name] = cart.get(name, 0) + qty
    return dict(cart)


@tool(name="slow_lookup", timeout=0.5)
async def lookup(
    key: Annotated[str, Field(min_length=1)], context: ToolContext, limit: int = 5
) -> list[str]:
    """Look up keys in the episode's index."""
    await asyncio.sleep(0)
    return [k for k in context.state.get("index", []) if k.startswith(key)][:limit]


@tool
def double(x: int) -> int:
    return 2 * x


def test_tool_stays_callable_like_the_function() -> None:
    assert double(4) == 8
    assert isinstance(double, Tool)
    assert double.fn(5) == 10
    assert double.__name__ == "double"
    assert inspect.unwrap(double) is double.fn
    assert not double.is_async
    assert double.context_param is None


def test_sync_tool_with_context_mutates_state_in_place() -> None:
    ctx = ToolContext(state={"cart": {"pen": 1}}, episode_id="ep1", step=3)
    kwargs = add_item.call_kwargs(add_item.validate({"name": "pen", "qty": 2}), ctx)
    assert kwargs == {"name": "pen", "qty": 2, "ctx": ctx}
    assert add_item.fn(**kwargs) == {"pen": 3}
    assert ctx.state == {"cart": {"pen": 3}}
    # defaults are filled in by validation
    add_item.fn(**add_item.call_kwargs(add_item.validate({"name": "cup"}), ctx))
    assert ctx.state["cart"] == {"pen": 3, "cup": 1}


def test_async_tool_returns_a_coroutine_when_called() -> None:
    assert lookup.is_async
    assert lookup.timeout == 0.5
    ctx = ToolContext(state={"index": ["apple", "apricot", "banana"]})
    kwargs = lookup.call_kwargs(lookup.validate({"key": "ap"}), ctx)
    assert kwargs == {"key": "ap", "limit": 5, "context": ctx}
    pending = lookup(**kwargs)
    assert inspect.iscoroutine(pending)
    assert asyncio.run(pending) == ["apple", "apricot"]


def test_call_kwargs_without_context_param_copies() -> None:
    validated = double.validate({"x": 3})
    kwargs = double.call_kwargs(validated, ToolContext())
    assert kwargs == {"x": 3}
    kwargs["x"] = 9
    assert validated == {"x": 3}


def test_context_defaults() -> None:
    ctx = ToolContext()
    assert (ctx.state, ctx.deps, ctx.episode_id, ctx.step) == ({}, None, "", 0)
    assert ToolContext().state is not ctx.state


def test_repr_names_the_tool() -> None:
    assert repr(lookup).startswith("<async Tool slow_lookup ")
