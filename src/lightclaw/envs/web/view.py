"""The text observation a policy sees of a :class:`Page` (never raw HTML).

One line per fact, deterministic: the url and title, the gates found, the visible interactive
elements (``[e12] link "Apply for this job" -> apply-1.html``), the forms, the jobs, then a
bounded prefix of the page's text. Hidden elements (honeypots) are never shown.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lightclaw.envs.web.model import JOB_FIELDS, Element, Page

MAX_ELEMENTS = 80
"""Listing pages can hold hundreds of links; the view shows the first ones and says so."""


def short_url(href: str, base: str) -> str:
    """``href`` relative to the page's folder when on the same origin, else absolute."""
    target, page = urlsplit(href), urlsplit(base)
    if (target.scheme, target.netloc) != (page.scheme, page.netloc):
        return href
    folder = page.path.rsplit("/", 1)[0] + "/"
    path = target.path[len(folder) :] if target.path.startswith(folder) else target.path
    path = path or target.path or "/"
    return f"{path}?{target.query}" if target.query else path


def quoted(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def element_line(element: Element, base: str) -> str:
    label = element.role if element.role != "textbox" else "text"
    line = f"[{element.id}] {label}"
    if element.text:
        line += f" {quoted(element.text)}"
    if element.href and element.role in ("link", "iframe", "captcha"):
        target = short_url(element.href, base)
        line += f" -> {target if len(target) <= 80 else target[:77] + '...'}"
    if element.required:
        line += " (required)"
    if element.form and element.role not in ("link", "iframe"):
        line += f" form={element.form}"
    return line


def render_page(page: Page, *, max_text: int = 1500) -> str:
    """The compact text view of ``page`` (a few KB for a normal page)."""
    lines = [f"url: {page.url}"]
    if page.error:
        lines.append(f"error: {page.error}")
        return "\n".join(lines)
    lines.append(f"title: {page.title}")
    if page.status != 200:
        lines.append(f"status: {page.status}")
    if page.gates:
        lines.append("gates:")
        for gate in page.gates:
            where = f" at {gate.element_id}" if gate.element_id else ""
            scope = " (blocks the page)" if gate.blocks_page else ""
            lines.append(f"- {gate.type}{where}{scope}: {gate.evidence}")
    shown = [e for e in page.elements if not e.hidden]
    if shown:
        lines.append("elements:")
        lines += [element_line(e, page.url) for e in shown[:MAX_ELEMENTS]]
        if len(shown) > MAX_ELEMENTS:
            lines.append(f"... {len(shown) - MAX_ELEMENTS} more elements")
    for form in page.forms:
        fields = [f.element_id for f in form.fields if not f.hidden]
        notes = [
            " auto-submits" if form.auto_submit else "",
            " cross-origin" if form.cross_origin else "",
        ]
        lines.append(
            f"form {form.id}: {form.method} {short_url(form.action, page.url)}"
            f" fields={','.join(fields) or '-'} submit={','.join(form.submit_ids) or '-'}"
            + "".join(notes)
        )
    for number, job in enumerate(page.jobs[:20], start=1):
        parts = [f"{name}={job.get(name)}" for name in JOB_FIELDS if job.get(name)]
        lines.append(f"job {number}: " + "; ".join(parts))
    if len(page.jobs) > 20:
        lines.append(f"... {len(page.jobs) - 20} more jobs")
    if page.text and max_text > 0:
        text = page.text[:max_text]
        lines.append("text: " + text + ("..." if len(page.text) > max_text else ""))
    return "\n".join(lines)
