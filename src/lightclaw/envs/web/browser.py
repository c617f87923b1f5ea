"""The browser backend of the recruiting web env: real Chromium (Debian's package) via Playwright.

:class:`BrowserPool` starts Playwright, launches ``/usr/bin/chromium`` once (never a browser
download) and serves the site on ``127.0.0.1`` (:mod:`lightclaw.envs.web.server`); each episode
gets a :class:`BrowserSession` — a fresh browser context — that implements
:class:`~lightclaw.envs.web.session.WebSession`.

Every request of a session goes through its route (:mod:`lightclaw.envs.web.routing`):

* another origin: aborted, logged (``reason="off-origin"``);
* anything carrying form data (any non-GET, or a navigation a form submit started — an init
  script marks every form submission's data): aborted, logged as ``submission`` (``login``
  when the form has a password field), ``by="agent"`` when it came from the document an agent
  click/fill acted on during that action, else ``by="page"`` (a script submitting on load);
* except a search: a same-origin GET form with no gate on it and no password or file field is
  followed as a navigation (``sent``, marker removed), as the static backend follows it;
* a redirect to another origin: aborted, logged; the page shows the error;
* plain same-origin GETs of pages and assets: fetched and logged as ``sent``.

So the only requests that reach the site server are GETs of pages and assets; its received log
(:attr:`~lightclaw.envs.web.server.SiteServer.requests`) proves it. An aborted main-frame
navigation is answered ``204`` locally, so the page stays where it was.

After each open/click/fill the session waits for the load (bounded: a page that hangs becomes
``Page(error="timeout ...")``), tags every element that matches
:data:`lightclaw.envs.web.parse.INTERACTIVE_SELECTOR` with ``data-lc-id`` (``e1``, ``e2``... in
document order, the static parser's numbering), reads their boxes (viewport pixels, visible
elements only) and the DOM, and builds the page with :func:`~lightclaw.envs.web.parse.parse_page`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, TypedDict

from lightclaw.envs.web.model import Element, NetEvent, Page
from lightclaw.envs.web.parse import INTERACTIVE_SELECTOR, parse_page
from lightclaw.envs.web.routing import Router, without_mark
from lightclaw.envs.web.scripts import INIT_SCRIPT, LOAD_JS, SET_VALUE_JS, TAG_JS
from lightclaw.envs.web.server import SiteServer
from lightclaw.envs.web.session import Backend, OffOrigin, Site, resolve, site_path
from lightclaw.errors import EnvironmentFailure, RuntimeBug, UserError, clip

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Playwright
    from playwright.async_api import Page as PwPage

CHROMIUM_PATH = Path("/usr/bin/chromium")
"""The Debian package's Chromium: the only browser the backend drives (``$LIGHTCLAW_CHROMIUM``
names another build of it)."""
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # a last wall behind the route: no host but the local server resolves
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
VIEWPORT = {"width": 1280, "height": 800}
LOAD_TIMEOUT_S = 10.0
"""How long a page may take to load (commit, then the load event) before it is a timeout."""
ACTION_TIMEOUT_S = 2.0
"""How long a click/fill waits for its element to be actionable before acting on the DOM."""
NAV_GRACE_S = 0.1
"""How long after a click/fill a navigation it started has to show up in the route."""
UPLOAD_BYTES = b"LightClaw dry-run placeholder: never sent\n"

_RETRYABLE = ("execution context was destroyed", "navigat", "frame was detached")

Action = Literal["open", "click", "fill"]


class PageTimings(TypedDict):
    """Where one open/click/fill spent its time (milliseconds), for the benchmark."""

    action: Action
    url: str
    navigation_ms: float
    """The action itself and the wait for the load."""
    tagging_ms: float
    """Tagging interactive elements with ``data-lc-id`` and reading their boxes."""
    parse_ms: float
    """``page.content()`` and :func:`parse_page`."""
    screenshot_ms: float
    """The step screenshot (0 without ``step_shots``)."""


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def _retryable(exc: Exception) -> bool:
    return any(marker in str(exc).lower() for marker in _RETRYABLE)


class BrowserPool:
    """One Chromium and one site server, shared by the sessions of a run.

    ``async with BrowserPool(site) as pool: session = await pool.new_session(shots_dir)``.
    A missing Chromium or Playwright is a :class:`~lightclaw.errors.UserError` (how to install
    it); a Chromium that will not start is an :class:`~lightclaw.errors.EnvironmentFailure`.
    ``server`` serves the site instead of a server of the pool's own (it stays the caller's).
    """

    def __init__(
        self,
        site: Site,
        *,
        load_timeout: float = LOAD_TIMEOUT_S,
        server: SiteServer | None = None,
    ) -> None:
        self.site = site
        self.load_timeout = load_timeout
        self._given_server = server
        self._server: SiteServer | None = server
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._sessions: list[BrowserSession] = []

    @property
    def server(self) -> SiteServer:
        if self._server is None:
            raise RuntimeBug("BrowserPool is not started: use `async with BrowserPool(site)`")
        return self._server

    async def __aenter__(self) -> BrowserPool:
        chromium = Path(os.environ.get("LIGHTCLAW_CHROMIUM") or CHROMIUM_PATH)
        if not chromium.is_file():
            raise UserError(
                f"chromium is not installed at {chromium}; "
                "install it with: apt-get install chromium"
            )
        try:
            from playwright.async_api import Error as PlaywrightError
            from playwright.async_api import async_playwright
        except ImportError as exc:
            raise UserError(
                "the browser backend needs the playwright package; install it with: "
                "uv sync --extra browser"
            ) from exc
        if self._server is None:
            self._server = SiteServer(self.site).start()
        try:
            self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=str(chromium), args=list(CHROMIUM_ARGS), headless=True
            )
        except PlaywrightError as exc:
            await self.__aexit__(None, None, None)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EnvironmentFailure(
                f"chromium at {chromium} did not start: {clip(first)}"
            ) from exc
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for session in list(self._sessions):
            await session.close()
        if self._browser is not None:
            await self._browser.close()
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None
        if self._server is not None and self._given_server is None:
            self._server.stop()
            self._server = None

    async def new_session(self, step_shots: Path | None = None) -> BrowserSession:
        """A fresh context (1280x800, JavaScript on, no service workers) on the site's origin.
        With ``step_shots`` (a folder), each action's page is saved there as
        ``step-NNN.png``."""
        if self._browser is None:
            raise RuntimeBug("BrowserPool is not started: use `async with BrowserPool(site)`")
        context = await self._browser.new_context(
            viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]},
            service_workers="block",
            java_script_enabled=True,
            accept_downloads=False,
        )
        session = BrowserSession(context, origin=self.server.origin, load_timeout=self.load_timeout)
        await session.start(step_shots)
        self._sessions.append(session)
        session.on_close = self._sessions.remove
        return session


class BrowserSession:
    """One episode's browser context (see the module docstring for what it routes and how)."""

    backend: Backend = "browser"

    def __init__(self, context: BrowserContext, *, origin: str, load_timeout: float) -> None:
        self.origin = origin
        self.page: Page | None = None
        self.events: list[NetEvent] = []
        self.timings: list[PageTimings] = []
        self.shots: dict[int, Path] = {}
        """Step -> the screenshot saved for it (with ``step_shots``)."""
        self.load_timeout = load_timeout
        self.on_close: Callable[[BrowserSession], None] | None = None
        self._context = context
        self._pw_page: PwPage | None = None
        self._step_shots: Path | None = None
        self._uploads = Path(tempfile.mkdtemp(prefix="lightclaw-uploads-"))
        self._router = Router(self)
        self._closed = False

    async def start(self, step_shots: Path | None) -> None:
        self._step_shots = step_shots
        if step_shots is not None:
            step_shots.mkdir(parents=True, exist_ok=True)
        await self._context.add_init_script(INIT_SCRIPT)
        await self._router.install(self._context)
        self._pw_page = await self._context.new_page()
        self._router.watch(self._pw_page)

    @property
    def _pw(self) -> PwPage:
        if self._pw_page is None or self._closed:
            raise RuntimeBug("the browser session is closed")
        return self._pw_page

    # -- the WebSession protocol ---------------------------------------------------------------

    async def open(self, url: str, *, step: int) -> Page:
        base = self.page.url if self.page is not None else self.origin + "/"
        target = resolve(url, base)
        if site_path(target, self.origin) is None:
            raise OffOrigin(target)
        return await self._act("open", step, target, None, lambda: self._goto(target))

    async def click(self, element_id: str, *, step: int) -> Page:
        element = self._element(element_id)
        if self._is_captcha(element):
            self._local_event("captcha", element, step, "captcha widget clicked")
        elif element.role == "file":
            self._local_event("upload", element, step, "file chooser opened, nothing sent")
        locator = self._pw.locator(f'[data-lc-id="{element_id}"]').first

        async def dispatch() -> str | None:
            try:
                if not await locator.is_visible():
                    raise _NotActionable
                await locator.click(timeout=ACTION_TIMEOUT_S * 1000)
            except (_NotActionable, _playwright_error()):
                # not clickable by a person (hidden, covered, zero-size): do what a script would
                await locator.evaluate("(el) => el.click()")
            return None

        return await self._act("click", step, self._pw.url, element, dispatch)

    async def fill(self, element_id: str, value: str, *, step: int) -> Page:
        element = self._element(element_id)
        locator = self._pw.locator(f'[data-lc-id="{element_id}"]').first
        timeout = ACTION_TIMEOUT_S * 1000

        async def dispatch() -> str | None:
            if element.role == "file":
                self._local_event("upload", element, step, "file chosen in the browser, never sent")
                await locator.set_input_files(self._upload_file(value), timeout=timeout)
            elif element.role in ("checkbox", "radio"):
                wanted = value.strip().lower() not in ("", "0", "false", "no", "off")
                await locator.set_checked(wanted, timeout=timeout, force=True)
            elif element.role == "select":
                try:
                    await locator.select_option(label=value, timeout=timeout)
                except _playwright_error():
                    await locator.select_option(value=value, timeout=timeout)
            else:
                if element.role == "password":
                    self._local_event("login", element, step, "password typed, never sent")
                if self._is_captcha(element) or "captcha" in (element.name or "").lower():
                    self._local_event("captcha", element, step, "captcha answer typed")
                try:
                    if not await locator.is_visible():
                        raise _NotActionable
                    await locator.fill(value, timeout=timeout)
                except (_NotActionable, _playwright_error()):
                    await locator.evaluate(SET_VALUE_JS, value)
            return None

        return await self._act("fill", step, self._pw.url, element, dispatch)

    def element_at(self, x: float, y: float) -> Element | None:
        if self.page is None:
            return None
        best: Element | None = None
        best_area = float("inf")
        for element in self.page.elements:
            if element.bbox is None or element.hidden:
                continue
            left, top, width, height = element.bbox
            if (
                left <= x <= left + width
                and top <= y <= top + height
                and width * height < best_area
            ):
                best, best_area = element, width * height
        return best

    async def screenshot(self, path: Path) -> bool:
        if self._closed or self._pw_page is None:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        try:
            await self._pw_page.screenshot(path=partial, type="png", timeout=5000)
        except _playwright_error():
            partial.unlink(missing_ok=True)
            return False
        partial.replace(path)
        return True

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._context.close()
        finally:
            shutil.rmtree(self._uploads, ignore_errors=True)
            if self.on_close is not None:
                self.on_close(self)

    # -- what every action shares ----------------------------------------------------------------

    async def _act(
        self,
        action: Action,
        step: int,
        url: str,
        element: Element | None,
        dispatch: Callable[[], Awaitable[str | None]],
    ) -> Page:
        start = time.perf_counter()
        deadline = time.monotonic() + self.load_timeout
        router = self._router
        router.begin(action, step, await self._doc_token() if action != "open" else None)
        try:
            navs = router.main_navigations
            error: str | None = await dispatch()
            if error is None and action != "open":
                await router.wait_for(lambda: router.main_navigations > navs, NAV_GRACE_S)
            if error is None:
                error = await self._settle(deadline, url)
        finally:
            router.end()
        navigation_ms = _ms(start)
        page, tagging_ms, parse_ms = await self._snapshot(url, error, deadline)
        self.page = page
        screenshot_ms = 0.0
        if self._step_shots is not None:
            shot_start = time.perf_counter()
            shot = self._step_shots / f"step-{step:03d}.png"
            if await self.screenshot(shot):
                self.shots[step] = shot
            screenshot_ms = _ms(shot_start)
        self.timings.append(
            PageTimings(
                action=action,
                url=page.url,
                navigation_ms=navigation_ms,
                tagging_ms=tagging_ms,
                parse_ms=parse_ms,
                screenshot_ms=screenshot_ms,
            )
        )
        return page

    async def _goto(self, target: str) -> str | None:
        try:
            await self._pw.goto(target, wait_until="commit", timeout=self.load_timeout * 1000)
        except _playwright_timeout():
            return f"timeout: {target} did not answer within {self.load_timeout:g} s"
        except _playwright_error() as exc:
            if self._router.nav_error:
                return self._router.nav_error
            if "interrupted by another navigation" not in str(exc):
                return f"failed to load {target}: {clip(str(exc).splitlines()[0])}"
        return None

    async def _settle(self, deadline: float, url: str) -> str | None:
        """Wait until the main frame has committed what the route let through and loaded."""
        router = self._router
        while True:
            if router.nav_error:
                return router.nav_error
            if router.awaiting_commit:
                remaining = deadline - time.monotonic()
                await router.wait_for(lambda: not router.awaiting_commit, remaining)
                if router.awaiting_commit:
                    return f"timeout: {url} did not load within {self.load_timeout:g} s"
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return f"timeout: {self._pw.url} did not load within {self.load_timeout:g} s"
            try:
                loaded = await asyncio.wait_for(
                    self._pw.evaluate(LOAD_JS, int(remaining * 1000)), remaining + 2
                )
            except TimeoutError:
                loaded = False
            except _playwright_error() as exc:
                if _retryable(exc):
                    await asyncio.sleep(0.01)
                    continue
                return f"failed to load {url}: {clip(str(exc).splitlines()[0])}"
            if not loaded:
                return (
                    f"timeout: {self._pw.url} did not finish loading within {self.load_timeout:g} s"
                )
            if not router.awaiting_commit and not router.nav_error:
                return None

    async def _snapshot(
        self, url: str, error: str | None, deadline: float
    ) -> tuple[Page, float, float]:
        """The current page: tagged, measured and parsed (or the error, otherwise empty)."""
        status = self._router.status
        if error is None and status >= 400:
            error = f"{self._pw.url} answered HTTP {status}"
        for _ in range(3):
            if error is not None:
                break
            tag_start = time.perf_counter()
            try:
                raw: dict[str, list[float]] = await self._pw.evaluate(TAG_JS, INTERACTIVE_SELECTOR)
                tagging_ms = _ms(tag_start)
                parse_start = time.perf_counter()
                html = await self._pw.content()
            except _playwright_error() as exc:
                if not _retryable(exc):
                    error = f"failed to read {url}: {clip(str(exc).splitlines()[0])}"
                    break
                error = await self._settle(max(deadline, time.monotonic() + 1), url)
                continue
            boxes = {key: (box[0], box[1], box[2], box[3]) for key, box in raw.items()}
            current = without_mark(self._pw.url)
            try:
                page = parse_page(html, current, status=status, boxes=boxes)
            except Exception as exc:  # a page the parser chokes on is data, never a crash
                return (
                    Page(url=current, status=status, error=f"parse failed: {clip(str(exc))}"),
                    tagging_ms,
                    _ms(parse_start),
                )
            return page, tagging_ms, _ms(parse_start)
        return Page(url=url, status=status, error=error or f"{url} kept navigating"), 0.0, 0.0

    # -- helpers ---------------------------------------------------------------------------------

    def _element(self, element_id: str) -> Element:
        element = self.page.element(element_id) if self.page is not None else None
        if element is None:
            raise KeyError(element_id)
        return element

    def _is_captcha(self, element: Element) -> bool:
        if element.role == "captcha":
            return True
        gates = self.page.gates if self.page is not None else ()
        return any(g.type in ("captcha", "bot_check") and g.element_id == element.id for g in gates)

    def _local_event(
        self, kind: Literal["upload", "login", "captcha"], element: Element, step: int, reason: str
    ) -> None:
        """An act that stays in the browser (a file chosen, a password typed, a captcha widget
        touched): recorded, nothing is sent (a submission that would carry it is aborted)."""
        form = self.page.form_of(element.id) if self.page is not None else None
        url = element.href if kind == "captcha" and element.href else None
        url = (
            url or (form.action if form else None) or (self.page.url if self.page else self.origin)
        )
        method = form.method if form else "GET"
        self.events.append(
            NetEvent(
                kind=kind,
                url=url,
                method=method,
                outcome="aborted",
                by="agent",
                step=step,
                reason=reason,
            )
        )

    def _upload_file(self, value: str) -> Path:
        name = Path(value.replace("\\", "/")).name or "resume.pdf"
        path = self._uploads / name
        path.write_bytes(UPLOAD_BYTES)
        return path

    async def _doc_token(self) -> str | None:
        try:
            token = await self._pw.evaluate("() => window.__lcDoc || null")
        except _playwright_error():
            return None
        return token if isinstance(token, str) else None


class _NotActionable(Exception):
    """The element is not visible: act on the DOM instead of the screen."""


def _playwright_error() -> type[Exception]:
    from playwright.async_api import Error

    return Error


def _playwright_timeout() -> type[Exception]:
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    return PlaywrightTimeout
