"""The route of a browser session: every request it makes is decided and logged here.

:class:`Router` is installed on a Playwright context (``context.route("**/*")``) by
:class:`lightclaw.envs.web.browser.BrowserSession` and appends :class:`NetEvent` records to the
session's ``events``. The rules are in :mod:`lightclaw.envs.web.browser`'s docstring.

How a form submission is recognised: the init script
(:data:`lightclaw.envs.web.scripts.INIT_SCRIPT`) runs in every document before the page's own
scripts and appends a marker field (``FORM_MARK``) to the data of every form submission (the
``formdata`` event fires for clicks, ``requestSubmit()`` and ``form.submit()`` alike). The
marker names the document it came from and whether the form has a password field, so a GET form
submission is told from a link, and an agent's click from a script's on-load submit, on the
request itself. A GET navigation with a query to the action of a GET form of the current page
counts as a submission too (if a page strips the marker).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote_plus

from lightclaw.envs.web.model import NetEvent
from lightclaw.envs.web.scripts import FORM_MARK
from lightclaw.envs.web.session import resolve, site_path

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Frame, Request, Route, WebSocketRoute
    from playwright.async_api import Page as PwPage

    from lightclaw.envs.web.browser import Action, BrowserSession

MAX_REDIRECTS = 10
_MARK_RE = re.compile(r'\{"doc":"([0-9a-z]+)","pw":(true|false)\}')

Kind = Literal["navigation", "subresource", "submission", "login"]


@dataclass(frozen=True, slots=True)
class FormMark:
    doc: str
    password: bool


def form_mark(url: str, body: bytes | None) -> FormMark | None:
    """The marker :data:`INIT_SCRIPT` put in a submission's URL or body, if any."""
    for text in (url, body.decode("latin-1") if body else ""):
        if FORM_MARK not in text and FORM_MARK.replace("_", "%5F") not in text:
            continue
        found = _MARK_RE.search(unquote_plus(text)) or _MARK_RE.search(text)
        if found:
            return FormMark(doc=found.group(1), password=found.group(2) == "true")
    return None


def without_mark(url: str) -> str:
    """``url`` without the marker parameter (what the page itself would have sent)."""
    if "?" not in url:
        return url
    head, query = url.split("?", 1)
    kept = [part for part in query.split("&") if not part.startswith(FORM_MARK + "=")]
    return f"{head}?{'&'.join(kept)}"


_DESTINATIONS = {
    "script": "script",
    "stylesheet": "style",
    "image": "image",
    "font": "font",
    "media": "video",
    "manifest": "manifest",
    "texttrack": "track",
}


def _destination(request: Request, main: bool) -> str:
    """The ``Sec-Fetch-Dest`` Chromium gives a request of this resource type."""
    if request.resource_type == "document":
        return "document" if main else "iframe"
    return _DESTINATIONS.get(request.resource_type, "empty")


def _base(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0]


