"""DPO exports: TRL conversational preference rows and LLaMA-Factory sharegpt ranking rows.

* ``dpo/<split>.jsonl`` — TRL's preference type, conversational format with an explicit prompt
  (trl docs dataset_formats.md "Preference", dpo_trainer.md "Tool Calling with DPO"):
  ``{"prompt": [messages], "chosen": [assistant turn(s)], "rejected": [...], "tools": [...]}``,
  tool-call ``arguments`` as JSON objects; plus ``meta`` and ``pair`` (where the pair came from).
* ``llamafactory/dpo_<split>.jsonl`` — LLaMA-Factory data/README.md "Preference Dataset"
  (sharegpt): ``conversations`` (the prompt: human/observation at odd positions, gpt/function_call
  at even ones, odd count), ``chosen`` / ``rejected`` (one gpt or function_call turn: the first
  assistant turn of each completion), ``system``, ``tools`` (JSON string); registered with
  ``"ranking": true`` in ``llamafactory/dataset_info.json`` (:func:`ranking_dataset_info`).

Pairs come from :mod:`lightclaw.export.dpo_pairs`; rows keep JSONL (tool arguments change type
across rows, which Parquet cannot hold losslessly).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lightclaw.export.conversation import episode_tool_specs
from lightclaw.export.dpo_pairs import Pair, PairFinder, PairKind, RolloutPairer, Scope
from lightclaw.export.llamafactory import (
    LF_DIR,
    SHAREGPT_TAGS,
    register_dataset,
    sharegpt_tools,
    sharegpt_turns,
)
from lightclaw.export.pool import FilterLog, Pool, Selection, feed, split_of
from lightclaw.export.rows import (
    ChatMessage,
    Metric,
    RowMeta,
    ShareGptTurn,
    ToolSpec,
    check_sharegpt_turns,
    check_tools_json,
    row_meta,
)
from lightclaw.export.writers import FileReport, JsonlWriter
from lightclaw.schema import Episode
from lightclaw.store import Store

Msg = dict[str, Any]
TRL_FORMAT = "trl-dpo"
LF_FORMAT = "llamafactory-ranking"
DPO_DIR = "dpo"


class PairInfo(BaseModel):
    """Where a pair came from: episodes, steps and rewards of both sides."""

    model_config = ConfigDict(extra="forbid")

    kind: PairKind
    step: int = Field(ge=0)
    """The step both completions answer (the prompt ends with what it observed)."""
    chosen_episode_id: str
    rejected_episode_id: str
    chosen_step: int = Field(ge=0)
    rejected_step: int = Field(ge=0)
    chosen_reward: Metric | None
    rejected_reward: Metric | None


def _offered(tools: list[str], messages: Iterable[ChatMessage]) -> None:
    for message in messages:
        for call in message.tool_calls or ():
            if call.function.name not in tools:
                raise ValueError(f"tool_calls name {call.function.name!r} is not in tools")


class DpoRow(BaseModel):
    """TRL conversational preference row with tools."""

    model_config = ConfigDict(extra="forbid")

    prompt: list[ChatMessage] = Field(min_length=1)
    chosen: list[ChatMessage] = Field(min_length=1)
    rejected: list[ChatMessage] = Field(min_length=1)
    tools: list[ToolSpec]
    meta: RowMeta
    pair: PairInfo

    @model_validator(mode="after")
    def _shape(self) -> DpoRow:
        if self.prompt[-1].role == "assistant":
            raise ValueError("the prompt must end with what the model answers, not an answer")
        if any(m.role == "system" for m in [*self.prompt[1:], *self.chosen, *self.rejected]):
            raise ValueError("a system message may only open the prompt")
        if self.chosen[0].role != "assistant" or self.rejected[0].role != "assistant":
            raise ValueError("chosen and rejected start with the assistant's turn")
        if self.chosen == self.rejected:
            raise ValueError("chosen and rejected are identical")
        _offered([t.function.name for t in self.tools], self.chosen)  # rejected may hallucinate
        return self


class RankingRow(BaseModel):
    """LLaMA-Factory sharegpt preference row (``ranking: true``)."""

    model_config = ConfigDict(extra="forbid")

    conversations: list[ShareGptTurn] = Field(min_length=1)
    chosen: ShareGptTurn
    rejected: ShareGptTurn
    system: str
    tools: str
    """JSON string of ``[{"name", "description", "parameters"}, ...]``."""
    meta: RowMeta
    pair: PairInfo

    @model_validator(mode="after")
    def _shape(self) -> RankingRow:
        check_sharegpt_turns(self.conversations, ranking=True)
        for side in (self.chosen, self.rejected):
            if side.from_ not in ("gpt", "function_call"):
                raise ValueError(f"chosen/rejected must be gpt or function_call, not {side.from_}")
            if side.from_ == "function_call":
                check_sharegpt_turns([ShareGptTurn(**{"from": "human", "value": ""}), side])
        if self.chosen == self.rejected:
            raise ValueError("chosen and rejected are identical")
        check_tools_json(self.tools)
        return self


def sharegpt_reply(message: Msg) -> dict[str, str]:
    """An assistant turn as one sharegpt turn (``function_call`` or ``gpt``), converted like
    the SFT rows (:func:`lightclaw.export.llamafactory.sharegpt_turns`)."""
    _, turns = sharegpt_turns([{"role": "user", "content": ""}, message])
    return turns[1]


def sharegpt_prompt(messages: list[Msg]) -> tuple[str, list[dict[str, str]]]:
    """The system text and sharegpt turns of a prompt (ending with human or observation)."""
    system, turns = sharegpt_turns([*messages, {"role": "assistant", "content": "-"}])
    turns.pop()  # the placeholder answer: what remains ends on the prompt side
    return system, turns


def ranking_dataset_info(file_name: str) -> dict[str, Any]:
    """The dataset_info.json entry LLaMA-Factory needs for a ranking file."""
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "ranking": True,
        "columns": {
            "messages": "conversations",
            "chosen": "chosen",
            "rejected": "rejected",
            "system": "system",
            "tools": "tools",
        },
        "tags": dict(SHAREGPT_TAGS),
    }


class DpoResult(BaseModel):
    """What a DPO export wrote: per-file reports, pair counts and dataset_info entries."""

    files: list[FileReport]
    pairs: dict[str, int] = Field(default_factory=dict)
    dataset_info: dict[str, dict[str, Any]] = Field(default_factory=dict)
    filters: FilterLog | None = None


class DpoExport:
    """Streaming DPO sink (writes ``dpo/{split}.jsonl`` and ``llamafactory/dpo_{split}.jsonl``
    under ``out_dir``): :meth:`add` episodes, then :meth:`close` (pairs the open groups).

    A pair's split is its task's (both sides share the task); ``split`` passed to :meth:`add`
    is used when no ``test_fraction`` is given here.
    """

    def __init__(
        self,
        out_dir: Path,
        pool: Pool,
        *,
        test_fraction: float | None = None,
        seed: int = 0,
        kinds: Iterable[PairKind] = ("same_task_pair", "correction_pair"),
        scope: Scope = "full",
        llamafactory: bool = True,
        pairer: RolloutPairer | None = None,
    ) -> None:
        self.out_dir, self.pool = Path(out_dir), pool
        self.test_fraction, self.seed, self.llamafactory = test_fraction, seed, llamafactory
        if test_fraction is not None:
            split_of("-", test_fraction, seed)  # validates the fraction early
        self.finder = PairFinder(kinds=kinds, pairer=pairer or RolloutPairer(scope=scope))
        self._trl: dict[str, JsonlWriter] = {}
        self._lf: dict[str, JsonlWriter] = {}
        self._splits: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        self._tools: dict[tuple[str, str, str], list[dict[str, Any]]] = {}

    def add(self, episode: Episode, split: str = "train") -> bool:
        """Take one episode; write the pairs it completes. True when it was taken for pairing."""
        if self.test_fraction is not None:
            split = split_of(episode.task_id, self.test_fraction, self.seed)
        self._splits.setdefault(episode.task_id, split)
        for pair in self.finder.add(episode):
            self.write(pair)
        return episode.attempt == 1 and episode.reward is not None

    def write(self, pair: Pair) -> None:
        """Validate and write one pair as a TRL row (and a LLaMA-Factory row)."""
        chosen = pair.chosen_episode
        split = self._splits.get(chosen.task_id, "train")
        meta = row_meta(chosen, self.pool.run(chosen.run_id), split=split, sample_type=pair.kind)
        info = PairInfo(
            kind=pair.kind,
            step=pair.step,
            chosen_episode_id=chosen.id,
            rejected_episode_id=pair.rejected_episode.id,
            chosen_step=pair.chosen_step,
            rejected_step=pair.rejected_step,
            chosen_reward=chosen.reward,
            rejected_reward=pair.rejected_episode.reward,
        )
        tools = self._specs(chosen)
        common = {"meta": meta.model_dump(mode="json"), "pair": info.model_dump(mode="json")}
        trl = self._writer(self._trl, self.out_dir / DPO_DIR / f"{split}.jsonl", DpoRow, split)
        row = {"prompt": pair.prompt, "chosen": pair.chosen, "rejected": pair.rejected}
        if trl.write({**row, "tools": tools, **common}):
            self.counts[pair.kind] += 1
        if self.llamafactory:
            path = self.out_dir / LF_DIR / f"dpo_{split}.jsonl"
            lf = self._writer(self._lf, path, RankingRow, split)
            try:
                system, turns = sharegpt_prompt(pair.prompt)
                sides = sharegpt_reply(pair.chosen[0]), sharegpt_reply(pair.rejected[0])
            except (ValueError, KeyError) as exc:
                lf.reject(f"row not built: {exc}", chosen.id)
                return
            lf.write(
                {
                    "conversations": turns,
                    "chosen": sides[0],
                    "rejected": sides[1],
                    "system": system,
                    "tools": sharegpt_tools(tools),
                    **common,
                }
            )

    def _specs(self, episode: Episode) -> list[dict[str, Any]]:
        key = (episode.run_id, episode.suite, episode.task_id)
        if key not in self._tools:
            self._tools[key] = episode_tool_specs(episode, self.pool)
        return self._tools[key]

    def _writer(
        self, table: dict[str, JsonlWriter], path: Path, model: type[BaseModel], split: str
    ) -> JsonlWriter:
        if split not in table:
            fmt, config = (
                (TRL_FORMAT, "dpo") if model is DpoRow else (LF_FORMAT, "llamafactory_dpo")
            )
            writer = JsonlWriter(path, model, fmt=fmt, config=config, split=split)
            table[split] = writer.relative_to(self.out_dir)
        return table[split]

    def close(self) -> list[FileReport]:
        """Pair what is still open, close the files, register the ranking files."""
        for pair in self.finder.flush():
            self.write(pair)
        files = [w.close() for w in [*self._trl.values(), *self._lf.values()]]
        for split, writer in sorted(self._lf.items()):
            name = f"lightclaw_dpo_{split}"
            register_dataset(self.out_dir / LF_DIR, name, ranking_dataset_info(writer.path.name))
        return files

    def summary(self, files: list[FileReport]) -> DpoResult:
        counts = dict(self.counts)
        counts["duplicates"] = self.finder.duplicates
        info = {
            f"lightclaw_dpo_{split}": ranking_dataset_info(w.path.name)
            for split, w in self._lf.items()
        }
        return DpoResult(files=files, pairs=counts, dataset_info=info)


def run_dpo(
    store: Store,
    selection: Selection,
    out_dir: Path | str,
    *,
    test_fraction: float = 0.0,
    seed: int = 0,
    **options: Any,
) -> DpoResult:
    """Library entry point: DPO pairs of every selected episode (options: :class:`DpoExport`)."""

    def sink(pool: Pool) -> DpoExport:
        return DpoExport(Path(out_dir), pool, test_fraction=test_fraction, seed=seed, **options)

    exporter, log = feed(store, selection, sink)
    result: DpoResult = exporter.summary(exporter.close())
    return result.model_copy(update={"filters": log})
