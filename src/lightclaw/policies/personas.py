"""Scripted personas: deterministic policies whose *behaviour* produces the spread of outcomes.

Each persona follows the task's oracle solution but misbehaves in its own way and reacts to the
runtime's feedback (the error observations it receives), exactly as a model would have to:

* ``oracle``        — emits the oracle solution (in a seeded mix of output formats).
* ``sloppy``        — emits malformed JSON and/or a wrong argument type, then fixes it
                      after feedback.
* ``stubborn``      — sends a call with a missing (or unexpected) argument and retries it
                      unchanged; gives up with a non-answer, or runs out of steps.
* ``overcorrector`` — solves the task, then "corrects" an already-correct call and changes
                      its answer.
* ``slow``          — tries a tool that hangs (where the task offers one) and falls back
                      after the timeout.
* ``hallucinator``  — calls tools that do not exist or invents argument values, then
                      recovers (or not).
* ``flaky``         — an endpoint that sometimes fails outright (``model_error``).

Nothing here sets an outcome label: outcomes are what the runtime and verifiers make of the output.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

from lightclaw.errors import UnknownChoiceError
from lightclaw.policies.base import (
    BasePolicy,
    PolicyError,
    PolicyFactory,
    PolicyOutput,
    PolicyRequest,
)
from lightclaw.policies.feedback import FeedbackKind, classify
from lightclaw.schema import (
    Action,
    AssistantMessage,
    ErrorType,
    FeedbackMessage,
    FinalAnswer,
    SelfCorrection,
    Task,
    ToolCall,
    ToolResultMessage,
    ToolSchema,
    UserMessage,
)

HALLUCINATED_TOOLS = ("web_search", "send_email", "get_weather", "lookup_database")
STYLES = ("tool_calls", "json", "fenced")


def last_errors(messages: Sequence[Any]) -> list[ErrorType]:
    """Error types fed back since the policy's last output."""
    errors: list[ErrorType] = []
    for message in reversed(messages):
        if isinstance(message, AssistantMessage):
            break
        if isinstance(message, ToolResultMessage | FeedbackMessage) and message.error_type:
            errors.append(message.error_type)
    return errors


def render(actions: Sequence[Action], style: str) -> PolicyOutput:
    """Render actions as a model would emit them: OpenAI tool_calls, bare JSON or fenced JSON."""
    calls = [a for a in actions if isinstance(a, ToolCall)]
    if style == "tool_calls" and calls and len(calls) == len(actions):
        return {
            "content": None,
            "tool_calls": [
                {
                    "id": c.call_id or f"call_{i}",
                    "type": "function",
                    "function": {"name": c.tool, "arguments": json.dumps(c.arguments)},
                }
                for i, c in enumerate(calls)
            ],
        }
    dumped = [a.model_dump(mode="json", exclude_none=True) for a in actions]
    text = json.dumps(dumped[0] if len(dumped) == 1 else dumped, ensure_ascii=False)
    if style == "fenced":
        return f"I'll do the next step now.\n```json\n{text}\n```"
    return text


def _schema_of(request: PolicyRequest, name: str) -> ToolSchema | None:
    return next((t for t in request.tools if t.name == name), None)


def drop_required(call: ToolCall, schema: ToolSchema | None) -> ToolCall:
    """The call without its first required argument (or with an unexpected one if none)."""
    required = list(schema.parameters.get("required", [])) if schema else []
    args = dict(call.arguments)
    if required and required[0] in args:
        del args[required[0]]
    else:
        args["extra_flag"] = True
    return call.model_copy(update={"arguments": args})


def wrong_type(call: ToolCall) -> ToolCall:
    """The call with its first argument given the wrong JSON type."""
    args = dict(call.arguments)
    if not args:
        return call.model_copy(update={"arguments": {"extra_flag": True}})
    key, value = next(iter(args.items()))
    if isinstance(value, bool):
        args[key] = "yes"
    elif isinstance(value, int | float):
        args[key] = str(value)
    elif isinstance(value, str):
        args[key] = 12345
    else:
        args[key] = "oops"
    return call.model_copy(update={"arguments": args})


def invent_value(call: ToolCall) -> ToolCall | None:
    """The call with its first free-text argument replaced by a made-up value."""
    for key, value in call.arguments.items():
        if isinstance(value, str):
            return call.model_copy(update={"arguments": {**call.arguments, key: "N/A-" + value}})
    return None


