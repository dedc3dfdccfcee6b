"""`dealbook serve`: the site on localhost, reloading open pages after every rebuild.

Pages are served from the output folder as built; the live-reload script is added on the
way out (so the files on disk stay the same as a plain build's), and it follows a
server-sent event stream that announces each rebuild and the errors it found.
"""

from __future__ import annotations

import json
import os
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LIVE_PREFIX = "/__dealbook/"
HEARTBEAT = 15.0  # seconds between keep-alive comments on the event stream

LIVE_JS = r"""// Dealbook live reload: reload after each rebuild, show build errors over the page.
(function () {
  "use strict";
  var me = document.currentScript;
  var built = me ? me.getAttribute("data-build") : null;
  var box = null;
  function overlay(errors) {
    if (box) { box.remove(); box = null; }
    if (!errors || !errors.length) { return; }
    box = document.createElement("aside");
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:99999;max-height:45vh;" +
      "overflow:auto;background:#2b0f0e;color:#ffe9e6;font:13px/1.45 ui-monospace,Menlo,Consolas," +
      "monospace;padding:12px 16px;box-shadow:0 -4px 16px rgba(0,0,0,.35)";
    var head = document.createElement("strong");
    head.textContent = errors.length + " error" + (errors.length === 1 ? "" : "s") +
      " in the deal files (the rest of the site is up to date)";
    var close = document.createElement("button");
    close.textContent = "×";
    close.setAttribute("aria-label", "Hide");
    close.style.cssText = "float:right;background:none;border:0;color:inherit;font-size:18px;cursor:pointer";
    close.onclick = function () { box.remove(); box = null; };
    box.appendChild(close);
    box.appendChild(head);
    errors.forEach(function (e) {
      var line = document.createElement("div");
      line.textContent = e.where + ": " + (e.field ? e.field + ": " : "") + e.message;
      var hint = document.createElement("div");
      hint.textContent = e.hint ? "    hint: " + e.hint : "";
      hint.style.opacity = ".75";
      box.appendChild(line);
      if (e.hint) { box.appendChild(hint); }
    });
    document.body.appendChild(box);
  }
  var source = new EventSource("/__dealbook/events");
  source.addEventListener("build", function (event) {
    var data = JSON.parse(event.data);
    if (built !== null && String(data.build) !== built) {
      var page = decodeURIComponent(location.pathname).replace(/^\//, "")
        .replace(/(^|\/)$/, "$1index.html");
      if (!data.only || data.only.indexOf(page) >= 0) { location.reload(); return; }
      built = String(data.build);  // this page did not change
    }
    overlay(data.errors);
  });
}());
"""


class LiveState:
    """The latest rebuild as the browsers see it: its number and its errors."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.build = 0
        self.errors: list[dict[str, Any]] = []
        self.only: list[str] | None = None
        self.closed = False

    def publish(self, errors: list[dict[str, Any]], only: list[str] | None = None) -> None:
        """A rebuild: pages reload, or with `only`, just those pages (paths in the site)."""
        with self.cond:
            self.build += 1
            self.errors = errors
            self.only = only
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def message(self) -> bytes:
        data = json.dumps({"build": self.build, "errors": self.errors, "only": self.only})
        return f"event: build\ndata: {data}\n\n".encode()


class Handler(SimpleHTTPRequestHandler):
    """Static files from the site folder only: no listings, nothing outside it."""

    state: LiveState
    site: Path

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the terminal shows one line per rebuild, not one per request

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == LIVE_PREFIX + "events":
            self.events()
        elif path == LIVE_PREFIX + "live.js":
            self.send_bytes(LIVE_JS.encode(), "text/javascript; charset=utf-8")
        else:
            self.static()

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

    def send_bytes(self, body: bytes, ctype: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def static(self) -> None:
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            target = target / "index.html"
        try:
            real = target.resolve(strict=True)
        except OSError:
            self.not_found()
            return
        if real != self.site and self.site not in real.parents or not real.is_file():
            self.not_found()
            return
        ctype = self.guess_type(str(real))
        body = real.read_bytes()
        if real.suffix == ".html":
            tag = (
                f'<script src="{LIVE_PREFIX}live.js" data-build="{self.state.build}"></script>'
            ).encode()
            at = body.rfind(b"</body>")
            body = body[:at] + tag + body[at:] if at >= 0 else body + tag
        self.send_bytes(body, ctype)

    def not_found(self) -> None:
        page = self.site / "404.html"
        body = page.read_bytes() if page.is_file() else b"<h1>Not found</h1>"
        self.send_bytes(body, "text/html; charset=utf-8", 404)

    def events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        state = self.state
        seen = -1
        try:
            while True:
                with state.cond:
                    if state.build == seen and not state.closed:
                        state.cond.wait(HEARTBEAT)
                    if state.closed:
                        return
                    if state.build == seen:
                        chunk = b": keep-alive\n\n"
                    else:
                        seen, chunk = state.build, state.message()
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def make_server(site: Path, host: str, port: int, state: LiveState) -> ThreadingHTTPServer:
    site = site.resolve()
    handler = type("DealbookHandler", (Handler,), {"state": state, "site": site})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=os.fspath(site)))
    server.daemon_threads = True
    return server