class Router:
    """Decides each request of one session, logs it, and tracks the main frame's navigations."""

    def __init__(self, session: BrowserSession) -> None:
        self.session = session
        self.main_navigations = 0
        """Main-frame navigation requests seen so far (let through or stopped)."""
        self.awaiting_commit = False
        """A main-frame navigation was let through and has not committed yet."""
        self.nav_error: str | None = None
        """Why the current action's navigation failed (an off-origin redirect)."""
        self.status = 200
        """HTTP status of the main frame's last document."""
        self._action: Action | None = None
        self._doc: str | None = None
        self._step: int | None = None
        self._page: PwPage | None = None
        self._latest: Request | None = None
        self._changed = asyncio.Event()
        self._popups: set[asyncio.Task[None]] = set()

    async def install(self, context: BrowserContext) -> None:
        await context.route("**/*", self._handle)
        await context.route_web_socket("**/*", self._web_socket)
        context.on("page", self._on_page)

    def watch(self, page: PwPage) -> None:
        self._page = page
        page.on("framenavigated", self._on_navigated)

    def begin(self, action: Action, step: int, doc: str | None) -> None:
        """An agent action starts (``doc``: the token of the document it acts on)."""
        self._action, self._step, self._doc = action, step, doc
        self.nav_error = None

    def end(self) -> None:
        self._action = None
        self._doc = None

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Wait until ``predicate()`` holds (re-checked on every route/navigation change) or
        ``timeout`` seconds pass."""
        end = time.monotonic() + max(timeout, 0.0)
        while not predicate():
            remaining = end - time.monotonic()
            if remaining <= 0:
                return
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return

    # -- events ----------------------------------------------------------------------------------

    def _signal(self) -> None:
        self._changed.set()

    def _on_navigated(self, frame: Frame) -> None:
        if self._page is not None and frame == self._page.main_frame:
            self.awaiting_commit = False
            self._signal()

    def _on_page(self, page: PwPage) -> None:
        if page is self._page or self._page is None:
            return
        task = asyncio.ensure_future(self._close_popup(page))
        self._popups.add(task)
        task.add_done_callback(self._popups.discard)

    async def _close_popup(self, page: PwPage) -> None:
        from playwright.async_api import Error as PlaywrightError

        with contextlib.suppress(PlaywrightError):
            await page.close()

    def _log(
        self,
        kind: Kind,
        url: str,
        method: str,
        outcome: Literal["sent", "aborted"],
        by: Literal["agent", "page"],
        reason: str | None,
    ) -> None:
        self.session.events.append(
            NetEvent(
                kind=kind,
                url=url,
                method=method,
                outcome=outcome,
                by=by,
                step=self._step,
                reason=reason,
            )
        )

    # -- the route -------------------------------------------------------------------------------

    async def _handle(self, route: Route, request: Request) -> None:
        from playwright.async_api import Error as PlaywrightError

        try:
            await self._decide(route, request)
        except PlaywrightError:
            # the request was cancelled or the context closed under it: nothing left to decide
            if request is self._latest:
                self.awaiting_commit = False
                self._signal()

    def _is_main(self, request: Request) -> bool:
        if self._page is None or not request.is_navigation_request():
            return False
        from playwright.async_api import Error as PlaywrightError

        try:
            return request.frame == self._page.main_frame
        except PlaywrightError:  # a request without a frame (a worker's) is not the main frame
            return False

    async def _decide(self, route: Route, request: Request) -> None:
        url, method = request.url, request.method.upper()
        main = self._is_main(request)
        if main:
            self.main_navigations += 1
            self._latest = request
            self._signal()
        mark = form_mark(url, request.post_data_buffer if method not in ("GET", "HEAD") else None)
        same = site_path(url, self.session.origin) is not None
        form_data = (
            method not in ("GET", "HEAD")
            or mark is not None
            or (request.is_navigation_request() and self._is_form_get(url))
        )
        search = form_data and method == "GET" and same and self._is_search(url)
        if form_data and not search:
            password = mark.password if mark is not None else self._form_has_password(url)
            agent = self._action in ("click", "fill") and (mark is None or mark.doc == self._doc)
            self._log(
                "login" if password else "submission",
                without_mark(url),
                method,
                "aborted",
                "agent" if agent else "page",
                "form submission" if same else "off-origin form submission",
            )
            await self._stop(route, main)
            return
        kind: Kind = "navigation" if main else "subresource"
        by: Literal["agent", "page"] = "agent" if self._action is not None else "page"
        if not same:
            self._log(kind, url, method, "aborted", by, "off-origin")
            await self._stop(route, main)
            return
        # the fetch leaves Chromium's Sec-Fetch-Dest out: say what the browser would have said
        headers = {**request.headers, "sec-fetch-dest": _destination(request, main)}
        if search:  # sent as the static backend sends it: a plain navigation, marker removed
            url = without_mark(url)
        response = await route.fetch(url=url, headers=headers, max_redirects=0)
        location = response.headers.get("location")
        if 300 <= response.status < 400 and location:
            escaped = await self._escapes(route, resolve(location, url))
            if escaped is not None:
                self._log(kind, escaped, "GET", "aborted", by, f"off-origin redirect from {url}")
                if main:
                    self.nav_error = f"redirected off-origin to {escaped}"
                    self._signal()
                await route.abort("blockedbyclient")
                return
        self._log(kind, url, method, "sent", by, "search form (GET, no gate)" if search else None)
        if main and request is self._latest:
            self.status = response.status
            self.awaiting_commit = True
            self._signal()
        await route.fulfill(response=response)

    async def _stop(self, route: Route, main: bool) -> None:
        """Abort a request; a main-frame navigation gets an empty ``204`` instead, so the page
        stays where it was (an aborted navigation would replace it with an error page)."""
        if main:
            await route.fulfill(status=204, body=b"")
        else:
            await route.abort("blockedbyclient")

    async def _escapes(self, route: Route, target: str) -> str | None:
        """Where a same-origin redirect chain leaves the origin (None: it stays home). The
        browser follows redirects without asking the route, so the chain is walked here."""
        for _ in range(MAX_REDIRECTS):
            if site_path(target, self.session.origin) is None:
                return target
            hop = await route.fetch(url=target, max_redirects=0)
            location = hop.headers.get("location")
            if not (300 <= hop.status < 400 and location):
                return None
            target = resolve(location, target)
        return None

    async def _web_socket(self, socket: WebSocketRoute) -> None:
        """A WebSocket is never connected (the site is static files); it is logged."""
        self._log("subresource", socket.url, "GET", "aborted", "page", "websocket")
        await socket.close(code=1008, reason="blocked by LightClaw")

    def _is_form_get(self, url: str) -> bool:
        page = self.session.page
        if page is None or "?" not in url:
            return False
        return any(f.method == "GET" and _base(f.action) == _base(url) for f in page.forms)

    def _is_search(self, url: str) -> bool:
        """A same-origin GET form with no gate on it and no password or file field: a search,
        followed as a navigation (the static backend's rule, and the guard's)."""
        page = self.session.page
        if page is None:
            return False
        forms = [f for f in page.forms if f.method == "GET" and _base(f.action) == _base(url)]
        for form in forms:
            members = {form.id, *form.submit_ids, *(f.element_id for f in form.fields)}
            if any(gate.element_id in members for gate in page.gates):
                return False
            if any(f.type in ("password", "file") for f in form.fields):
                return False
        return bool(forms)

    def _form_has_password(self, url: str) -> bool:
        page = self.session.page
        if page is None:
            return False
        return any(
            _base(form.action) == _base(url) and any(f.type == "password" for f in form.fields)
            for form in page.forms
        )
