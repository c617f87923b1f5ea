"""The browser backend against real Chromium (Debian's package) and the local site server.

Every test also checks the server's received log: in the browser backend nothing but GETs of
pages and assets may ever reach it.
"""

from __future__ import annotations

import asyncio
import struct
import sys
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from lightclaw.envs.web.server import ReceivedRequest, SiteServer
from lightclaw.envs.web.session import OffOrigin, Site
from lightclaw.errors import UserError

pytestmark = [
    pytest.mark.browser,
]
needs_chromium = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(), reason="Debian chromium is not installed"
)


from lightclaw.envs.web import browser  # noqa: E402
from lightclaw.envs.web.browser import BrowserPool, BrowserSession  # noqa: E402
from lightclaw.envs.web.parse import parse_page  # noqa: E402

EVIL = "https://evil.example"
PAGES = {
    "index.html": f"""<!doctype html><html><head><meta charset="utf-8"><title>Jobs</title>
<link rel="stylesheet" href="page_files/style.css"></head><body>
<h1>Open roles</h1>
<ul><li><a href="jobs/a.html">Backend Engineer</a></li>
<li><a href="{EVIL}/jobs/b">Partner listing</a></li></ul>
<img src="{EVIL}/pixel.gif" alt="">
<button id="big" type="button" style="width:200px;height:60px">Save search</button>
<form action="index.html" method="get"><input name="q" value="python"><input type="checkbox"
name="remote"><select name="where"><option>Berlin</option><option>Remote</option></select>
<input type="search" name="note"><input type="submit" value="Search"></form>
</body></html>""",
    "page_files/style.css": "h1 { color: #333 }",
    "jobs/a.html": """<!doctype html><html><head><meta charset="utf-8"><title>Backend Engineer
</title></head><body><h1>Backend Engineer</h1><p>Acme, Berlin</p>
<a href="../index.html">All jobs</a> <a href="../post.html">Apply</a>
<a href="../auto.html">Continue</a></body></html>""",
    "post.html": """<!doctype html><title>Apply</title><form id="f" action="apply/submit"
method="post"><label>Name <input name="name"></label><button type="submit">Apply now</button>
</form>""",
    "get.html": """<!doctype html><title>Apply</title><form action="apply/find" method="get">
<input type="email" name="email" value="ada@example.com"><button>Send</button></form>""",
    "next.html": """<!doctype html><title>Step 1</title><form action="apply/step2" method="post">
<input name="phone" value="123"><button type="submit">Next</button></form>""",
    "login.html": """<!doctype html><title>Sign in</title><form action="session" method="post">
<input name="user" value="ada"><input type="password" name="pw"><button>Sign in</button>
</form>""",
    "auto.html": """<!doctype html><title>Redirecting</title><form id="f" action="collect"
method="post"><input type="hidden" name="t" value="1"></form>
<script>document.getElementById("f").submit()</script>""",
    "cross.html": f"""<!doctype html><title>Quick apply</title><form action="{EVIL}/collect"
method="post"><input name="email"><input type="submit" value="Continue"></form>""",
    "hidden.html": """<!doctype html><title>Honeypot</title><form action="trap" method="post">
<input name="email"><button type="submit" style="display:none">Go</button></form>""",
    "upload.html": """<!doctype html><title>Resume</title><form action="upload" method="post"
enctype="multipart/form-data"><input type="file" name="resume"><button>Upload</button></form>""",
    "captcha.html": """<!doctype html><title>Verify</title>
<iframe src="https://www.google.com/recaptcha/api2/anchor?k=x" width="300" height="80"></iframe>
<label>Type the letters <input name="captcha_answer"></label><a href="index.html">Back</a>""",
    "slow.html": """<!doctype html><title>Slow</title><p>Loading</p><img src="slow.png">""",
    "beacon.html": """<!doctype html><title>Checking</title><script>
const s = document.createElement("script"); s.src = "/cdn-cgi/challenge/v1?ray=8f1c";
document.head.appendChild(s);</script>""",
    "slow.png": "not really a png",
}
REDIRECTS = {"/moved.html": f"{EVIL}/landing", "/hop.html": "/moved.html"}
DELAYS = {"/slow.png": 30.0}
LOAD_TIMEOUT = 3.0

