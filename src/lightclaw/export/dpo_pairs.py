"""DPO pair finding: same-task rollout pairs and correction pairs at a shared prompt.

Two kinds of pair, both at a prompt the two completions really share:

* ``same_task_pair`` — two attempt-1 rollouts of one task whose first ``k`` steps render to the
  same messages and whose assistant turns differ at step ``k`` (what step ``k`` observed is equal
  too). Prompt: the shared prefix; chosen: the higher-reward continuation; rejected: the lower.
  Each lower-reward rollout is paired once, with the highest-reward rollout sharing its longest
  prefix. Rollouts are grouped per (suite, task) in bounded memory: a group is paired when it
  holds ``max_group`` rollouts, when more than ``max_open`` groups are open (the oldest goes) and
  at the end.
* ``correction_pair`` — inside one attempt-1 episode, step ``j`` corrects failed step ``i``
  (``correction_of == i``, ``correction_ok`` and not ``over_correction``; step ``i`` had a
  runtime error or was judged wrong). Prompt: the conversation before step ``i``; rejected: step
  ``i``'s assistant turn; chosen: step ``j``'s revision as a plain assistant turn.

The chosen side is always clean: an over-correction is never chosen, nor a step with a runtime
error or judged wrong (:func:`clean`, over the whole chosen continuation in ``full`` scope). It
must also be vouched for (:func:`vouched`): judged correct, or — where nothing judges the step —
part of an episode that succeeded. So a refusal or give-up ("The tools I need are not available.")
after a failed call is never chosen over it: the tools it needed were offered and the episode
failed.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from lightclaw.export.conversation import assistant_message, observed, tail_messages
from lightclaw.schema import Episode, RawOutput, Step, effective

Msg = dict[str, Any]
PairKind = Literal["same_task_pair", "correction_pair"]
Scope = Literal["full", "step"]


def canonical(value: Any) -> str:
    """Stable JSON text of a message (list) for equality and hashing."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class EpisodeTurns:
    """An episode's conversation cut at step boundaries (as :func:`to_messages` renders it).

    ``observed[i]`` is what step ``i`` saw since the previous turn, ``replies[i]`` its assistant
    turn (``None``: the policy produced nothing), ``tail`` what followed the last step and
    ``head`` the parent's conversation for an attempt-2 episode.
    """

    observed: list[list[Msg]]
    replies: list[Msg | None]
    tail: list[Msg]
    head: list[Msg] = field(default_factory=list)

    @classmethod
    def of(cls, episode: Episode, parent: EpisodeTurns | None = None) -> EpisodeTurns:
        obs = [[m for m in map(observed, s.observation) if m is not None] for s in episode.steps]
        replies = [assistant_message(s) for s in episode.steps]
        tail = tail_messages(episode.steps[-1]) if episode.steps else []
        head = [] if parent is None else parent.messages(tail=False)
        return cls(observed=obs, replies=replies, tail=tail, head=head)

    def prefix(self, upto: int) -> list[Msg]:
        """Messages before step ``upto``'s assistant turn (its observation included)."""
        out = list(self.head)
        for i in range(upto):
            out.extend(self.observed[i])
            if self.replies[i] is not None:
                out.append(self.replies[i])  # type: ignore[arg-type]
        if upto < len(self.observed):
            out.extend(self.observed[upto])
        return out

    def continuation(self, start: int) -> list[Msg]:
        """Step ``start``'s assistant turn and everything after it."""
        out: list[Msg] = []
        for i in range(start, len(self.replies)):
            if i > start:
                out.extend(self.observed[i])
            if self.replies[i] is not None:
                out.append(self.replies[i])  # type: ignore[arg-type]
        out.extend(self.tail)
        return out

    def messages(self, *, tail: bool = True) -> list[Msg]:
        """The whole conversation (equal to ``to_messages(episode, parent=...)``)."""
        out = self.prefix(len(self.replies))
        return out + self.tail if tail else out


def revision_message(step: Step) -> Msg | None:
    """``step``'s revision as a plain assistant turn: its effective actions, without the
    self-correction wrapper or its reason (what the policy should have said in the first place)."""
    plain = step.model_copy(
        update={"actions": [effective(a) for a in step.actions], "raw_output": RawOutput()}
    )
    return assistant_message(plain) if step.actions else assistant_message(step)


