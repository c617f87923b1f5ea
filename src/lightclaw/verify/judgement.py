"""One pass over an episode: the :class:`~lightclaw.schema.judgement.Judgement` it is stored with.

:func:`judge_episode` runs, once:

1. the episode-level checks (:func:`lightclaw.verify.ground_truth.check_episode`): which
   expected call each call fulfils, the answer and final-state checks, the verdict;
2. every call and every step judged on its own (:mod:`lightclaw.verify.judging`): a step's
   verdict combines its actions' (a tool call by ``judge_call``, a final answer by
   ``judge_answer``);
3. the feedback events and corrections (:mod:`lightclaw.verify.corrections`) from those step
   verdicts and the episode's success.

Reward components (:mod:`lightclaw.verify.reward`) are computed from the judgement; the
metrics, the recount, the exports and the training reward functions read it or the step
fields copied from it (:func:`record`). Nothing judges an episode again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lightclaw.schema import FinalAnswer, ToolCall, effective
from lightclaw.schema.judgement import CallJudgement, Judgement, StepJudgement
from lightclaw.verify.corrections import judge_corrections, label_steps
from lightclaw.verify.ground_truth import check_episode
from lightclaw.verify.judging import combine, judge_answer, judge_arguments, judge_call

if TYPE_CHECKING:
    from lightclaw.schema import Episode, Task

__all__ = ["judge_episode", "record"]


def judge_episode(task: Task, episode: Episode) -> Judgement:
    """Judge ``episode`` against ``task``'s ground truth, once (see the module docstring)."""
    checks = check_episode(task, episode)
    fulfils = {c: e for e, c in enumerate(checks.matched) if c is not None}
    by_arguments = {c: e for e, c in enumerate(checks.by_arguments) if c is not None}
    expected_tools = {expected.tool for expected in task.expected_calls}
    calls: list[CallJudgement] = []
    verdicts: dict[int, bool | None] = {}
    position = 0  # the call's index among all calls of the episode
    for step in episode.steps:
        actions = [effective(action) for action in step.actions]
        tool_calls = [a for a in actions if isinstance(a, ToolCall)]
        call_verdicts = [judge_call(task, call) for call in tool_calls]
        for i, rec in enumerate(step.calls):
            same = i < len(tool_calls) and tool_calls[i].tool == rec.tool
            correct = call_verdicts[i] if same else judge_arguments(task, rec.tool, rec.arguments)
            calls.append(
                CallJudgement(
                    step=step.index,
                    call=rec.index,
                    tool=rec.tool,
                    expected_tool=rec.tool in expected_tools,
                    matched=fulfils.get(position),
                    argument_match=by_arguments.get(position),
                    correct=correct,
                )
            )
            position += 1
        answers = [judge_answer(task, a.content) for a in actions if isinstance(a, FinalAnswer)]
        verdicts[step.index] = combine(call_verdicts + answers)
    verdict = checks.verdict
    success = verdict.success if verdict.judged else None
    attempted, corrections = judge_corrections(episode.steps, verdicts, success)
    return Judgement(
        verdict=verdict,
        expected_calls=len(task.expected_calls),
        calls=calls,
        answer=checks.answer,
        state=checks.state,
        steps=[
            StepJudgement(
                index=step.index,
                correct=verdicts[step.index],
                correction_attempted=attempted[step.index],
            )
            for step in episode.steps
        ],
        corrections=corrections,
    )


def record(episode: Episode, judgement: Judgement) -> None:
    """Store ``judgement`` on the episode and copy its per-step parts onto the steps (in
    place): ``success`` (``None`` when the verifier failed), ``judged_correct``,
    ``correction_attempted``, ``correction_ok`` and ``over_correction``."""
    episode.judgement = judgement
    verdict = judgement.verdict
    episode.success = verdict.success if verdict.judged else None
    own = {s.index: s for s in judgement.steps}
    for step in episode.steps:
        found = own.get(step.index)
        step.judged_correct = None if found is None else found.correct
    attempted = {s.index: s.correction_attempted for s in judgement.steps}
    label_steps(episode.steps, attempted, judgement.corrections)
