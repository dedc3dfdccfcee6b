"""A small link checker for the built site: opened from disk, or served at a path the way
GitHub and GitLab Pages serve it (missing addresses answered by 404.html)."""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

SKIP_SCHEMES = ("http", "https", "mailto", "tel")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("href", "src") and value:
                self.links.append(value)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def _own(link: str) -> bool:
    parts = urlsplit(link)
    return not (parts.scheme in SKIP_SCHEMES or link.startswith("#") or parts.netloc)


def check_files(site: Path) -> list[str]:
    """Opened from disk (file://): every link relative, and to a file inside the site."""
    broken = []
    root = site.resolve()
    for page in sorted(site.rglob("*.html")):
        if page.name == "404.html" and page.parent == site:
            continue  # only ever shown by a web server
        for link in links_of(page.read_text(encoding="utf-8")):
            if not _own(link):
                continue
            where = f"{page.relative_to(site)} -> {link}"
            path = unquote(urlsplit(link).path)
            if path.startswith("/"):
                broken.append(f"{where} (absolute: breaks from disk)")
                continue
            target = (page.parent / path).resolve()
            if root not in target.parents or not target.is_file():
                broken.append(where)
    return broken


class _PagesHandler(SimpleHTTPRequestHandler):
    site_prefix = "/"
    site_dir = Path()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def list_directory(self, path: str) -> None:  # type: ignore[override]
        self.send_404()
        return None

    def send_head(self):  # type: ignore[no-untyped-def]
        translated = Path(self.translate_path(self.path))
        if not translated.exists() or (
            translated.is_dir() and not (translated / "index.html").exists()
        ):
            self.send_404()
            return None
        return super().send_head()

    def send_404(self) -> None:
        page = self.site_dir / "404.html"
        body = page.read_bytes() if page.exists() else b"not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def check_served(site: Path, prefix: str, scratch: Path) -> tuple[list[str], int]:
    """Served at `prefix` (e.g. "/" or "/my-pipeline/"): crawl from the dashboard and check
    every page, asset and chart answers 200; also that the 404 page's own links work when
    it is shown for a missing address deep in the site. Returns (broken, pages crawled)."""
    docroot = scratch / "docroot"
    docroot.mkdir()
    if prefix == "/":
        serve_dir = site
    else:
        serve_dir = docroot
        target = docroot / prefix.strip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(site.resolve(), target)
    handler = type("H", (_PagesHandler,), {"site_prefix": prefix, "site_dir": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(serve_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    broken: list[str] = []
    seen: set[str] = set()
    queue = [base + prefix + "index.html", base + prefix + "no/such/page.html"]
    try:
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            expect_missing = url.endswith("no/such/page.html")
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    status, body, ctype = (
                        response.status,
                        response.read(),
                        response.headers.get_content_type(),
                    )
            except urllib.error.HTTPError as err:
                status, body, ctype = err.code, err.read(), "text/html"
            if status != (404 if expect_missing else 200):
                broken.append(f"{url} -> {status}")
                continue
            if ctype == "text/html":
                for link in links_of(body.decode("utf-8")):
                    if _own(link):
                        queue.append(urljoin(url, link).split("#")[0])
        return broken, len(seen)
    finally:
        server.shutdown()
        server.server_close()
