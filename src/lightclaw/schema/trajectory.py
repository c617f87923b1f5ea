"""The trajectory record (SPEC §6): run -> episodes -> steps -> calls, with a format version."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from lightclaw.schema.actions import Action
from lightclaw.schema.errors import ArgIssue, ErrorType
from lightclaw.schema.judgement import Judgement
from lightclaw.schema.messages import Message, RawOutput

FORMAT_VERSION = 2
"""2: episodes carry their :class:`~lightclaw.schema.judgement.Judgement`, steps
``correction_attempted``, and ``correction_ok`` / ``over_correction`` follow the correction
definitions of docs/metrics.md (records of version 1 are upgraded when read)."""

RunSource = Literal["deterministic", "live", "imported"]
RunStatus = Literal["running", "complete", "incomplete"]
EpisodeOutcome = Literal["final_answer", "needs_user", "max_steps", "model_error", "safe_stop"]
CallStatus = Literal["ok", "error"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CallRecord(_Record):
    """The result of one tool call inside a step."""

    index: int = Field(ge=0)
    call_id: str
    tool: str
    arguments: dict[str, Any]
    status: CallStatus
    error_type: ErrorType | None = None
    error_message: str | None = None
    arg_issues: list[ArgIssue] = Field(default_factory=list)
    exception_type: str | None = None
    traceback: str | None = None
    output: Any = None
    """The tool's output as JSON (the executor converts it with ``to_jsonable_python``)."""
    state_changed: bool = False
    latency_ns: int = Field(default=0, ge=0)


class Step(_Record):
    """One policy decision: what it saw, what it emitted, what was parsed and what happened."""

    index: int = Field(ge=0)
    observation: list[Message]
    raw_output: RawOutput
    actions: list[Action] = Field(default_factory=list)
    calls: list[CallRecord] = Field(default_factory=list)
    error_type: ErrorType | None = None
    error_message: str | None = None
    feedback: str | None = None
    correction_of: int | None = None
    user_reply: str | None = None
    policy_latency_ns: int = Field(default=0, ge=0)
    latency_ns: int = Field(default=0, ge=0)
    reward: float | None = None
    screenshot: str | None = None
    judged_correct: bool | None = None
    """The verifier's independent judgement of this step's actions (None: nothing to judge).
    This and the three fields below are copied from the episode's judgement (docs/metrics.md)."""
    over_correction: bool | None = None
    """For a correction (``correction_of`` set): the corrected step was already correct by
    the verifier and this step changed it. None for steps that correct nothing."""
    correction_ok: bool | None = None
    """For a correction: recovery success -- the revision executed without a runtime error
    and is judged correct, or (no judge for it) the episode then succeeded. None otherwise."""
    correction_attempted: bool | None = None
    """For a feedback event (a runtime-error step that is not the episode's last): whether a
    later step corrects it. None for other steps."""

    @property
    def is_tool_step(self) -> bool:
        return bool(self.calls)


class Episode(_Record):
    """One rollout of one task by one policy."""

    version: int = FORMAT_VERSION
    id: str
    run_id: str
    task_id: str
    suite: str
    policy: str
    trial: int = Field(default=0, ge=0)
    attempt: int = Field(default=1, ge=1)
    """1, or 2 for the revision attempt of the two-attempt (SCoRe) protocol."""
    parent_id: str | None = None
    """For attempt 2: the episode it revises (its history is this episode's prefix)."""
    feedback: str | None = None
    """For attempt 2: the feedback given after attempt 1 (verifier verdict or generic prompt)."""
    seed: int
    outcome: EpisodeOutcome
    stop_reason: str | None = None
    final_answer: JsonValue = None
    final_state: dict[str, JsonValue] | None = None
    steps: list[Step]
    success: bool | None = None
    reward: float | None = None
    reward_components: dict[str, float | None] = Field(default_factory=dict)
    judgement: Judgement | None = None
    """The verifier's judgement, computed once at collection (None: never judged, or a record
    older than format 2). For attempt 2 it judges the whole conversation, both attempts."""
    started_at: datetime
    duration_ns: int = Field(default=0, ge=0)


class RunConfig(_Record):
    """How a run was planned: what ``lightclaw collect --resume`` rebuilds the plan from."""

    suite: str
    """The suite spec as given: a built-in name, ``bfcl:PATH`` or a task-file path."""
    policies: list[str] = Field(default_factory=list)
    trials: int = Field(default=1, ge=1)
    seed: int = 0
    reward_weights: dict[str, float] = Field(default_factory=dict)
    protocol: Literal["single", "two-attempt"] = "single"
    feedback: Literal["generic", "verifier"] | None = None
    """With the two-attempt protocol: the feedback given between the attempts."""
    suite_file: str | None = None
    """The absolute path of the task (or BFCL question) file, for suites loaded from a file."""
    suite_sha256: str | None = None
    """The sha256 of that file's bytes at collection: a later edit is detected, never used."""
    left_out: dict[str, str] = Field(default_factory=dict)
    """Questions of a published benchmark (BFCL) left out of the run because their own answer
    cannot pass their verifier: task id -> why (see docs/bfcl.md)."""


class ToolSchemaRecord(_Record):
    """A tool's JSON schema as offered in a run, with its stable hash."""

    name: str
    hash: str
    json_schema: dict[str, Any]


class Run(_Record):
    """A collection of episodes produced by one command with one configuration."""

    version: int = FORMAT_VERSION
    id: str
    created: datetime
    source: RunSource
    suite: str
    policy: str
    model: str | None = None
    config: RunConfig
    code_version: str
    status: RunStatus = "running"
    tool_schemas: list[ToolSchemaRecord] = Field(default_factory=list)
