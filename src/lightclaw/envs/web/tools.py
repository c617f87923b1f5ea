"""The recruiting web env's tools: what any policy (scripted or a live model) can do on a page.

Every tool works on the episode's :class:`WebEpisode` (``ToolContext.deps``) and keeps the
episode's state JSON-able: the current page, the pages visited, the jobs and apply steps
recorded, the gates seen, the stop and the network log.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from lightclaw.envs.web.model import ExtractedJob, Page, StopReason
from lightclaw.envs.web.session import OffOrigin, site_path
from lightclaw.envs.web.view import render_page
from lightclaw.tools import GuiMiss, ToolContext, ToolRegistry, tool

if TYPE_CHECKING:
    from lightclaw.envs.web.episode import WebEpisode

WEB_TOOLS = ("open_page", "click", "type_text", "extract_jobs", "read_apply_step", "stop")


def _episode(ctx: ToolContext) -> WebEpisode:
    from lightclaw.envs.web.episode import WebEpisode

    if not isinstance(ctx.deps, WebEpisode):
        raise RuntimeError("the web tools need a web session (run them in the recruiting env)")
    return ctx.deps


def _shown(ctx: ToolContext, page: Page) -> str:
    """Record the page in the state and return its view."""
    web = _episode(ctx)
    rel = site_path(page.url, web.session.origin) or page.url
    state = ctx.state
    state["url"] = rel
    state.setdefault("visited", []).append(rel)
    if page.error:
        state.setdefault("page_errors", []).append({"page": rel, "error": page.error})
    seen = state.setdefault("gates", [])
    for gate in page.gates:
        entry = {
            "page": rel,
            "type": gate.type,
            "stop_reason": gate.stop_reason,
            "evidence": gate.evidence,
            "element_id": gate.element_id,
        }
        if entry not in seen:
            seen.append(entry)
    web.sync(state)
    view: str = render_page(page)
    return view


@tool
async def open_page(url: str, ctx: ToolContext) -> str:
    """Open a page of the site and show it (a path such as 'lever/acme.html', or a URL on the site).

    Args:
        url: The page to open, relative to the current page or the site root.
    """
    web = _episode(ctx)
    try:
        page = await web.session.open(url, step=ctx.step)
    except OffOrigin as exc:
        raise ValueError(f"{exc} is on another origin; the dry-run stays on the site") from None
    return _shown(ctx, page)


@tool
async def click(
    ctx: ToolContext,
    element_id: str | None = None,
    x: float | None = None,
    y: float | None = None,
) -> str:
    """Click an element of the page, by its id (e12) or at screenshot pixel coordinates.

    Args:
        element_id: The id the page view shows in brackets, e.g. e12.
        x: Horizontal pixel of the screenshot (with y, instead of element_id).
        y: Vertical pixel of the screenshot.
    """
    web = _episode(ctx)
    if element_id is None:
        if x is None or y is None:
            raise ValueError("give element_id, or both x and y")
        hit = web.session.element_at(x, y)
        if hit is None:
            raise GuiMiss(f"no interactive element at ({x:g}, {y:g})")
        element_id = hit.id
    try:
        page = await web.session.click(element_id, step=ctx.step)
    except KeyError as exc:
        raise GuiMiss(str(exc.args[0]) if exc.args else str(exc)) from None
    return _shown(ctx, page)


@tool
async def type_text(element_id: str, text: str, ctx: ToolContext) -> str:
    """Type text into a field of the page (nothing is sent).

    Args:
        element_id: The field's id, e.g. e14.
        text: What to type.
    """
    web = _episode(ctx)
    try:
        await web.session.fill(element_id, text, step=ctx.step)
    except KeyError as exc:
        raise GuiMiss(str(exc.args[0]) if exc.args else str(exc)) from None
    web.sync(ctx.state)
    return f"typed into {element_id}"


@tool
async def extract_jobs(ctx: ToolContext) -> list[dict[str, Any]]:
    """Extract the job postings of the current page (each field with its source) and record them."""
    web = _episode(ctx)
    page = web.current()
    rel = site_path(page.url, web.session.origin) or page.url
    found = [job_record(job, rel) for job in page.jobs]
    jobs: list[dict[str, Any]] = ctx.state.setdefault("jobs", [])
    for job in found:
        if job not in jobs:
            jobs.append(job)
    return found


@tool
async def read_apply_step(ctx: ToolContext) -> dict[str, Any]:
    """Record the fields of the current page's application form (label, type, required)."""
    web = _episode(ctx)
    page = web.current()
    rel = site_path(page.url, web.session.origin) or page.url
    fields = [
        {"label": f.label, "type": f.type, "required": f.required}
        for form in page.forms
        for f in form.fields
        if not f.hidden and f.type not in ("submit", "button", "hidden", "image", "reset")
    ]
    step = {"page": rel, "fields": fields}
    steps: list[dict[str, Any]] = ctx.state.setdefault("apply_steps", [])
    if fields and step not in steps:
        steps.append(step)
    return step


@tool
async def stop(reason: StopReason, ctx: ToolContext, evidence: str = "") -> str:
    """Stop the dry-run here, with the reason (a gate reached, or task_completed).

    Args:
        reason: Why the run stops: login_required, captcha_blocked, upload_required,
            submit_blocked, bot_check, payment_required, safe_stop or task_completed.
        evidence: What on the page shows it (an element id, a marker).
    """
    web = _episode(ctx)
    ctx.state["stop"] = {"reason": reason, "evidence": evidence, "page": ctx.state.get("url")}
    web.sync(ctx.state)
    ctx.end_episode(reason)
    return f"stopped: {reason}"


def job_record(job: ExtractedJob, page: str) -> dict[str, Any]:
    return {"page": page, "fields": {k: asdict(v) for k, v in job.fields.items()}}


def web_registry() -> ToolRegistry:
    """A fresh registry of the web tools."""
    return ToolRegistry([open_page, click, type_text, extract_jobs, read_apply_step, stop])