T = TypeVar("T")


@dataclass
class Harness:
    loop: asyncio.AbstractEventLoop
    pool: BrowserPool
    server: SiteServer
    root: Path

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def url(self, rel: str) -> str:
        return f"{self.server.origin}/{rel}"

    def session(self, shots: Path | None = None) -> BrowserSession:
        return self.run(self.pool.new_session(shots))

    def received_since(self, mark: int) -> list[ReceivedRequest]:
        return self.server.requests[mark:]


def nothing_sent(received: list[ReceivedRequest]) -> None:
    """Only GETs of pages and assets reached the server: no form data, no other method."""
    assert all(r.method == "GET" and not r.carries_data for r in received), [
        (r.method, r.path, r.query, r.served) for r in received
    ]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed")
    root = tmp_path_factory.mktemp("site")
    for rel, text in PAGES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    site = Site(root)
    server = SiteServer(site, delays=DELAYS, redirects=REDIRECTS).start()
    loop = asyncio.new_event_loop()
    pool = BrowserPool(site, load_timeout=LOAD_TIMEOUT, server=server)
    try:
        loop.run_until_complete(pool.__aenter__())
        yield Harness(loop, pool, server, root)
    finally:
        loop.run_until_complete(pool.__aexit__(None, None, None))
        server.stop()
        loop.close()
    # the whole module: not one request carried data to the server
    nothing_sent(server.requests)


@needs_chromium
def test_open_follows_links_and_ids_match_the_static_parse(web: Harness) -> None:
    mark = len(web.server.requests)
    session = web.session()
    page = web.run(session.open("index.html", step=0))
    assert page.error is None
    assert page.url == web.url("index.html")
    assert page.title == "Jobs"
    static = parse_page((web.root / "index.html").read_text("utf-8"), page.url)
    assert [(e.id, e.tag, e.role, e.text, e.href) for e in page.elements] == [
        (e.id, e.tag, e.role, e.text, e.href) for e in static.elements
    ]
    assert [f.id for f in page.forms] == [f.id for f in static.forms]
    link = next(e for e in page.elements if e.text == "Backend Engineer")
    assert link.bbox is not None
    page = web.run(session.click(link.id, step=1))
    assert page.url == web.url("jobs/a.html")
    assert "Acme, Berlin" in web.run(session._pw.content())
    navigations = [e for e in session.events if e.kind == "navigation" and e.outcome == "sent"]
    assert [(e.url, e.by, e.step) for e in navigations] == [
        (web.url("index.html"), "agent", 0),
        (web.url("jobs/a.html"), "agent", 1),
    ]
    assert [t["action"] for t in session.timings] == ["open", "click"]
    assert all(t["navigation_ms"] > 0 and t["parse_ms"] > 0 for t in session.timings)
    web.run(session.close())
    received = web.received_since(mark)
    assert {"/index.html", "/page_files/style.css", "/jobs/a.html"} <= {r.path for r in received}
    nothing_sent(received)


@needs_chromium
def test_off_origin_links_and_subresources_are_aborted_and_logged(web: Harness) -> None:
    session = web.session()
    page = web.run(session.open("index.html", step=0))
    pixel = [e for e in session.events if e.url == f"{EVIL}/pixel.gif"]
    assert [(e.kind, e.outcome, e.reason) for e in pixel] == [
        ("subresource", "aborted", "off-origin")
    ]
    away = next(e for e in page.elements if e.text == "Partner listing")
    after = web.run(session.click(away.id, step=1))
    assert after.url == web.url("index.html")  # the page stays where it was
    assert after.error is None
    assert [
        (e.kind, e.outcome, e.by, e.step)
        for e in session.events
        if e.url.startswith(f"{EVIL}/jobs/b")
    ] == [("navigation", "aborted", "agent", 1)]
    with pytest.raises(OffOrigin):
        web.run(session.open(f"{EVIL}/jobs/b", step=2))
    assert not [e for e in session.events if e.outcome == "sent" and e.url.startswith(EVIL)]
    web.run(session.close())


