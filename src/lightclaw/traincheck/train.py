"""Real TRL training steps on exported files (``lightclaw train-check --steps N``).

A tiny Llama (2 layers, hidden 64, random init) is built locally around SmolLM2's tokenizer, with
TRL's tool-aware Qwen2.5 chat template, and trained on the CPU for N steps with SFTTrainer,
DPOTrainer and GRPOTrainer (reward: :data:`lightclaw.rewards.lightclaw_reward`) on the train
split. Each run must give finite losses and change the model's parameters; SFT and DPO are then
evaluated on the test split of the same format (a finite eval loss). Needs the ``train`` extra.
"""

from __future__ import annotations

import copy
import math
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lightclaw.errors import UserError
from lightclaw.export.tokenizer import INSTALL_HINT, tool_template
from lightclaw.traincheck.formats import Kind
from lightclaw.traincheck.report import FileCheck, TrainCheckReport, TrainResult

BATCH = 2
GENERATIONS = 8
"""GRPO samples per prompt: enough that the warmed-up model's rewards differ within a group."""
MIN_COMPLETION = 48
"""GRPO's generation budget (tokens) at least; longer when an oracle completion needs more (a
clipped tool call does not parse, so every completion would score alike)."""
WARMUP_LOSS = 0.05
WARMUP_START = 1.0
WARMUP_CHECK = 10
WARMUP_MAX_STEPS = 300
COLUMNS = {
    Kind.SFT: ("messages", "tools"),
    Kind.DPO: ("prompt", "chosen", "rejected", "tools"),
    Kind.GRPO: None,  # every column: the reward function reads the ground truth from them
}
TRAINERS = {Kind.SFT: "SFTTrainer", Kind.DPO: "DPOTrainer", Kind.GRPO: "GRPOTrainer"}


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the libraries' own deprecation chatter and progress bars while training."""
    import datasets  # type: ignore[import-untyped]
    import transformers

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    with warnings.catch_warnings():
        for category in (FutureWarning, DeprecationWarning, UserWarning):
            warnings.simplefilter("ignore", category)
        yield


def tiny_model(tokenizer: Any, seed: int = 0) -> Any:
    """A randomly initialised 2-layer Llama with the tokenizer's vocabulary (about 3.3M params)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return LlamaForCausalLM(config)


def _pick(report: TrainCheckReport, kind: Kind, split: str = "train") -> FileCheck | None:
    """The first valid file of ``kind`` whose name says ``split`` (for training, any valid file
    when none does)."""
    usable = [f for f in report.files if f.kind == kind.value and f.ok and f.loaded]
    usable.sort(key=lambda f: (split not in Path(f.path).name, f.path))
    if usable and (split == "train" or split in Path(usable[0].path).name):
        return usable[0]
    return None


def _dataset(path: Path, kind: Kind, rows: int | None) -> Any:
    """The first ``rows`` rows of ``path`` (all with None), with the columns the trainer reads."""
    from datasets import load_dataset

    builder = "parquet" if path.suffix == ".parquet" else "json"
    ds = load_dataset(builder, data_files=str(path), split="train", keep_in_memory=True)
    if rows is not None:
        ds = ds.select(range(min(rows, len(ds))))
    keep = COLUMNS[kind]
    if keep is not None:
        ds = ds.remove_columns([c for c in ds.column_names if c not in keep])
    return ds


def _oracle_text(tokenizer: Any, row: dict[str, Any]) -> tuple[str, str]:
    """(prompt, completion) texts: the row's oracle calls as the tool-aware template writes them."""
    import json

    calls = json.loads(row["oracle_calls"])
    prompt = tokenizer.apply_chat_template(
        row["prompt"], tokenize=False, add_generation_prompt=True
    )
    if calls:
        items = [
            {"type": "function", "function": {"name": c["tool"], "arguments": c["arguments"]}}
            for c in calls
        ]
        answer = {"role": "assistant", "content": "", "tool_calls": items}
    else:
        answer = {"role": "assistant", "content": json.dumps(json.loads(row["expected_answer"]))}
    full = tokenizer.apply_chat_template([*row["prompt"], answer], tokenize=False)
    return str(prompt), str(full)[len(str(prompt)) :]


