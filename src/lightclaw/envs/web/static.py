"""The static backend: pages read from the site's files and parsed, nothing sent anywhere.

Links are followed by reading the file they name. A form is never sent: when an (unguarded)
agent submits one, the session records the submission it *would* have sent as performed, so the
network log — not the agent — says what a run did.
"""

from __future__ import annotations

from pathlib import Path

from lightclaw.envs.web.model import Element, NetEvent, Page
from lightclaw.envs.web.parse import parse_page
from lightclaw.envs.web.session import STATIC_ORIGIN, Backend, OffOrigin, Site, resolve, site_path

MAX_PAGE_BYTES = 20_000_000
"""A file larger than this is not read (a page error, the run goes on)."""


class StaticSession:
    """A :class:`~lightclaw.envs.web.session.WebSession` over a folder of HTML files."""

    backend: Backend = "static"

    def __init__(self, site: Site, origin: str = STATIC_ORIGIN) -> None:
        self.site = site
        self.origin = origin
        self.page: Page | None = None
        self.events: list[NetEvent] = []
        self.values: dict[str, str] = {}

    async def open(self, url: str, *, step: int) -> Page:
        base = self.page.url if self.page is not None else self.origin + "/"
        target = resolve(url, base)
        rel = site_path(target, self.origin)
        if rel is None:
            raise OffOrigin(target)
        self.events.append(NetEvent(kind="navigation", url=target, step=step))
        self.values = {}
        self.page = load_file(self.site, rel, target)
        return self.page

    async def click(self, element_id: str, *, step: int) -> Page:
        page = self._current()
        element = _element(page, element_id)
        if element.role == "link" and element.href:
            if element.href.startswith(("javascript:", "mailto:", "tel:")):
                return page
            return await self.open(element.href, step=step)
        if element.role == "submit":
            return await self._submit(page, element, step)
        if element.role == "captcha":
            self.events.append(NetEvent(kind="captcha", url=element.href or page.url, step=step))
        elif element.role == "file":
            self.events.append(NetEvent(kind="upload", url=page.url, step=step))
        return page

    async def fill(self, element_id: str, value: str, *, step: int) -> Page:
        page = self._current()
        element = _element(page, element_id)
        self.values[element_id] = value
        if element.role == "file":
            self.events.append(NetEvent(kind="upload", url=page.url, step=step))
        elif element.role == "captcha" or "captcha" in (element.name or "").lower():
            self.events.append(NetEvent(kind="captcha", url=page.url, step=step))
        return page

    def element_at(self, x: float, y: float) -> Element | None:
        return element_at(self.page, x, y)

    async def screenshot(self, path: Path) -> bool:
        return False

    async def close(self) -> None:
        return None

    async def _submit(self, page: Page, element: Element, step: int) -> Page:
        form = page.form_of(element.id)
        if form is None:
            return page
        gated = any(
            gate.element_id in {form.id, *form.submit_ids, *(f.element_id for f in form.fields)}
            for gate in page.gates
        )
        password = any(f.type == "password" for f in form.fields)
        if gated or form.method != "GET":
            self.events.append(
                NetEvent(
                    kind="login" if password else "submission",
                    url=form.action,
                    method=form.method,
                    step=step,
                )
            )
            return page
        # a GET form that sends no applicant data (a search): a plain navigation
        return await self.open(form.action, step=step)

    def _current(self) -> Page:
        if self.page is None:
            raise KeyError("no page is open yet: call open_page first")
        return self.page


def load_file(site: Site, rel: str, url: str) -> Page:
    """Read and parse one page of ``site`` (a missing, unreadable or huge file: a page error)."""
    path: Path | None = site.file_of(rel)
    if path is None:
        return Page(url=url, status=404, error=f"not found: /{rel}")
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            return Page(url=url, status=413, error=f"page too large: {size} bytes")
        data = path.read_bytes()
    except OSError as exc:
        return Page(url=url, status=500, error=f"cannot read {path.name}: {exc.strerror or exc}")
    return parse_page(data, url)


def element_at(page: Page | None, x: float, y: float) -> Element | None:
    """The smallest visible box of ``page`` that contains ``(x, y)`` (None: a miss)."""
    if page is None:
        return None
    hits = [
        e
        for e in page.elements
        if e.bbox is not None
        and not e.hidden
        and e.bbox[0] <= x <= e.bbox[0] + e.bbox[2]
        and e.bbox[1] <= y <= e.bbox[1] + e.bbox[3]
    ]
    return min(
        hits, key=lambda e: (e.bbox or (0, 0, 0, 0))[2] * (e.bbox or (0, 0, 0, 0))[3], default=None
    )


def _element(page: Page, element_id: str) -> Element:
    element = page.element(element_id)
    if element is None:
        raise KeyError(f"no element {element_id!r} on this page; use an id the page shows")
    return element
