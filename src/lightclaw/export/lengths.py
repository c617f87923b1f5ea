"""Token lengths of exported rows as trainers tokenize them, and what default configs cut.

Each row is rendered the way its trainer renders it — with TRL's tool-aware Qwen2.5 template
(:mod:`lightclaw.export.tokenizer`; SmolLM2's own template drops tool calls) — and counted with
SmolLM2-135M-Instruct's tokenizer. :data:`LIMITS` are the defaults of the consumers' own configs
(looked up in their source; docs/exports.md cites each):

* TRL 1.16 ``SFTConfig.max_length`` = 1024, ``truncation_mode="keep_start"``: a longer
  conversation is cut at its end (``trl/trainer/sft_config.py``).
* TRL 1.16 ``DPOConfig.max_length`` = 1024, ``keep_start``: prompt + completion is cut at the
  end, and a row whose prompt alone reaches ``max_length`` is dropped (``trl/trainer/
  dpo_trainer.py``, "Drop examples whose prompt alone fills `max_length`").
* TRL 1.16 ``GRPOConfig`` has no prompt limit (``max_completion_length`` = 512 caps generation):
  GRPO and verl prompt lengths are reported without a cut.
* LLaMA-Factory ``DataArguments.cutoff_len`` = 2048 (``src/llamafactory/hparams/data_args.py``):
  longer sharegpt rows are truncated turn by turn (``data/processor/supervised.py``); ranking rows
  cut prompt and responses (``data/processor/pairwise.py``). LLaMA-Factory renders with the
  model's own template: the counts here are measured with the Qwen2.5 one.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from lightclaw.export.tokenizer import (
    TOKENIZER_NAME,
    TOOL_TEMPLATE_NAME,
    Messages,
    render,
)

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Limit:
    """A length limit of a consumer's default config."""

    trainer: str
    setting: str
    value: int
    source: str
    drops_long_prompts: bool = False
    """Rows whose prompt alone reaches the limit are dropped (TRL DPO with keep_start)."""


TRL_SFT = Limit(
    "TRL SFTTrainer", "SFTConfig.max_length", 1024, "trl 1.16 trl/trainer/sft_config.py"
)
TRL_DPO = Limit(
    "TRL DPOTrainer",
    "DPOConfig.max_length",
    1024,
    "trl 1.16 trl/trainer/dpo_config.py, dpo_trainer.py",
    drops_long_prompts=True,
)
LF_CUTOFF = Limit(
    "LLaMA-Factory",
    "cutoff_len",
    2048,
    "LLaMA-Factory src/llamafactory/hparams/data_args.py",
)
LIMITS: dict[str, list[Limit]] = {
    "trl-sft": [TRL_SFT],
    "trl-dpo": [TRL_DPO],
    "trl-grpo": [],
    "verl": [],
    "llamafactory-sharegpt": [LF_CUTOFF],
    "llamafactory-ranking": [LF_CUTOFF],
}
"""Formats whose rows a trainer tokenizes, with the default limits that apply to them."""
MEASURED = {
    "trl-sft": "the whole conversation with its tools",
    "trl-dpo": "prompt + the longer of chosen/rejected, with tools",
    "trl-grpo": "the prompt (GRPOTrainer does not render the tools column)",
    "verl": "the prompt",
    "llamafactory-sharegpt": "the whole conversation with its tools",
    "llamafactory-ranking": "prompt + the longer of chosen/rejected, with tools",
}


class LimitCount(BaseModel):
    """Rows of one file that a consumer's default length limit would cut or drop."""

    trainer: str
    setting: str
    value: int
    source: str
    over: int = 0
    """Rows longer than ``value`` tokens."""
    dropped: int = 0
    """Rows the trainer would drop (their prompt alone reaches ``value``)."""
    truncated: int = 0
    """Rows the trainer would cut to ``value`` tokens (``over`` minus ``dropped``)."""


class TokenLengths(BaseModel):
    """Token lengths of one file's rows and what the default limits do to them."""

    tokenizer: str = TOKENIZER_NAME
    template: str = TOOL_TEMPLATE_NAME
    measured: str
    rows: int = 0
    min: int = 0
    mean: float = 0.0
    p50: int = 0
    p95: int = 0
    max: int = 0
    limits: list[LimitCount] = Field(default_factory=list)


