from __future__ import annotations

import asyncio
import time
from typing import Any

from lightclaw.schema import Task
from lightclaw.tools import ToolContext, ToolRegistry, tool


@tool
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: First addend.
        b: Second addend.
    """
    return a + b


@tool
def put(ctx: ToolContext, key: str, value: str) -> str:
    """Store a value.

    Args:
        key: Key.
        value: Value.
    """
    ctx.state.setdefault("kv", {})[key] = value
    return "ok"


@tool
def get(ctx: ToolContext, key: str) -> str:
    """Read a value.

    Args:
        key: Key.
    """
    kv: dict[str, Any] = ctx.state.get("kv", {})
    if key not in kv:
        raise KeyError(f"no value stored under {key!r}")
    return str(kv[key])


@tool(timeout=0.2)
def hang(seconds: float = 3.0) -> str:
    """Sleep in a worker thread (a hanging sync tool)."""
    time.sleep(seconds)
    return "woke"


@tool(timeout=0.2)
async def ahang() -> str:
    """Sleep asynchronously forever (a hanging async tool)."""
    await asyncio.sleep(30)
    return "woke"


@tool
def unserialisable() -> object:
    """Return something JSON cannot hold."""
    return object()


@tool
async def aecho(text: str) -> str:
    """Echo asynchronously.

    Args:
        text: Text.
    """
    await asyncio.sleep(0)
    return text


ALL = [add, put, get, hang, ahang, unserialisable, aecho]


def make_registry() -> ToolRegistry:
    reg = ToolRegistry()
    for t in ALL:
        reg.register(t)
    return reg


def make_task(**kw: Any) -> Task:
    base: dict[str, Any] = {
        "id": "t1",
        "prompt": "do it",
        "tools": [t.name for t in ALL],
        "oracle": [[{"kind": "final_answer", "content": "x"}]],
        "max_steps": 6,
    }
    base.update(kw)
    return Task.model_validate(base)


def call(tool_name: str, **arguments: Any) -> dict[str, Any]:
    return {"kind": "tool_call", "tool": tool_name, "arguments": arguments}


def final(content: Any = "done") -> dict[str, Any]:
    return {"kind": "final_answer", "content": content}