def _shortest(tokenizer: Any, ds: Any, n: int) -> list[int]:
    """Indices of the ``n`` rows whose oracle completion is shortest (file order on ties): the
    tiny model learns those reliably, so its sampled completions differ in reward."""
    sizes = [
        (len(tokenizer(_oracle_text(tokenizer, dict(row))[1])["input_ids"]), i)
        for i, row in enumerate(ds)
    ]
    return sorted(i for _, i in sorted(sizes)[:n])


def completion_budget(tokenizer: Any, rows: list[dict[str, Any]]) -> int:
    """Tokens GRPO may generate: the longest oracle completion of ``rows`` and some slack."""
    longest = max(
        (len(tokenizer(_oracle_text(tokenizer, r)[1], add_special_tokens=False)["input_ids"])
         for r in rows),
        default=0,
    )  # fmt: skip
    return max(MIN_COMPLETION, longest + 16)


def _rewards_differ(model: Any, tokenizer: Any, rows: list[dict[str, Any]], budget: int) -> bool:
    """Sample :data:`GENERATIONS` completions per row as GRPO does (temperature 1, no top-k) and
    say whether their rewards differ for some row (otherwise GRPO's advantages are all 0)."""
    import torch

    from lightclaw.rewards import lightclaw_reward

    model.eval()
    try:
        for row in rows:
            prompt, _ = _oracle_text(tokenizer, row)
            ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
            with torch.no_grad():
                out = model.generate(
                    ids,
                    do_sample=True,
                    temperature=1.0,
                    top_k=0,
                    max_new_tokens=budget,
                    num_return_sequences=GENERATIONS,
                    pad_token_id=tokenizer.pad_token_id,
                )
            texts = [tokenizer.decode(o[ids.shape[1] :], skip_special_tokens=True) for o in out]
            completions = [[{"role": "assistant", "content": t}] for t in texts]
            columns = {k: [v] * GENERATIONS for k, v in row.items() if k != "prompt"}
            if len(set(lightclaw_reward(completions, **columns))) > 1:
                return True
        return False
    finally:
        model.train()


def warm_start(model: Any, tokenizer: Any, rows: list[dict[str, Any]], budget: int) -> int:
    """Teach the random model the rows' oracle completions (plain torch, completion tokens only)
    until its sampled completions differ in reward (checked every :data:`WARMUP_CHECK` steps once
    the loss is below :data:`WARMUP_START`) or its loss is below :data:`WARMUP_LOSS`. A random
    model's completions all score alike, and so do a perfectly trained one's: equal rewards give
    GRPO no gradient. Returns the steps taken."""
    import torch

    batch = []
    for row in rows:
        prompt, completion = _oracle_text(tokenizer, row)
        p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        c_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([p_ids + c_ids])
        labels = torch.tensor([[-100] * len(p_ids) + c_ids])
        batch.append((ids, labels))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for step in range(1, WARMUP_MAX_STEPS + 1):
        total = 0.0
        for ids, labels in batch:
            loss = model(input_ids=ids, labels=labels).loss
            loss.backward()
            total += float(loss.detach())
        optimizer.step()
        optimizer.zero_grad()
        mean = total / len(batch)
        if mean < WARMUP_LOSS:
            return step
        if mean < WARMUP_START and step % WARMUP_CHECK == 0:
            torch.manual_seed(step)
            if _rewards_differ(model, tokenizer, rows, budget):
                return step
    return WARMUP_MAX_STEPS


def _trainer(
    kind: Kind,
    model: Any,
    tokenizer: Any,
    ds: Any,
    out: str,
    steps: int,
    max_length: int,
    test: Any = None,
    completion_tokens: int = MIN_COMPLETION,
) -> Any:
    import importlib

    from lightclaw.rewards import lightclaw_reward

    trl: Any = importlib.import_module("trl")  # lazily exported names: typed loosely

    common: dict[str, Any] = {
        "output_dir": out,
        "max_steps": steps,
        "per_device_train_batch_size": BATCH,
        "per_device_eval_batch_size": BATCH,
        "learning_rate": 1e-3,
        "use_cpu": True,
        "bf16": False,
        "report_to": "none",
        "save_strategy": "no",
        "logging_steps": 1,
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        "seed": 0,
    }
    if kind is Kind.SFT:
        args = trl.SFTConfig(max_length=max_length, **common)
        return trl.SFTTrainer(
            model=model,
            args=args,
            train_dataset=ds,
            eval_dataset=test,
            processing_class=tokenizer,
        )
    if kind is Kind.DPO:
        args = trl.DPOConfig(max_length=max_length, **common)
        reference = tiny_model(tokenizer)  # same seed: the policy's starting point
        return trl.DPOTrainer(
            model=model,
            ref_model=reference,
            args=args,
            train_dataset=ds,
            eval_dataset=test,
            processing_class=tokenizer,
        )
    common["per_device_train_batch_size"] = GENERATIONS  # one prompt, GENERATIONS completions
    args = trl.GRPOConfig(
        num_generations=GENERATIONS, max_completion_length=completion_tokens, **common
    )
    return trl.GRPOTrainer(
        model=model,
        reward_funcs=lightclaw_reward,
        args=args,
        train_dataset=ds,
        processing_class=tokenizer,
    )


