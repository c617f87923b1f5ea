"""The judgement of one episode against its task's ground truth, as stored with the episode.

:func:`lightclaw.verify.judge_episode` computes it once per episode at collection; rewards,
metrics, exports and the training reward functions read it (or the step columns copied from
it) and never judge again. The models live here, in the vocabulary, because the episode record
holds them; the rules that fill them are documented in docs/reward.md and docs/metrics.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lightclaw.schema.errors import ErrorType

Transition = Literal["c->i", "i->c", "c->c", "i->i"]
"""From the corrected step's correctness to the revision's (c: correct, i: incorrect)."""


class _Judged(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Verdict(_Judged):
    """The episode verdict: success, the judged error type if any, and why.

    ``verifier_error`` is set when the verifier itself failed (then ``success`` is False and
    ``error_type`` None): the episode was not judged.
    """

    success: bool
    error_type: ErrorType | None = None
    message: str
    verifier_error: str | None = None

    @property
    def judged(self) -> bool:
        """Whether the verifier reached a verdict (it did not fail)."""
        return self.verifier_error is None


class CallJudgement(_Judged):
    """One executed tool call against the task's expected calls."""

    step: int = Field(ge=0)
    call: int = Field(ge=0)
    """The call's index inside its step (``CallRecord.index``)."""
    tool: str
    expected_tool: bool
    """It names the tool of some expected call."""
    matched: int | None = None
    """The expected call it fulfils in the episode judge's matching (successful calls only)."""
    argument_match: int | None = None
    """The expected call it matches on arguments alone, execution status ignored (BFCL AST)."""
    correct: bool | None = None
    """The call judged on its own (``verify.judging.judge_call``); None: no ground truth."""


class StepJudgement(_Judged):
    """One step judged on its own, and whether the feedback it caused was acted on."""

    index: int = Field(ge=0)
    correct: bool | None = None
    """``False`` if any of its actions is judged wrong, else ``True`` if any is judged right,
    else ``None`` (nothing parsed, or nothing with ground truth)."""
    correction_attempted: bool | None = None
    """For a feedback event (a runtime-error step that is not the episode's last): whether a
    later step corrects it. ``None`` for every other step."""


class CorrectionJudgement(_Judged):
    """A correction: a step with ``correction_of`` set, and what it achieved."""

    step: int = Field(ge=0)
    corrects: int = Field(ge=0)
    before: bool | None
    """The corrected step judged on its own (the pre-correction verdict)."""
    after: bool | None
    """The revision judged on its own."""
    executed: bool
    """The revision ran without a runtime error."""
    changed: bool
    """The revision's actions differ from the corrected step's (call ids and order ignored)."""
    recovered: bool
    """Recovery success: executed, and judged correct -- or, with no judge for the revision,
    the episode then succeeded."""
    over_correction: bool
    """The corrected step was already correct (``before`` is True) and the revision changed it."""
    transition: Transition | None
    """From the corrected step's correctness to the revision's, where a step with a runtime
    error is incorrect and otherwise its own verdict counts; None when either is not judged."""


class Judgement(_Judged):
    """Everything the verifier concluded about one episode (computed once, stored with it)."""

    verdict: Verdict
    expected_calls: int = Field(ge=0)
    """How many calls the task expects."""
    calls: list[CallJudgement] = Field(default_factory=list)
    answer: bool | None = None
    """The final answer checked against ``expected_answer`` (or the task's python verifier);
    None when the episode gave no final answer, the task has no answer check, the matcher
    failed, or (python verifier) an earlier check already failed."""
    state: bool | None = None
    """The final state checked against ``expected_state``; None when the task has none."""
    steps: list[StepJudgement] = Field(default_factory=list)
    corrections: list[CorrectionJudgement] = Field(default_factory=list)