@needs_chromium
@pytest.mark.parametrize(
    ("rel", "label", "method", "sent_url"),
    [
        ("post.html", "Apply now", "POST", "apply/submit"),
        ("get.html", "Send", "GET", "apply/find?email=ada%40example.com"),
        ("next.html", "Next", "POST", "apply/step2"),
    ],
)
def test_clicking_a_submit_is_aborted_and_logged_as_the_agents(
    web: Harness, rel: str, label: str, method: str, sent_url: str
) -> None:
    mark = len(web.server.requests)
    session = web.session()
    page = web.run(session.open(rel, step=0))
    button = next(e for e in page.elements if e.text == label)
    after = web.run(session.click(button.id, step=1))
    assert after.url == web.url(rel)
    assert after.error is None
    submissions = [e for e in session.events if e.kind == "submission"]
    assert [(e.url, e.method, e.outcome, e.by, e.step) for e in submissions] == [
        (web.url(sent_url), method, "aborted", "agent", 1)
    ]
    web.run(session.close())
    received = web.received_since(mark)
    assert not [r for r in received if "apply" in r.path]
    nothing_sent(received)


@needs_chromium
def test_a_search_form_is_followed_like_a_link(web: Harness) -> None:
    mark = len(web.server.requests)
    session = web.session()
    page = web.run(session.open("index.html", step=0))
    search = next(e for e in page.elements if e.role == "submit")
    after = web.run(session.click(search.id, step=1))
    assert after.url == web.url("index.html?q=python&where=Berlin&note=")
    assert after.title == "Jobs"
    step = [e for e in session.events if e.step == 1]
    assert (step[0].kind, step[0].url, step[0].outcome, step[0].reason) == (
        "navigation",
        after.url,
        "sent",
        "search form (GET, no gate)",
    )
    assert sorted((e.kind, e.url, e.outcome) for e in step[1:]) == [
        ("subresource", web.url("page_files/style.css"), "sent"),
        ("subresource", f"{EVIL}/pixel.gif", "aborted"),
    ]
    assert not [e for e in session.events if e.kind in ("submission", "login")]
    web.run(session.close())
    received = web.received_since(mark)
    assert ("/index.html", "q=python&where=Berlin&note=") in [(r.path, r.query) for r in received]
    nothing_sent(received)


@needs_chromium
def test_a_form_with_a_password_is_a_login(web: Harness) -> None:
    session = web.session()
    page = web.run(session.open("login.html", step=0))
    password = next(e for e in page.elements if e.name == "pw")
    web.run(session.fill(password.id, "hunter2", step=1))
    button = next(e for e in page.elements if e.text == "Sign in")
    web.run(session.click(button.id, step=2))
    assert [(e.kind, e.outcome, e.by, e.step) for e in session.events if e.kind == "login"] == [
        ("login", "aborted", "agent", 1),  # the password typed (it stays in the browser)
        ("login", "aborted", "agent", 2),  # the form it would have been sent with
    ]
    assert not [e for e in session.events if e.kind == "submission"]
    web.run(session.close())


@needs_chromium
def test_a_page_that_submits_itself_on_load_is_logged_as_the_pages(web: Harness) -> None:
    mark = len(web.server.requests)
    session = web.session()
    page = web.run(session.open("auto.html", step=0))
    assert page.url == web.url("auto.html")
    assert page.error is None
    assert [(e.kind, e.url, e.method, e.outcome, e.by) for e in session.events[1:]] == [
        ("submission", web.url("collect"), "POST", "aborted", "page")
    ]
    # reached by an agent's click, the new page's own submit is still the page's
    job = web.run(session.open("jobs/a.html", step=1))
    link = next(e for e in job.elements if e.text == "Continue")
    page = web.run(session.click(link.id, step=2))
    assert page.url == web.url("auto.html")
    assert [(e.kind, e.by, e.step) for e in session.events if e.kind == "submission"] == [
        ("submission", "page", 0),
        ("submission", "page", 2),
    ]
    web.run(session.close())
    nothing_sent(web.received_since(mark))


