"""A local HTTP server for a :class:`~lightclaw.envs.web.session.Site`: the browser's origin.

:func:`serve_site` binds ``127.0.0.1`` on a free port (never another interface) and serves the
site's files from a daemon thread. It keeps a thread-safe log of every request it *received*
(:attr:`SiteServer.requests`): that log is the ground truth that a dry-run sent nothing — the
browser backend aborts every submission in its route, so only GETs of pages and assets ever
arrive here.

What it answers:

* ``GET``/``HEAD`` of a file of the site (saved ``*_files/`` assets included): the file, with
  its content type; a directory serves its ``index.html``.
* Anything that carries data — any other method, a body, or a GET with a query string to a
  path that is not a file of the site (a GET form's action; not an asset a page's ``<script>``
  or ``<img>`` asks for, by its ``Sec-Fetch-Dest``) — is answered ``200`` with a small
  "received" page, and logged as ``served="received"``: if such a request ever shows up,
  something was sent.
* Any other path (missing, or outside the site): ``404``.

``delays`` and ``redirects`` model a slow or redirecting server (the test suite uses them: a
user's folder of saved pages never redirects); a delayed answer is released when the server
stops.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from lightclaw.envs.web.session import Site
from lightclaw.errors import RuntimeBug

HOST = "127.0.0.1"
RECEIVED_PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>Received</title></head>"
    b"<body><p>received</p></body></html>"
)
_EXTRA_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".json": "application/json",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}
_TEXT_TYPES = ("text/html", "text/css", "text/javascript", "text/plain", "image/svg+xml")

_ASSET_DESTINATIONS = frozenset(
    {"script", "style", "image", "font", "audio", "video", "track", "manifest", "object", "embed"}
)
"""``Sec-Fetch-Dest`` of a page's assets: a missing asset with a query is a 404, not data."""

Served = Literal["file", "received", "redirect", "not_found"]


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as the server received it."""

    method: str
    path: str
    """The URL path, percent-decoded (``/jobs/a.html``)."""
    query: str
    """The raw query string (``""`` when none)."""
    body_length: int
    content_type: str | None
    served: Served
    """What the server answered: a site ``file``, a ``received`` page (data arrived), a
    ``redirect`` (the ``redirects`` map) or ``not_found``."""

    @property
    def carries_data(self) -> bool:
        """Form data reached the server: any method but GET/HEAD, a body, or a received page."""
        return (
            self.method not in ("GET", "HEAD") or self.body_length > 0 or self.served == "received"
        )


def content_type_of(path: Path, data: bytes) -> str:
    """The ``Content-Type`` for a site file: by suffix; text that decodes as UTF-8 says so
    (other text is left to the page's own ``<meta charset>``)."""
    suffix = path.suffix.lower()
    kind = _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0]
    if kind is None:
        kind = "text/html" if suffix in (".html", ".htm") else "application/octet-stream"
    if kind.startswith(_TEXT_TYPES):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return kind
        return f"{kind}; charset=utf-8"
    return kind


class SiteServer:
    """A running server for one site: ``origin`` is ``http://127.0.0.1:PORT``."""

    def __init__(
        self,
        site: Site,
        *,
        delays: Mapping[str, float] | None = None,
        redirects: Mapping[str, str] | None = None,
    ) -> None:
        self.site = site
        self.delays = {_norm(path): seconds for path, seconds in (delays or {}).items()}
        """Path -> seconds to wait before answering (a hanging asset or page)."""
        self.redirects = {_norm(path): target for path, target in (redirects or {}).items()}
        """Path -> ``Location`` answered with ``302``."""
        self._log: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        if self._httpd is None:
            raise RuntimeBug("the site server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def address(self) -> tuple[str, int]:
        if self._httpd is None:
            raise RuntimeBug("the site server is not running")
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def requests(self) -> list[ReceivedRequest]:
        """A copy of the log of every request received so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def submissions(self) -> list[ReceivedRequest]:
        """The received requests that carried data (must stay empty in a dry-run)."""
        return [request for request in self.requests if request.carries_data]

    def record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` unless the server stops first (a delay never pins a thread)."""
        self._stopping.wait(seconds)

    def start(self) -> SiteServer:
        handler = type("BoundSiteHandler", (SiteHandler,), {"server_of": self})
        httpd = ThreadingHTTPServer((HOST, 0), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="lightclaw-site-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


@contextmanager
def serve_site(
    site: Site,
    *,
    delays: Mapping[str, float] | None = None,
    redirects: Mapping[str, str] | None = None,
) -> Iterator[SiteServer]:
    """Serve ``site`` on ``127.0.0.1`` (a free port) for the duration of the block."""
    server = SiteServer(site, delays=delays, redirects=redirects).start()
    try:
        yield server
    finally:
        server.stop()


def _norm(path: str) -> str:
    return "/" + unquote(path.split("?", 1)[0]).lstrip("/")


class SiteHandler(BaseHTTPRequestHandler):
    """Answers for one :class:`SiteServer` (bound as ``server_of`` by :meth:`SiteServer.start`)."""

    server_of: SiteServer
    protocol_version = "HTTP/1.1"
    server_version = "LightClawSite/1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log is :attr:`SiteServer.requests`, not stderr."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        self._answer(send_body=True)

    def do_PUT(self) -> None:
        self._answer(send_body=True)

    def do_PATCH(self) -> None:
        self._answer(send_body=True)

    def do_DELETE(self) -> None:
        self._answer(send_body=True)

    def do_OPTIONS(self) -> None:
        self._answer(send_body=True)

    def _read_body(self) -> int:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        remaining = max(length, 0)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)
        return length - remaining

    def _answer(self, *, send_body: bool) -> None:
        owner = self.server_of
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        body_length = self._read_body()
        method = self.command.upper()
        delay = owner.delays.get(_norm(path))
        if delay:
            owner.wait(delay)
        file = owner.site.file_of(parts.path)
        redirect = owner.redirects.get(_norm(path))
        served: Served
        asset = self.headers.get("Sec-Fetch-Dest", "") in _ASSET_DESTINATIONS
        if (
            method not in ("GET", "HEAD")
            or body_length > 0
            or (parts.query and file is None and not asset)
        ):
            served = "received"
        elif redirect is not None:
            served = "redirect"
        elif file is not None:
            served = "file"
        else:
            served = "not_found"
        owner.record(
            ReceivedRequest(
                method=method,
                path=path,
                query=parts.query,
                body_length=body_length,
                content_type=self.headers.get("Content-Type"),
                served=served,
            )
        )
        if served == "received":
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", RECEIVED_PAGE, send_body)
        elif served == "redirect" and redirect is not None:
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif served == "file" and file is not None:
            try:
                data = file.read_bytes()
            except OSError:
                self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found", True)
                return
            self._send(HTTPStatus.OK, content_type_of(file, data), data, send_body)
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found", send_body)

    def _send(self, status: HTTPStatus, kind: str, data: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(data)
