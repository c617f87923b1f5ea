"""The site server: files with their types, a log of everything received, 404 outside the site."""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from pathlib import Path

import pytest

from lightclaw.envs.web.server import RECEIVED_PAGE, SiteServer, content_type_of, serve_site
from lightclaw.envs.web.session import Site


def make_site(root: Path) -> Site:
    (root / "jobs").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>Home</title><p>héllo</p>", "utf-8")
    (root / "jobs" / "a.html").write_text("<title>A</title>", "utf-8")
    (root / "page_files").mkdir()
    (root / "page_files" / "style.css").write_text("p { color: red }", "utf-8")
    (root / "page_files" / "app.js").write_text("var x = 1;", "utf-8")
    (root / "page_files" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n0000")
    (root / "latin1.html").write_bytes("<meta charset=latin-1><p>caf\xe9</p>".encode("latin-1"))
    (root.parent / "secret.txt").write_text("outside the site", "utf-8")
    return Site(root)


def request(
    server: SiteServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    host, port = server.address
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def server(tmp_path: Path) -> SiteServer:
    with serve_site(make_site(tmp_path / "site")) as running:
        yield running


def test_binds_loopback_only_on_a_free_port(server: SiteServer) -> None:
    host, port = server.address
    assert host == "127.0.0.1"
    assert port > 0
    assert server.origin == f"http://127.0.0.1:{port}"


def test_serves_site_files_with_their_content_types(server: SiteServer) -> None:
    status, headers, body = request(server, "GET", "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "héllo" in body.decode("utf-8")
    assert request(server, "GET", "/jobs/a.html")[2] == b"<title>A</title>"
    assert request(server, "GET", "/page_files/style.css")[1]["Content-Type"] == (
        "text/css; charset=utf-8"
    )
    assert request(server, "GET", "/page_files/app.js")[1]["Content-Type"].startswith(
        "text/javascript"
    )
    assert request(server, "GET", "/page_files/logo.png")[1]["Content-Type"] == "image/png"
    # text that is not UTF-8 is left to the page's own <meta charset>
    assert request(server, "GET", "/latin1.html")[1]["Content-Type"] == "text/html"
    status, headers, body = request(server, "HEAD", "/jobs/a.html")
    assert (status, body, headers["Content-Length"]) == (200, b"", "16")
    assert [(r.method, r.path, r.served) for r in server.requests][:2] == [
        ("GET", "/", "file"),
        ("GET", "/jobs/a.html", "file"),
    ]
    assert server.submissions() == []


def test_paths_outside_the_site_or_missing_are_404(server: SiteServer) -> None:
    assert request(server, "GET", "/missing.html")[0] == 404
    assert request(server, "GET", "/../secret.txt")[0] == 404
    assert request(server, "GET", "/jobs/../../secret.txt")[0] == 404
    assert request(server, "GET", "/%2e%2e/secret.txt")[0] == 404
    assert {r.served for r in server.requests} == {"not_found"}


def test_anything_carrying_data_is_received_and_logged(server: SiteServer) -> None:
    status, _, body = request(
        server,
        "POST",
        "/apply/submit",
        body=b"name=Ada&email=ada%40example.com",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (status, body) == (200, RECEIVED_PAGE)
    assert request(server, "PUT", "/jobs/a.html", body=b"{}")[0] == 200
    # a GET form's action: a query to a path that is not a file
    assert request(server, "GET", "/search?q=python&where=remote")[2] == RECEIVED_PAGE
    # a missing asset a page's script or image asks for with a query is a 404, not data
    assert request(server, "GET", "/cdn/x.js?v=2", headers={"Sec-Fetch-Dest": "script"})[0] == 404
    # a query to a page of the site serves the page (a listing's ?page=2) but is logged as is
    assert request(server, "GET", "/jobs/a.html?page=2")[2] == b"<title>A</title>"
    post, put, search, asset, listing = server.requests
    assert (asset.served, asset.carries_data) == ("not_found", False)
    assert (post.method, post.path, post.body_length, post.served) == (
        "POST",
        "/apply/submit",
        32,
        "received",
    )
    assert post.content_type == "application/x-www-form-urlencoded"
    assert (put.method, put.served, put.body_length) == ("PUT", "received", 2)
    assert (search.query, search.served) == ("q=python&where=remote", "received")
    assert (listing.query, listing.served, listing.carries_data) == ("page=2", "file", False)
    assert server.submissions() == [post, put, search]


def test_redirects_and_delays_model_a_misbehaving_server(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    with serve_site(
        site, delays={"/jobs/a.html": 0.3}, redirects={"/old.html": "https://elsewhere.example/"}
    ) as server:
        status, headers, _ = request(server, "GET", "/old.html")
        assert (status, headers["Location"]) == (302, "https://elsewhere.example/")
        start = time.monotonic()
        assert request(server, "GET", "/jobs/a.html")[0] == 200
        assert time.monotonic() - start >= 0.3
    assert [r.served for r in server.requests] == ["redirect", "file"]


def test_stopping_releases_a_delayed_answer(tmp_path: Path) -> None:
    server = SiteServer(make_site(tmp_path / "site"), delays={"/": 60}).start()
    done = threading.Event()

    def slow_client() -> None:
        with contextlib.suppress(OSError):
            request(server, "GET", "/")
        done.set()

    client = threading.Thread(target=slow_client, daemon=True)
    client.start()
    time.sleep(0.2)
    start = time.monotonic()
    server.stop()
    assert done.wait(10)
    assert time.monotonic() - start < 10


def test_concurrent_requests_are_all_logged(server: SiteServer) -> None:
    paths = [f"/jobs/a.html?i={i}" for i in range(24)]
    threads = [threading.Thread(target=request, args=(server, "GET", p)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(f"{r.path}?{r.query}" for r in server.requests) == sorted(paths)


def test_content_type_of_unknown_and_html(tmp_path: Path) -> None:
    assert content_type_of(tmp_path / "x.html", b"<p>") == "text/html; charset=utf-8"
    assert content_type_of(tmp_path / "x.bin", b"\x00") == "application/octet-stream"
    assert content_type_of(tmp_path / "x.svg", b"<svg/>") == "image/svg+xml; charset=utf-8"