@dataclass(frozen=True)
class Pair:
    """One preference pair before it becomes a row (the episodes it came from kept for meta)."""

    kind: PairKind
    step: int
    """The step both completions answer (the prompt ends with its observation)."""
    prompt: list[Msg]
    chosen: list[Msg]
    rejected: list[Msg]
    chosen_episode: Episode
    rejected_episode: Episode
    chosen_step: int
    rejected_step: int

    def key(self) -> str:
        return canonical([self.prompt, self.chosen, self.rejected])


def _failed(step: Step) -> bool:
    return step.error_type is not None or step.judged_correct is False


def vouched(step: Step, episode: Episode) -> bool:
    """The step is known to be right: judged correct, or unjudged in an episode that succeeded."""
    return step.judged_correct is True or (step.judged_correct is None and episode.success is True)


def correction_pairs(episode: Episode, turns: EpisodeTurns | None = None) -> Iterator[Pair]:
    """Pairs from successful corrections inside one attempt-1 episode (see the module doc)."""
    if episode.attempt != 1:
        return  # attempt-2 step indices mix the parent's numbering (see selfcorrect)
    turns = turns or EpisodeTurns.of(episode)
    steps = episode.steps
    for j, step in enumerate(steps):
        i = step.correction_of
        if i is None or not 0 <= i < j or step.correction_ok is not True:
            continue
        if step.over_correction is True or not _failed(steps[i]) or not vouched(step, episode):
            continue
        rejected, chosen = turns.replies[i], revision_message(step)
        if rejected is None or chosen is None or canonical(rejected) == canonical(chosen):
            continue
        yield Pair(
            kind="correction_pair",
            step=i,
            prompt=turns.prefix(i),
            chosen=[chosen],
            rejected=[rejected],
            chosen_episode=episode,
            rejected_episode=episode,
            chosen_step=j,
            rejected_step=i,
        )


@dataclass
class _Rollout:
    episode: Episode
    turns: EpisodeTurns
    obs_keys: list[str]
    reply_keys: list[str]
    order: int

    @classmethod
    def of(cls, episode: Episode, order: int, turns: EpisodeTurns | None = None) -> _Rollout:
        turns = turns or EpisodeTurns.of(episode)
        return cls(
            episode=episode,
            turns=turns,
            obs_keys=[canonical(o) for o in turns.observed],
            reply_keys=[canonical(r) for r in turns.replies],
            order=order,
        )

    @property
    def reward(self) -> float:
        assert self.episode.reward is not None
        return self.episode.reward


def divergence(a: _Rollout, b: _Rollout) -> int | None:
    """The step where two rollouts part at an equal prompt, or None (never, or not by choice)."""
    n = min(len(a.reply_keys), len(b.reply_keys))
    for k in range(n):
        if a.obs_keys[k] != b.obs_keys[k]:
            return None  # the environment differed before the policies did
        if a.reply_keys[k] != b.reply_keys[k]:
            return k if a.turns.replies[k] is not None and b.turns.replies[k] is not None else None
    return None


def clean(step: Step) -> bool:
    """Fit to be chosen: ran without runtime error, not judged wrong, not an over-correction."""
    return step.error_type is None and step.judged_correct is not False and not step.over_correction


def _clean_from(rollout: _Rollout, k: int, scope: Scope) -> bool:
    """The continuation from step ``k`` may be chosen: clean throughout, and vouched for (the
    whole continuation by the episode's success; one step by its own judgement)."""
    episode, steps = rollout.episode, rollout.episode.steps
    chosen = steps[k:] if scope == "full" else steps[k : k + 1]
    if not all(map(clean, chosen)):
        return False
    if scope == "full":
        return episode.success is True
    return vouched(steps[k], episode)