def train_one(
    kind: Kind,
    path: Path,
    tokenizer: Any,
    *,
    steps: int,
    max_length: int,
    eval_path: Path | None = None,
) -> TrainResult:
    """Train ``steps`` steps of ``kind``'s trainer on ``path``; losses and parameter changes;
    with ``eval_path`` (SFT, DPO) also the trained model's loss on that file."""
    import torch

    start = time.perf_counter()
    model = tiny_model(tokenizer)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    result = TrainResult(
        trainer=TRAINERS[kind], file=path.name, steps=steps, losses=[], finite=False,
        params_changed=0, params_total=len(before), seconds=0.0,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="lightclaw-train-") as out, _quiet():
        try:
            ds = _dataset(path, kind, rows=None if kind is Kind.GRPO else steps * BATCH)
            budget = MIN_COMPLETION
            if kind is Kind.GRPO:  # one prompt per step: exactly the prompts it warmed up on
                ds = ds.select(_shortest(tokenizer, ds, steps))
                warm = [dict(r) for r in ds]
                budget = completion_budget(tokenizer, warm)
                warm_start(model, tokenizer, warm, budget)
                before = {name: p.detach().clone() for name, p in model.named_parameters()}
            test = None
            if eval_path is not None and kind is not Kind.GRPO:
                result.eval_file = eval_path.name
                test = _dataset(eval_path, kind, rows=2 * BATCH)
            trainer = _trainer(
                kind, model, tokenizer, ds, out, steps, max_length, test, completion_tokens=budget
            )
            trainer.train()
            if test is not None:
                result.eval_loss = float(trainer.evaluate()["eval_loss"])
        except Exception as exc:  # report what the trainer said; train-check then fails
            result.error = (
                f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
            )
            result.seconds = round(time.perf_counter() - start, 2)
            return result
    result.losses = [float(e["loss"]) for e in trainer.state.log_history if "loss" in e]
    result.finite = bool(result.losses) and all(math.isfinite(x) for x in result.losses)
    result.params_changed = sum(
        not torch.equal(p.detach(), before[name]) for name, p in model.named_parameters()
    )
    result.seconds = round(time.perf_counter() - start, 2)
    return result


def train_all(
    root: Path,
    report: TrainCheckReport,
    tokenizer: Any,
    *,
    steps: int,
    max_length: int,
    progress: Callable[[str], None] | None = None,
) -> list[TrainResult]:
    """One run per trainer whose format the directory holds; a missing format is noted."""
    try:
        import torch
        import trl  # noqa: F401
    except ImportError as exc:
        raise UserError(f"--steps needs torch and TRL; {INSTALL_HINT}") from exc
    trained = copy.deepcopy(tokenizer)
    trained.chat_template = tool_template()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: one thread is faster than two contended ones
    try:
        return _train_each(root, report, trained, steps, max_length, progress)
    finally:
        torch.set_num_threads(threads)


def _train_each(
    root: Path,
    report: TrainCheckReport,
    trained: Any,
    steps: int,
    max_length: int,
    progress: Callable[[str], None] | None,
) -> list[TrainResult]:
    results = []
    for kind, name in TRAINERS.items():
        picked = _pick(report, kind)
        if picked is None:
            report.notes.append(f"{name}: no valid {kind.value} file to train on")
            continue
        test = _pick(report, kind, "test") if kind is not Kind.GRPO else None
        if progress:
            progress(f"training {steps} {name} step(s) on {picked.path}")
        result = train_one(
            kind,
            root / picked.path,
            trained,
            steps=steps,
            max_length=max_length,
            eval_path=root / test.path if test is not None and test is not picked else None,
        )
        evaluated = test.path if test is not None and result.eval_file else None
        update = {"file": picked.path, "eval_file": evaluated}
        results.append(result.model_copy(update=update))
    return results
