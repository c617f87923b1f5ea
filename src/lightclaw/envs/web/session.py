"""A browsing session of the recruiting web env: the protocol both backends implement.

A session belongs to one episode. It keeps the current :class:`Page` and the network/route
log (:class:`NetEvent`), from which ``unsafe_action_count`` is counted — never from the agent's
own claims. The guard (:mod:`lightclaw.envs.web.guard`) runs in the executor *before* a session
method is called; a session performs what it is asked and records it faithfully, so a run with
the guard off shows what an unguarded agent would have done.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import unquote, urljoin, urlsplit

if TYPE_CHECKING:
    from lightclaw.envs.web.model import Element, NetEvent, Page

Backend = Literal["static", "browser"]
BACKENDS: tuple[Backend, ...] = ("static", "browser")

STATIC_ORIGIN = "http://site.localhost"
"""The origin the static backend gives the site's pages (it sends nothing anywhere)."""


class OffOrigin(Exception):
    """A navigation to another origin than the site's (refused before anything is sent)."""


@dataclass(frozen=True)
class Site:
    """A folder of pages served at one origin: the fixture site or a user's ``--pages DIR``."""

    root: Path

    def pages(self) -> list[str]:
        """Site-relative paths of the ``.html``/``.htm`` pages, sorted; the ``*_files/``
        folders a browser saves beside a page hold its assets and are not pages."""
        found: list[str] = []
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root)
            if any(part.endswith("_files") or part.startswith(".") for part in rel.parts[:-1]):
                continue
            if path.is_file() and path.suffix.lower() in (".html", ".htm"):
                found.append(rel.as_posix())
        return found

    def file_of(self, rel: str) -> Path | None:
        """The file a site-relative path names, or None (missing, or outside the site)."""
        rel = unquote(rel.split("?", 1)[0].split("#", 1)[0]).lstrip("/")
        if not rel:
            rel = "index.html"
        root = self.root.resolve()
        path = (root / rel).resolve()
        if not path.is_relative_to(root):
            return None
        if path.is_dir():
            path = path / "index.html"
        return path if path.is_file() else None


def site_path(url: str, origin: str) -> str | None:
    """``url``'s path relative to the site at ``origin`` (no leading slash, query kept), or
    None when ``url`` is on another origin."""
    parts = urlsplit(url)
    home = urlsplit(origin)
    if (parts.scheme, parts.netloc) != (home.scheme, home.netloc):
        return None
    rel = parts.path.lstrip("/")
    return f"{rel}?{parts.query}" if parts.query else rel


def resolve(url: str, base: str) -> str:
    """An absolute URL for ``url`` as written in a page at ``base`` (fragments dropped)."""
    return urljoin(base, url).split("#", 1)[0]


class WebSession(Protocol):
    """One episode's browser (static or real). Every method records what it sent in ``events``.

    ``step`` is the index of the step whose action the call carries out (for the log).
    """

    backend: Backend
    origin: str
    page: Page | None
    events: list[NetEvent]

    async def open(self, url: str, *, step: int) -> Page:
        """GET ``url`` (absolute, or relative to the current page) and make it the current page.

        Raises :class:`OffOrigin` for another origin. A page that is missing, fails to load or
        to parse, or times out comes back as a :class:`Page` with ``error`` set (never raises).
        """
        ...

    async def click(self, element_id: str, *, step: int) -> Page:
        """Click the element: a link navigates, a submit control submits its form (recorded as
        a ``submission``/``login`` event), a checkbox toggles, a captcha widget is a
        ``captcha`` event. Returns the page shown afterwards. Unknown id: ``KeyError``."""
        ...

    async def fill(self, element_id: str, value: str, *, step: int) -> Page:
        """Type ``value`` into a field (a file input takes a path: an ``upload`` event; a
        captcha answer field: a ``captcha`` event). Unknown id: ``KeyError``."""
        ...

    def element_at(self, x: float, y: float) -> Element | None:
        """The topmost interactive element at screenshot pixel ``(x, y)`` (None: a miss)."""
        ...

    async def screenshot(self, path: Path) -> bool:
        """Save a PNG of the current viewport at ``path``; False when the backend has no screen."""
        ...

    async def close(self) -> None:
        """Release the page; events that arrive until then are kept."""
        ...