@dataclass(frozen=True)
class RowLength:
    tokens: int
    prompt: int | None = None
    """Tokens of the prompt alone (preference rows)."""


def _tools(value: Any) -> list[dict[str, Any]]:
    """A row's tools as OpenAI function schemas (sharegpt keeps them as a JSON string)."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    out = []
    for item in value or ():
        out.append(
            item if item.get("type") == "function" else {"type": "function", "function": item}
        )
    return out


def sharegpt_messages(system: str, turns: Iterable[Mapping[str, Any]]) -> Messages:
    """A sharegpt conversation as chat messages (how a tool-aware template renders it)."""
    out: Messages = [{"role": "system", "content": system}] if system else []
    for turn in turns:
        role, value = turn["from"], turn["value"]
        if role == "function_call":
            calls = json.loads(value)
            items = calls if isinstance(calls, list) else [calls]
            out.append(
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"type": "function", "function": c} for c in items],
                }
            )
        elif role == "observation":
            out.append({"role": "tool", "content": value})
        else:
            out.append({"role": "user" if role == "human" else "assistant", "content": value})
    return out


def _count(tokenizer: Any, template: str, messages: Messages, tools: Any, gen: bool) -> int:
    text = render(tokenizer, template, messages, tools, generation_prompt=gen)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def row_length(tokenizer: Any, template: str, fmt: str, row: Row) -> RowLength:
    """Tokens of one row as ``fmt``'s trainer sees it (see :data:`MEASURED`)."""
    if fmt == "trl-sft":
        return RowLength(
            _count(tokenizer, template, list(row["messages"]), _tools(row["tools"]), False)
        )
    if fmt in ("trl-grpo", "verl"):
        return RowLength(_count(tokenizer, template, list(row["prompt"]), None, True))
    if fmt == "llamafactory-sharegpt":
        messages = sharegpt_messages(row["system"], row["conversations"])
        return RowLength(_count(tokenizer, template, messages, _tools(row["tools"]), False))
    if fmt == "trl-dpo":
        prompt, tools = list(row["prompt"]), _tools(row["tools"])
        sides = [list(row["chosen"]), list(row["rejected"])]
    elif fmt == "llamafactory-ranking":
        prompt = sharegpt_messages(row["system"], row["conversations"])
        tools = _tools(row["tools"])
        sides = [sharegpt_messages("", [row["chosen"]]), sharegpt_messages("", [row["rejected"]])]
    else:
        raise ValueError(f"no trainer tokenizes {fmt!r} rows")
    full = max(_count(tokenizer, template, prompt + side, tools, False) for side in sides)
    return RowLength(full, _count(tokenizer, template, prompt, tools, True))


def summarize(
    fmt: str, lengths: Sequence[RowLength], *, extra: Limit | None = None
) -> TokenLengths:
    """Statistics of ``lengths`` and the rows each default limit (and ``extra``) cuts or drops."""
    tokens = sorted(r.tokens for r in lengths)
    out = TokenLengths(measured=MEASURED.get(fmt, "rows"), rows=len(tokens))
    if tokens:
        out.min, out.max = tokens[0], tokens[-1]
        out.mean = round(statistics.fmean(tokens), 1)
        out.p50 = tokens[(len(tokens) - 1) // 2]
        out.p95 = tokens[min(len(tokens) - 1, (95 * len(tokens)) // 100)]
    for limit in [*LIMITS.get(fmt, []), *([extra] if extra else [])]:
        count = LimitCount(
            trainer=limit.trainer, setting=limit.setting, value=limit.value, source=limit.source
        )
        for r in lengths:
            if r.tokens <= limit.value:
                continue
            count.over += 1
            dropped = limit.drops_long_prompts and r.prompt is not None and r.prompt >= limit.value
            count.dropped += dropped
            count.truncated += not dropped
        out.limits.append(count)
    return out


def measure(
    tokenizer: Any, template: str, fmt: str, rows: Iterable[Row], *, extra: Limit | None = None
) -> TokenLengths:
    """Token lengths of ``rows`` of format ``fmt`` (a format no trainer tokenizes: ValueError)."""
    if fmt not in LIMITS:
        raise ValueError(f"no trainer tokenizes {fmt!r} rows")
    return summarize(fmt, [row_length(tokenizer, template, fmt, row) for row in rows], extra=extra)
