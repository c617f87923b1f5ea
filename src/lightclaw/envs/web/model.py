"""What the recruiting web env sees of a page: a typed model, the same for both backends.

A :class:`Page` is built from HTML by :func:`lightclaw.envs.web.parse.parse_page` (the static
backend parses the file; the browser backend parses the live DOM after tagging every
interactive element with ``data-lc-id``, and adds boxes). Policies never see raw HTML: they see
:func:`lightclaw.envs.web.view.render_page`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

StopReason = Literal[
    "login_required",
    "captcha_blocked",
    "upload_required",
    "submit_blocked",
    "bot_check",
    "payment_required",
    "safe_stop",
    "task_completed",
]
STOP_REASONS: tuple[StopReason, ...] = get_args(StopReason)
BLOCKING_REASONS = frozenset(STOP_REASONS) - {"task_completed"}
"""Stop reasons that say "a gate is here" (everything but ``task_completed``)."""

GateType = Literal["login", "captcha", "bot_check", "upload", "submit", "payment"]
GATE_STOP: dict[GateType, StopReason] = {
    "login": "login_required",
    "captcha": "captcha_blocked",
    "bot_check": "bot_check",
    "upload": "upload_required",
    "submit": "submit_blocked",
    "payment": "payment_required",
}

Role = Literal[
    "link",
    "button",
    "submit",
    "textbox",
    "email",
    "tel",
    "password",
    "file",
    "checkbox",
    "radio",
    "select",
    "textarea",
    "hidden",
    "iframe",
    "captcha",
    "payment",
]

FieldSource = Literal["json-ld", "microdata", "heuristic", "url"]
JOB_FIELDS = (
    "title",
    "company",
    "location",
    "employment_type",
    "salary",
    "posted_date",
    "apply_url",
)


@dataclass(frozen=True, slots=True)
class Element:
    """An interactive element, addressed by ``id`` (``e1``, ``e2``, ... in document order)."""

    id: str
    tag: str
    role: Role
    text: str = ""
    """Visible label or text, whitespace-collapsed, at most 100 characters."""
    href: str | None = None
    """Absolute URL of a link (or iframe ``src``)."""
    form: str | None = None
    """Id of the form element this control belongs to."""
    name: str | None = None
    required: bool = False
    hidden: bool = False
    """Not visible to a person (type=hidden, ``hidden``, ``display:none``, off-screen...)."""
    bbox: tuple[float, float, float, float] | None = None
    """``(x, y, width, height)`` in screenshot pixels (browser backend only)."""


@dataclass(frozen=True, slots=True)
class FormField:
    """One field of a form as an applicant sees it (an apply step's unit)."""

    element_id: str
    label: str
    type: str
    """``text``, ``email``, ``tel``, ``file``, ``select``, ``textarea``, ``checkbox``... (the
    input's type, or the tag for select/textarea)."""
    required: bool
    name: str | None = None
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class Form:
    """A form on the page and what submitting it would do."""

    id: str
    """The element id of the ``<form>``."""
    action: str
    """Absolute URL the form submits to."""
    method: str
    """``GET`` or ``POST`` (upper case)."""
    fields: tuple[FormField, ...] = ()
    submit_ids: tuple[str, ...] = ()
    """Element ids of the controls that submit this form (whatever their label says)."""
    auto_submit: bool = False
    """A script on the page submits it without a click (``form.submit()`` on load...)."""
    cross_origin: bool = False
    """``action`` points at another origin than the page's."""


@dataclass(frozen=True, slots=True)
class Gate:
    """Something that blocks a safe dry-run: the agent must stop before it."""

    type: GateType
    evidence: str
    """What in the markup shows it (a selector, marker or script URL), for the report."""
    element_id: str | None = None
    """The element that would cross it (the submit button, the file input...), if any."""
    blocks_page: bool = False
    """True when the gate replaces the page (a bot-check interstitial, a login wall): nothing
    else on it is reachable. False when it sits on a control (an upload field, a submit)."""

    @property
    def stop_reason(self) -> StopReason:
        return GATE_STOP[self.type]


@dataclass(frozen=True, slots=True)
class FieldValue:
    value: str
    source: FieldSource


@dataclass(frozen=True, slots=True)
class ExtractedJob:
    """One job found on a page; each field knows where it came from."""

    fields: dict[str, FieldValue] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        found = self.fields.get(name)
        return found.value if found else None


@dataclass(frozen=True, slots=True)
class Page:
    """A loaded page."""

    url: str
    title: str = ""
    status: int = 200
    elements: tuple[Element, ...] = ()
    forms: tuple[Form, ...] = ()
    gates: tuple[Gate, ...] = ()
    text: str = ""
    """The page's readable text (scripts, styles and hidden elements removed), whitespace-
    collapsed; the view shows a bounded prefix of it."""
    jobs: tuple[ExtractedJob, ...] = ()
    """Jobs found on the page (JSON-LD first, then microdata, then heuristics)."""
    error: str | None = None
    """Why the page could not be loaded or parsed (the page is then otherwise empty)."""

    def element(self, element_id: str) -> Element | None:
        return next((e for e in self.elements if e.id == element_id), None)

    def form(self, form_id: str) -> Form | None:
        return next((f for f in self.forms if f.id == form_id), None)

    def form_of(self, element_id: str) -> Form | None:
        """The form a control submits (for a submit control) or belongs to."""
        for form in self.forms:
            if element_id in form.submit_ids or element_id == form.id:
                return form
        element = self.element(element_id)
        return self.form(element.form) if element and element.form else None


@dataclass(frozen=True, slots=True)
class NetEvent:
    """One request the session made or stopped (the network/route log).

    ``kind``: ``navigation`` (a GET of a page), ``subresource``, ``submission`` (a request that
    carries form data: any non-GET, or a GET form submission), ``upload`` (a file chosen for an
    input), ``login`` (a password typed), ``captcha`` (a captcha widget clicked or answered).
    ``outcome``: ``sent`` (it reached the server), ``aborted`` (the route stopped it),
    ``refused`` (never attempted: the static backend only records what it would have sent).
    ``by``: ``agent`` (caused by an action) or ``page`` (the page's own scripts, on load).
    """

    kind: Literal["navigation", "subresource", "submission", "upload", "login", "captcha"]
    url: str
    method: str = "GET"
    outcome: Literal["sent", "aborted", "refused"] = "sent"
    by: Literal["agent", "page"] = "agent"
    step: int | None = None
    reason: str | None = None
