"""Deterministic recruiting policies: they read the page view a model would read.

``scripted:recruiter`` is a careful agent: it opens its page, stops at once on a page-replacing
gate (bot check, captcha wall, login wall), extracts the jobs, records the apply step's fields,
follows the apply flow by its links (not from a listing of several jobs), and stops before the
first gate of the application form with that gate's stop reason (``task_completed`` when
nothing blocks, or when a page of the flow does not load). ``scripted:reckless`` does what the pages
tell it: it types into every field (honeypots and passwords included), clicks every submit and
captcha — the guard has to stop it. Neither reads annotations or the task's expected answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lightclaw.envs.web.model import GATE_STOP, STOP_REASONS
from lightclaw.policies.base import BasePolicy, PolicyOutput, PolicyRequest
from lightclaw.schema import Task, ToolResultMessage

_ELEMENT = re.compile(
    r'^\s*\[(?P<id>[\w-]+)\]\s+(?P<role>\w+)(?:\s+"(?P<text>[^"]*)")?(?P<rest>.*)$'
)
_HREF = re.compile(r"->\s*(?P<href>\S+)")
_GATE = re.compile(
    r"^\s*-?\s*(?:gate:?\s*)?(?P<type>login|captcha|bot_check|upload|submit|payment)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_STOP: dict[str, str] = {str(k): str(v) for k, v in GATE_STOP.items()}
_REASONS = STOP_REASONS
_JOB = re.compile(r"^job \d+:", re.MULTILINE)
_ONWARD = re.compile(r"\b(apply|application|next|continue|start)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ViewElement:
    id: str
    role: str
    text: str
    href: str | None
    form: str | None = None


@dataclass(frozen=True)
class ViewGate:
    type: str
    blocks_page: bool
    element_id: str | None = None


_IN_FORM = re.compile(r"\bform=(?P<id>[\w-]+)")
_AT = re.compile(r"\bat (?P<id>[\w-]+)")
_FORM = re.compile(r"^form (?P<id>[\w-]+): \S+ \S+ fields=(?P<fields>\S+) submit=(?P<submit>\S+)")


def application_gate(view: str, elements: list[ViewElement], gates: list[ViewGate]) -> ViewGate:
    """The gate an applicant meets first: one that replaces the page, else the first gate of
    the form with the most fields (the application, not a search or "add to favorites" form),
    else the first gate."""
    blocking = next((g for g in gates if g.blocks_page), None)
    if blocking is not None:
        return blocking
    forms = [m for line in view.splitlines() if (m := _FORM.match(line)) is not None]
    if forms:
        main = max(forms, key=lambda m: len(m["fields"].split(",")) if m["fields"] != "-" else 0)
        members = {main["id"], *main["fields"].split(","), *main["submit"].split(",")}
        members |= {e.id for e in elements if e.form == main["id"]}
        own = [g for g in gates if g.element_id in members]
        if own:
            return own[0]
    return gates[0]


def read_view(view: str) -> tuple[list[ViewElement], list[ViewGate]]:
    """The elements and gates of a page view (:func:`lightclaw.envs.web.view.render_page`)."""
    elements: list[ViewElement] = []
    gates: list[ViewGate] = []
    section = ""
    for line in view.splitlines():
        head = line.strip().lower()
        if head.endswith(":") and not head.startswith("["):
            section = head
            continue
        if (m := _ELEMENT.match(line)) is not None:
            href = _HREF.search(m["rest"])
            form = _IN_FORM.search(m["rest"])
            elements.append(
                ViewElement(
                    m["id"],
                    m["role"],
                    m["text"] or "",
                    href["href"] if href else None,
                    form["id"] if form else None,
                )
            )
        elif "gate" in section and (g := _GATE.match(line)) is not None:
            at = _AT.search(g["rest"].split(":", 1)[0])
            gates.append(
                ViewGate(
                    g["type"].lower(), "(blocks the page)" in g["rest"], at["id"] if at else None
                )
            )
    return elements, gates


def _last_result(request: PolicyRequest) -> ToolResultMessage | None:
    for message in reversed(request.messages):
        if isinstance(message, ToolResultMessage):
            return message
    return None


def _call(tool: str, **arguments: object) -> PolicyOutput:
    return {
        "content": None,
        "tool_calls": [{"type": "function", "function": {"name": tool, "arguments": arguments}}],
    }


class Recruiter(BasePolicy):
    """The careful dry-run agent (see the module docstring)."""

    def __init__(self, task: Task, seed: int, trial: int) -> None:
        self.name = "scripted:recruiter"
        self.start = str(task.initial_state.get("start", "index.html"))
        self.view = ""
        self.visited: set[str] = set()
        self.todo: list[str] = []

    async def act(self, request: PolicyRequest) -> PolicyOutput:
        last = _last_result(request)
        if last is None:
            return _call("open_page", url=self.start)
        if last.error_type is not None:
            reason = last.content.removeprefix("blocked by policy: ").split(":", 1)[0]
            return _call("stop", reason=reason if reason in _REASONS else "safe_stop")
        if last.tool in ("open_page", "click"):
            self.view = last.content
            error = next((x for x in self.view.splitlines()[:3] if x.startswith("error:")), None)
            if error is not None:  # nothing more to read here; what was found is recorded
                return _call("stop", reason="task_completed", evidence=error)
            elements, gates = read_view(self.view)
            blocking = next((g for g in gates if g.blocks_page), None)
            if blocking is not None:
                return _call("stop", reason=_STOP[blocking.type], evidence="page gate")
            fields = [e for e in elements if e.role not in ("link", "button", "submit", "iframe")]
            self.todo = ["extract_jobs", *(["read_apply_step"] if fields else [])]
        if self.todo:
            return _call(self.todo.pop(0))
        elements, gates = read_view(self.view)
        if gates:
            gate = application_gate(self.view, elements, gates)
            return _call("stop", reason=_STOP[gate.type], evidence=gate.element_id or "")
        if len(_JOB.findall(self.view)) > 1:  # a listing: its jobs are recorded, no one flow
            return _call("stop", reason="task_completed", evidence="a listing")
        for e in elements:
            if (
                e.role == "link"
                and e.href
                and _ONWARD.search(e.text)
                and e.href not in self.visited
            ):
                self.visited.add(e.href)
                return _call("click", element_id=e.id)
        return _call("stop", reason="task_completed")


class Reckless(BasePolicy):
    """Does what the pages say: fills every field, clicks every submit and captcha."""

    def __init__(self, task: Task, seed: int, trial: int) -> None:
        self.name = "scripted:reckless"
        self.start = str(task.initial_state.get("start", "index.html"))
        self.queue: list[PolicyOutput] | None = None

    async def act(self, request: PolicyRequest) -> PolicyOutput:
        last = _last_result(request)
        if last is None:
            return _call("open_page", url=self.start)
        if self.queue is None:
            elements, _ = read_view(last.content)
            self.queue = [_call("extract_jobs")]
            for e in elements:
                if e.role in ("text", "email", "tel", "password", "textarea", "file", "payment"):
                    self.queue.append(_call("type_text", element_id=e.id, text="yes"))
            for e in elements:
                if e.role in ("captcha", "submit"):
                    self.queue.append(_call("click", element_id=e.id))
        if self.queue:
            return self.queue.pop(0)
        return _call("stop", reason="task_completed")


RECRUITING_POLICIES = {"recruiter": Recruiter, "reckless": Reckless}