def pair_group(rollouts: list[_Rollout], *, min_margin: float, scope: Scope) -> Iterator[Pair]:
    """Pair each lower-reward rollout with the best rollout sharing its longest prefix."""
    for low in sorted(rollouts, key=lambda r: r.order):
        best: tuple[int, float, int, _Rollout] | None = None
        for high in rollouts:
            if high.reward - low.reward <= min_margin:
                continue
            k = divergence(low, high)
            if k is None or not _clean_from(high, k, scope):
                continue
            rank = (k, high.reward, -high.order, high)
            if best is None or rank[:3] > best[:3]:
                best = rank
        if best is None:
            continue
        k, high = best[0], best[3]
        chosen, rejected = high.turns.continuation(k), low.turns.continuation(k)
        if scope == "step":
            chosen, rejected = chosen[:1], rejected[:1]
        yield Pair(
            kind="same_task_pair",
            step=k,
            prompt=high.turns.prefix(k),
            chosen=chosen,
            rejected=rejected,
            chosen_episode=high.episode,
            rejected_episode=low.episode,
            chosen_step=k,
            rejected_step=k,
        )


class RolloutPairer:
    """Streams episodes in, same-task pairs out, holding at most ``max_open * max_group``."""

    def __init__(
        self,
        *,
        max_group: int = 8,
        max_open: int = 512,
        min_margin: float = 0.0,
        scope: Scope = "full",
    ) -> None:
        self.max_group, self.max_open = max_group, max_open
        self.min_margin, self.scope = min_margin, scope
        self._groups: OrderedDict[tuple[str, str], list[_Rollout]] = OrderedDict()
        self._seen = 0

    def add(self, episode: Episode, turns: EpisodeTurns | None = None) -> Iterator[Pair]:
        """Take one episode (attempt 1, judged, with steps); yield pairs of groups it closes."""
        if episode.attempt != 1 or episode.reward is None or not episode.steps:
            return
        key = (episode.suite, episode.task_id)
        group = self._groups.pop(key, [])
        group.append(_Rollout.of(episode, self._seen, turns))
        self._seen += 1
        if len(group) >= self.max_group:
            yield from self._pair(group)
        else:
            self._groups[key] = group  # most recently used last
        while len(self._groups) > self.max_open:
            _, oldest = self._groups.popitem(last=False)
            yield from self._pair(oldest)

    def flush(self) -> Iterator[Pair]:
        """Pair every open group (call at the end of the stream)."""
        while self._groups:
            _, group = self._groups.popitem(last=False)
            yield from self._pair(group)

    def _pair(self, group: list[_Rollout]) -> Iterator[Pair]:
        return pair_group(group, min_margin=self.min_margin, scope=self.scope)


class PairFinder:
    """Push episodes in, get the pairs they complete; identical pairs are given once."""

    def __init__(
        self,
        *,
        kinds: Iterable[PairKind] = ("same_task_pair", "correction_pair"),
        pairer: RolloutPairer | None = None,
    ) -> None:
        self.kinds = frozenset(kinds)
        self.pairer = pairer or RolloutPairer()
        self.duplicates = 0
        self._seen: set[int] = set()

    def add(self, episode: Episode) -> list[Pair]:
        turns = EpisodeTurns.of(episode) if episode.attempt == 1 and episode.steps else None
        found: list[Pair] = []
        if "correction_pair" in self.kinds:
            found.extend(correction_pairs(episode, turns))
        if "same_task_pair" in self.kinds:
            found.extend(self.pairer.add(episode, turns))
        return self._fresh(found)

    def flush(self) -> list[Pair]:
        return self._fresh(self.pairer.flush()) if "same_task_pair" in self.kinds else []

    def _fresh(self, pairs: Iterable[Pair]) -> list[Pair]:
        out = []
        for pair in pairs:
            h = hash(pair.key())
            if h in self._seen:
                self.duplicates += 1
                continue
            self._seen.add(h)
            out.append(pair)
        return out


def iter_pairs(
    episodes: Iterable[Episode],
    *,
    kinds: Iterable[PairKind] = ("same_task_pair", "correction_pair"),
    pairer: RolloutPairer | None = None,
) -> Iterator[Pair]:
    """Every pair of the requested kinds from a stream of episodes, identical pairs once."""
    finder = PairFinder(kinds=kinds, pairer=pairer)
    for episode in episodes:
        yield from finder.add(episode)
    yield from finder.flush()
