"""The chat templates train-check renders with, and the check that a template keeps the tool
calls, their arguments and the tools (by rendering with and without them).

Two templates: the tokenizer's own (SmolLM2-135M-Instruct's, read from its GGUF) and TRL's
tool-aware Qwen2.5 one. A template that raises on a row makes that file fail; one that renders but
drops the tool calls is unusable for files that hold tool calls, and the report names the
tool-aware template to train with instead.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lightclaw.export.tokenizer import TOOL_TEMPLATE_NAME, Messages, render, tool_template

OWN_TEMPLATE_NAME = "smollm2"


@dataclass(frozen=True)
class Template:
    """A named chat template; ``tool_aware`` says whether it is meant to render tools."""

    name: str
    source: str
    tool_aware: bool


def templates(tokenizer: Any) -> list[Template]:
    """The tokenizer's own template and TRL's tool-aware Qwen2.5 one (same ``<|im_start|>``
    tokens as SmolLM2's)."""
    return [
        Template(OWN_TEMPLATE_NAME, str(tokenizer.chat_template), tool_aware=False),
        Template(TOOL_TEMPLATE_NAME, tool_template(), tool_aware=True),
    ]


def _without_calls(messages: Messages) -> Messages:
    out = []
    for m in messages:
        if m.get("tool_calls"):
            m = {k: v for k, v in m.items() if k != "tool_calls"}
            m["content"] = m.get("content") or ""
        out.append(m)
    return out


def _without_arguments(messages: Messages) -> Messages:
    out = copy.deepcopy(messages)
    for m in out:
        for call in m.get("tool_calls") or ():
            call["function"]["arguments"] = {}
    return out


@dataclass(frozen=True)
class Losses:
    """What a template dropped from one conversation (by rendering with and without it)."""

    tool_calls: bool = False
    arguments: bool = False
    tools: bool = False


def losses(
    tokenizer: Any, template: Template, messages: Messages, tools: Sequence[dict[str, Any]]
) -> Losses:
    """A template loses a part when the text is identical with and without that part."""
    full = render(tokenizer, template.source, messages, tools)
    has_calls = any(m.get("tool_calls") for m in messages)
    has_args = any(
        c["function"].get("arguments") for m in messages for c in m.get("tool_calls") or ()
    )

    def same(other: Messages, other_tools: Sequence[dict[str, Any]] | None) -> bool:
        return render(tokenizer, template.source, other, other_tools) == full

    return Losses(
        tool_calls=has_calls and same(_without_calls(messages), tools),
        arguments=has_args and same(_without_arguments(messages), tools),
        tools=bool(tools) and same(messages, None),
    )