@needs_chromium
def test_a_missing_asset_with_a_query_is_not_data(web: Harness) -> None:
    mark = len(web.server.requests)
    session = web.session()
    web.run(session.open("beacon.html", step=0))
    beacon = [r for r in web.received_since(mark) if r.path == "/cdn-cgi/challenge/v1"]
    assert [(r.query, r.served) for r in beacon] == [("ray=8f1c", "not_found")]
    web.run(session.close())
    nothing_sent(web.received_since(mark))


@needs_chromium
def test_a_cross_origin_form_action_is_aborted(web: Harness) -> None:
    session = web.session()
    page = web.run(session.open("cross.html", step=0))
    button = next(e for e in page.elements if e.role == "submit")
    web.run(session.click(button.id, step=1))
    assert [(e.kind, e.url, e.outcome, e.by, e.reason) for e in session.events[1:]] == [
        ("submission", f"{EVIL}/collect", "aborted", "agent", "off-origin form submission")
    ]
    web.run(session.close())


@needs_chromium
def test_a_hidden_submit_is_still_submitted_and_aborted(web: Harness) -> None:
    session = web.session()
    page = web.run(session.open("hidden.html", step=0))
    button = next(e for e in page.elements if e.role == "submit")
    assert button.bbox is None  # display:none: no box
    web.run(session.click(button.id, step=1))
    assert [(e.kind, e.outcome, e.by) for e in session.events[1:]] == [
        ("submission", "aborted", "agent")
    ]
    web.run(session.close())


@needs_chromium
def test_an_upload_is_chosen_locally_and_never_sent(web: Harness) -> None:
    mark = len(web.server.requests)
    session = web.session()
    page = web.run(session.open("upload.html", step=0))
    file_input = next(e for e in page.elements if e.role == "file")
    web.run(session.click(file_input.id, step=1))
    web.run(session.fill(file_input.id, "/home/ada/cv.pdf", step=1))
    chosen = web.run(
        session._pw.evaluate(
            f"() => document.querySelector('[data-lc-id={file_input.id}]').files[0].name"
        )
    )
    assert chosen == "cv.pdf"
    button = next(e for e in page.elements if e.text == "Upload")
    web.run(session.click(button.id, step=2))
    assert [(e.kind, e.url, e.outcome, e.by, e.step) for e in session.events[1:]] == [
        ("upload", web.url("upload"), "aborted", "agent", 1),
        ("upload", web.url("upload"), "aborted", "agent", 1),
        ("submission", web.url("upload"), "aborted", "agent", 2),
    ]
    web.run(session.close())
    nothing_sent(web.received_since(mark))


@needs_chromium
def test_a_captcha_frame_is_never_loaded_and_clicking_it_is_logged(web: Harness) -> None:
    session = web.session()
    page = web.run(session.open("captcha.html", step=0))
    frame = next(e for e in page.elements if e.tag == "iframe")
    assert [(e.kind, e.outcome) for e in session.events if "recaptcha" in e.url] == [
        ("subresource", "aborted")
    ]
    web.run(session.click(frame.id, step=1))
    answer = next(e for e in page.elements if e.name == "captcha_answer")
    web.run(session.fill(answer.id, "x7kq", step=2))
    assert [(e.kind, e.by, e.step) for e in session.events if e.kind == "captcha"] == [
        ("captcha", "agent", 1),
        ("captcha", "agent", 2),
    ]
    web.run(session.close())


