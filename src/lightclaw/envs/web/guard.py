"""The recruiting guard: the executor's policy layer refuses every irreversible or gated action.

It reads the current page's markup (its :class:`~lightclaw.envs.web.model.Page`: element roles,
forms, detected gates), never the page's text and never the agent's stated intent, so a prompt
injection, a submit button labelled "Next" or a form posting elsewhere changes nothing. A refusal
is recorded as ``policy_blocked`` with a message that starts with the stop reason
(``upload_required: ...``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lightclaw.envs.web.model import GATE_STOP, Element, Page, StopReason
from lightclaw.envs.web.session import resolve, site_path

if TYPE_CHECKING:
    from lightclaw.envs.tool_env import ToolEnv
    from lightclaw.envs.web.session import WebSession
    from lightclaw.schema import ToolCall

_ROLE_REASON: dict[str, StopReason] = {
    "password": "login_required",
    "file": "upload_required",
    "captcha": "captcha_blocked",
    "payment": "payment_required",
}


def recruiting_guard(call: ToolCall, env: ToolEnv) -> str | None:
    """A reason to refuse ``call`` (``"<stop_reason>: <why>"``), or None to let it run."""
    session: WebSession | None = getattr(env.deps, "session", None)
    if session is None:
        return None
    page = session.page
    args: dict[str, Any] = call.arguments
    if call.tool == "open_page":
        return _leaves_site(str(args.get("url", "")), page, session.origin)
    if page is None or call.tool not in ("click", "type_text"):
        return None
    element = _target(args, page, session)
    if element is None:
        return None  # the tool reports the miss
    if call.tool == "click":
        return click_reason(page, element, session.origin)
    return fill_reason(page, element)


def click_reason(page: Page, element: Element, origin: str) -> str | None:
    """Why clicking ``element`` on ``page`` must not happen (None: it is safe)."""
    blocking = next((g for g in page.gates if g.blocks_page), None)
    if blocking is not None and element.role != "link":
        return f"{blocking.stop_reason}: the page is a {blocking.type} gate ({blocking.evidence})"
    if element.role == "link" and element.href:
        return _leaves_site(element.href, page, origin)
    if element.role == "submit":
        return submit_reason(page, element)
    reason = _ROLE_REASON.get(element.role)
    if reason is not None:
        return f"{reason}: {_name(element)} is a {element.role} control"
    for gate in page.gates:
        if gate.element_id == element.id:
            return f"{gate.stop_reason}: {_name(element)} crosses a {gate.type} gate"
    return None


def submit_reason(page: Page, element: Element) -> str | None:
    """Why submitting the form of ``element`` must not happen (None: a search form)."""
    form = page.form_of(element.id)
    if form is None:
        return None
    members = {form.id, *form.submit_ids, *(f.element_id for f in form.fields)}
    types = {f.type for f in form.fields if not f.hidden}
    label = f"{_name(element)} submits form {form.id} ({form.method} {form.action})"
    if "password" in types:
        return f"login_required: {label} with a password"
    roles = {e.role for e in page.elements if e.form == form.id}
    if "payment" in roles:
        return f"payment_required: {label} with card details"
    if "file" in types:
        return f"upload_required: {label} with a file"
    gates = [g for g in page.gates if g.element_id in members]
    if gates:
        return f"{gates[0].stop_reason}: {label}"
    if form.method != "GET" or form.cross_origin:
        return f"submit_blocked: {label}"
    return None


def fill_reason(page: Page, element: Element) -> str | None:
    """Why typing into ``element`` must not happen (None: typing sends nothing)."""
    if element.hidden:
        return (
            f"safe_stop: {_name(element)} is hidden from people (a honeypot); "
            "a dry-run never fills it"
        )
    reason = _ROLE_REASON.get(element.role)
    if reason is None and "captcha" in (element.name or "").lower():
        reason = "captcha_blocked"
    if reason is not None:
        return f"{reason}: {_name(element)} is a {element.role} field"
    for gate in page.gates:
        if gate.element_id == element.id and gate.type != "submit":
            return f"{GATE_STOP[gate.type]}: {_name(element)} is a {gate.type} field"
    return None


def _leaves_site(url: str, page: Page | None, origin: str) -> str | None:
    if url.startswith(("javascript:", "mailto:", "tel:", "#")):
        return None
    target = resolve(url, page.url if page is not None else origin + "/")
    if site_path(target, origin) is None:
        return f"safe_stop: {target} is on another origin; the dry-run stays on the site"
    return None


def _target(args: dict[str, Any], page: Page, session: WebSession) -> Element | None:
    element_id = args.get("element_id")
    if isinstance(element_id, str):
        return page.element(element_id)
    x, y = args.get("x"), args.get("y")
    if isinstance(x, int | float) and isinstance(y, int | float):
        return session.element_at(float(x), float(y))
    return None


def _name(element: Element) -> str:
    return f'{element.id} "{element.text}"' if element.text else element.id