def nudge(value: Any) -> Any:
    """A plausible but different value (what an over-eager reviser produces)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return round(value * 1.1 + 1, 4)
    if isinstance(value, str):
        return value + " (revised)" if value else "revised"
    if isinstance(value, list):
        return value[:-1] if value else ["revised"]
    if isinstance(value, dict):
        return {k: nudge(v) for k, v in value.items()}
    return "revised"


def nudge_answer(content: Any) -> Any:
    """A confidently revised answer: its last number moved by one, or the text replaced."""
    if isinstance(content, str):
        numbers = list(re.finditer(r"-?\d+(?:\.\d+)?", content))
        if not numbers:
            return "On reflection I am not sure; my revised answer is: none."
        last = numbers[-1]
        return content[: last.start()] + _bump(last.group()) + content[last.end() :]
    return nudge(content)


def _bump(number: str) -> str:
    return str(float(number) + 1) if "." in number else str(int(number) + 1)


class Persona(BasePolicy):
    """Base persona: walks the oracle solution; subclasses misbehave in :meth:`decide`."""

    persona = "oracle"

    def __init__(self, task: Task, seed: int, trial: int) -> None:
        self.task = task
        self.name = f"scripted:{self.persona}"
        self.rng = random.Random(f"{self.persona}:{task.id}:{seed}:{trial}")
        self.style = self.rng.choice(STYLES)
        self.pos = 0  # next oracle step to emit
        self.mode = "start"
        self.attempts = 0
        self.revising = False
        self.rng_calm = self.rng.random() < 0.5
        self.limit = 0
        self.persist = False
        self.bad: ToolCall | None = None

    # helpers ----------------------------------------------------------------------------
    def next_oracle(self) -> list[Action]:
        step = self.task.oracle[min(self.pos, len(self.task.oracle) - 1)]
        self.pos += 1
        return list(step)

    def peek(self) -> list[Action]:
        return list(self.task.oracle[min(self.pos, len(self.task.oracle) - 1)])

    def first_call(self) -> ToolCall | None:
        return next((a for a in self.peek() if isinstance(a, ToolCall)), None)

    def out(self, actions: Sequence[Action]) -> PolicyOutput:
        return render(actions, self.style)

    async def act(self, request: PolicyRequest) -> PolicyOutput:
        revision = revision_request(request.messages)
        if revision is not None and not self.revising:
            self.revising = True
            feedback, previous = revision
            return self.revise(request, classify(feedback), previous)
        return self.decide(request, last_errors(request.messages))

    def revise(self, request: PolicyRequest, kind: FeedbackKind, previous: Any) -> PolicyOutput:
        """Second attempt after feedback on its answer: keep it, or redo the task if rejected."""
        if kind == "rejected":
            return self.redo(request)
        return self.out([FinalAnswer(content=previous)])

    def redo(self, request: PolicyRequest) -> PolicyOutput:
        """Follow the oracle solution again from its first step, without misbehaving."""
        self.pos = 0
        self.mode = "done"
        return self.decide(request, [])

    def decide(self, request: PolicyRequest, errors: list[ErrorType]) -> PolicyOutput:
        return self.out(self.next_oracle())


class Oracle(Persona):
    persona = "oracle"


class Sloppy(Persona):
    persona = "sloppy"

    def decide(self, request: PolicyRequest, errors: list[ErrorType]) -> PolicyOutput:
        call = self.first_call()
        if self.mode == "start" and call is not None:
            self.mode = "malformed" if self.rng.random() < 0.6 else "typed"
            if self.mode == "malformed":
                text = json.dumps(call.model_dump(mode="json", exclude_none=True))
                return text[: max(8, len(text) * 2 // 3)]
        if self.mode == "malformed" and call is not None:
            self.mode = "typed" if errors and self.rng.random() < 0.5 else "done"
            if self.mode == "done":
                return self.out(self.next_oracle())
        if self.mode == "typed" and call is not None:
            self.mode = "done"
            return self.out([wrong_type(call)])
        return self.out(self.next_oracle())


class Stubborn(Persona):
    persona = "stubborn"

    def revise(self, request: PolicyRequest, kind: FeedbackKind, previous: Any) -> PolicyOutput:
        return self.out([FinalAnswer(content=previous)])  # insists, whatever it is told

    def decide(self, request: PolicyRequest, errors: list[ErrorType]) -> PolicyOutput:
        call = self.first_call()
        if self.mode == "start" and call is not None:
            self.mode = "retry"
            self.limit = self.rng.choice((2, 3, 99))
            self.bad = drop_required(call, _schema_of(request, call.tool))
        if self.mode == "retry":
            if self.attempts < self.limit and self.bad is not None:
                self.attempts += 1
                return self.out([self.bad])
            self.mode = "gave_up"
            return self.out([FinalAnswer(content="I could not complete this task.")])
        return self.out(self.next_oracle())


class Overcorrector(Persona):
    persona = "overcorrector"

    def revise(self, request: PolicyRequest, kind: FeedbackKind, previous: Any) -> PolicyOutput:
        if kind in ("generic", "other"):  # "there might be an error": it always finds one
            self.pos = len(self.task.oracle) - 1  # at the answer: revise the last call, then it
            return self.decide(request, [])
        return super().revise(request, kind, previous)

    def decide(self, request: PolicyRequest, errors: list[ErrorType]) -> PolicyOutput:
        step = self.peek()
        final = next((a for a in step if isinstance(a, FinalAnswer)), None)
        # about half of first attempts are left alone: they over-correct only when prompted
        calm = not self.revising and self.rng_calm
        if final is None or self.mode == "done" or calm:
            return self.out(self.next_oracle())
        last_call_step = _last_call_step(request)
        if self.mode == "start" and last_call_step is not None:
            self.mode = "revised"
            index, call = last_call_step
            key = next(iter(call.arguments), None)
            args = dict(call.arguments)
            if key is not None:
                args[key] = nudge(args[key])
            revised = call.model_copy(update={"arguments": args, "call_id": None})
            reason = "On reflection the earlier call looks wrong; revising it."
            return self.out([SelfCorrection(corrects_step=index, reason=reason, revised=revised)])
        self.mode = "done"
        self.pos += 1
        return self.out([FinalAnswer(content=nudge_answer(final.content))])


class Slow(Persona):
    persona = "slow"
    hanging_tools = ("fetch_live_rates",)

    def decide(self, request: PolicyRequest, errors: list[ErrorType]) -> PolicyOutput:
        hanging = [t.name for t in request.tools if t.name in self.hanging_tools]
        if self.mode == "start" and hanging and self.first_call() is not None:
            self.mode = "waited"
            schema = _schema_of(request, hanging[0])
            required = schema.parameters.get("required", []) if schema else []
            args = {name: "EUR" for name in required}
            return self.out([ToolCall(tool=hanging[0], arguments=args)])
        return self.out(self.next_oracle())


class Hallucinator(Persona):
    persona = "hallucinator"

    def decide(self, request: PolicyRequest, errors: list[ErrorType]) -> PolicyOutput:
        call = self.first_call()
        if self.mode == "start" and call is not None:
            invented = invent_value(call)
            if invented is not None and self.rng.random() < 0.5:
                self.mode = "fix"
                return self.out([invented])
            self.mode = "tool"
            self.persist = self.rng.random() < 0.4
            return self.out([self._fake(call, 0)])
        if self.mode == "tool" and self.persist and call is not None:
            self.mode = "gave_up"
            return self.out([self._fake(call, 1)])
        if self.mode == "gave_up":
            self.mode = "done"
            return self.out([FinalAnswer(content="The tools I need are not available.")])
        self.mode = "done"
        return self.out(self.next_oracle())

    def _fake(self, call: ToolCall, nth: int) -> ToolCall:
        offered = set(self.task.tools)
        fakes = [t for t in HALLUCINATED_TOOLS if t not in offered]
        return ToolCall(
            tool=fakes[(self.rng.randrange(len(fakes)) + nth) % len(fakes)],
            arguments=dict(call.arguments),
        )


class Flaky(Persona):
    persona = "flaky"

    def __init__(self, task: Task, seed: int, trial: int) -> None:
        super().__init__(task, seed, trial)
        self.fail_at = self.rng.randrange(len(task.oracle)) if self.rng.random() < 0.35 else -1

    def decide(self, request: PolicyRequest, errors: list[ErrorType]) -> PolicyOutput:
        if request.step == self.fail_at:
            raise PolicyError("HTTP 503 Service Unavailable from the model endpoint")
        return self.out(self.next_oracle())


def revision_request(messages: Sequence[Any]) -> tuple[str, Any] | None:
    """(feedback, previous answer) when the policy is asked to revise its final answer."""
    from lightclaw.policies.parsing import parse_output

    if not messages or not isinstance(messages[-1], UserMessage):
        return None
    for message in reversed(messages[:-1]):
        if isinstance(message, AssistantMessage):
            actions = parse_output(message.raw).actions
            final = next((a for a in actions if isinstance(a, FinalAnswer)), None)
            return None if final is None else (messages[-1].content, final.content)
    return None


def _last_call_step(request: PolicyRequest) -> tuple[int, ToolCall] | None:
    """The most recent successful step index and tool call the policy made (from its history)."""
    from lightclaw.policies.parsing import parse_output

    for message in reversed(request.messages):
        if isinstance(message, AssistantMessage):
            parsed = parse_output(message.raw)
            call = next((a for a in parsed.actions if isinstance(a, ToolCall)), None)
            if call is not None:
                return message.step, call
    return None


PERSONAS: dict[str, Callable[[Task, int, int], Persona]] = {
    cls.persona: cls for cls in (Oracle, Sloppy, Stubborn, Overcorrector, Slow, Hallucinator, Flaky)
}


def persona_factory(name: str) -> PolicyFactory:
    """The factory of persona ``name`` (``scripted:NAME``); unknown names list the choices."""
    try:
        return PERSONAS[name]
    except KeyError:
        raise UnknownChoiceError("persona", name, PERSONAS) from None


def resolve_policy(spec: str) -> tuple[str, PolicyFactory]:
    """Resolve a policy spec such as ``scripted:oracle`` to (canonical name, factory)."""
    from lightclaw.policies.recruiting import RECRUITING_POLICIES

    kind, _, name = spec.partition(":")
    names = [*PERSONAS, *RECRUITING_POLICIES]
    if kind != "scripted" or not name or name not in names:
        raise UnknownChoiceError("policy", spec, [f"scripted:{n}" for n in names])
    if name in RECRUITING_POLICIES:
        return f"scripted:{name}", RECRUITING_POLICIES[name]
    return f"scripted:{name}", persona_factory(name)