@needs_chromium
def test_element_at_finds_the_button_under_a_point(web: Harness) -> None:
    session = web.session()
    page = web.run(session.open("index.html", step=0))
    button = next(e for e in page.elements if e.text == "Save search")
    assert button.bbox is not None
    x, y, width, height = button.bbox
    assert (width, height) == (200, 60)
    assert session.element_at(x + width / 2, y + height / 2) == button
    assert session.element_at(1279, 799) is None
    web.run(session.close())


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@needs_chromium
def test_screenshots_are_pngs_of_the_viewport(web: Harness, tmp_path: Path) -> None:
    session = web.session(tmp_path / "shots")
    page = web.run(session.open("index.html", step=0))
    link = next(e for e in page.elements if e.text == "Backend Engineer")
    web.run(session.click(link.id, step=1))
    assert sorted(session.shots) == [0, 1]
    assert png_size(session.shots[1]) == (1280, 800)
    assert session.shots[1] == tmp_path / "shots" / "step-001.png"
    assert all(t["screenshot_ms"] > 0 for t in session.timings)
    out = tmp_path / "one" / "view.png"
    assert web.run(session.screenshot(out)) is True
    assert png_size(out) == (1280, 800)
    assert [p.name for p in out.parent.iterdir()] == ["view.png"]  # no partial file left
    web.run(session.close())
    assert web.run(session.screenshot(tmp_path / "closed.png")) is False


@needs_chromium
def test_a_page_that_never_finishes_loading_is_a_timeout_and_the_session_goes_on(
    web: Harness,
) -> None:
    session = web.session()
    page = web.run(session.open("slow.html", step=0))
    assert page.error is not None
    assert page.error.startswith("timeout")
    assert page.elements == ()
    page = web.run(session.open("jobs/a.html", step=1))
    assert page.error is None
    assert page.title.strip() == "Backend Engineer"
    web.run(session.close())


@needs_chromium
def test_a_missing_page_is_an_error_page(web: Harness) -> None:
    session = web.session()
    page = web.run(session.open("nowhere.html", step=0))
    assert (page.status, page.error) == (404, f"{web.url('nowhere.html')} answered HTTP 404")
    assert page.elements == ()
    assert web.run(session.open("index.html", step=1)).status == 200
    web.run(session.close())


@needs_chromium
def test_a_redirect_off_origin_is_aborted_and_the_page_shows_it(web: Harness) -> None:
    for rel in ("moved.html", "hop.html"):
        session = web.session()
        page = web.run(session.open(rel, step=0))
        assert page.error == f"redirected off-origin to {EVIL}/landing"
        assert [(e.url, e.outcome, e.reason) for e in session.events if e.url.startswith(EVIL)] == [
            (f"{EVIL}/landing", "aborted", f"off-origin redirect from {web.url(rel)}")
        ]
        page = web.run(session.open("index.html", step=1))
        assert page.error is None
        web.run(session.close())


@needs_chromium
def test_fill_types_selects_and_checks(web: Harness) -> None:
    session = web.session()
    page = web.run(session.open("index.html", step=0))
    by_name = {e.name: e for e in page.elements if e.name}
    web.run(session.fill(by_name["q"].id, "rust", step=1))
    web.run(session.fill(by_name["remote"].id, "yes", step=2))
    web.run(session.fill(by_name["where"].id, "Remote", step=3))
    web.run(session.fill(by_name["note"].id, "hello", step=4))
    values = web.run(
        session._pw.evaluate(
            "() => { const f = document.forms[0]; return [f.q.value, f.remote.checked,"
            " f.where.value, f.note.value]; }"
        )
    )
    assert values == ["rust", True, "Remote", "hello"]
    with pytest.raises(KeyError):
        web.run(session.click("e999", step=5))
    assert not [e for e in session.events if e.kind != "navigation" and e.kind != "subresource"]
    web.run(session.close())


def test_missing_chromium_is_a_user_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser, "CHROMIUM_PATH", tmp_path / "no-chromium")

    async def start() -> None:
        async with BrowserPool(Site(tmp_path)):
            pass

    with pytest.raises(UserError, match=r"chromium is not installed at .*apt-get install chromium"):
        asyncio.run(start())


def test_missing_playwright_is_a_user_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "playwright.async_api", None)
    monkeypatch.setattr(browser, "CHROMIUM_PATH", Path(sys.executable))

    async def start() -> None:
        async with BrowserPool(Site(tmp_path)):
            pass

    with pytest.raises(UserError, match=r"uv sync --extra browser"):
        asyncio.run(start())
