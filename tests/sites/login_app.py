"""A small real login site (tornado): a CSRF-protected form, an HttpOnly session, a redirect.

GET /login sets a ``csrftoken`` cookie and shows a form carrying the same token; POST /login
checks cookie == field (403 otherwise) and alice/wonderland (401 otherwise), sets an HttpOnly
``session`` cookie and redirects (302) to /account, which greets the user or sends them back to
/login. Every request's cookies are recorded, so a test can check what reached the site.
/framed shows the site's logo inside an inline (``srcdoc``) frame, loaded while a slow script
holds the page's parser up; /modules imports modules by root-relative and absolute URLs (and,
with ?lib=<origin>, runs a module of another site that imports root-relatively from its own).

Run it by hand with ``python -m tests.sites.login_app [port]`` (on 127.0.0.2).
"""

from __future__ import annotations

import asyncio
import html
import json
import secrets
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tornado import httpserver, web

USERS = {"alice": "wonderland"}
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body {{ font-family: sans-serif; margin: 2em; }} .error {{ color: #b00; }}</style>
</head><body>{body}</body></html>"""
FORM = """<h1>Sign in</h1>{error}
<form method="post" action="/login">
  <input type="hidden" name="csrf" value="{csrf}">
  <p><label>User <input name="username" autocomplete="username"></label></p>
  <p><label>Password <input type="password" name="password"
     autocomplete="current-password"></label></p>
  <p><button type="submit" id="sign-in">Sign in</button></p>
</form>"""

LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    '<circle cx="20" cy="20" r="18" fill="#4363d8"/></svg>'
)


@dataclass
class LoginSite:
    """The running site: its base URL, the cookies of every request, the sessions it issued."""

    url: str = ""
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    sessions: dict[str, str] = field(default_factory=dict)


class _Base(web.RequestHandler):
    def initialize(self, site: LoginSite) -> None:
        self.site = site

    def prepare(self) -> None:
        cookies = {name: morsel.value for name, morsel in self.request.cookies.items()}
        self.site.requests.append((self.request.method or "", self.request.path, cookies))

    def check_xsrf_cookie(self) -> None:
        """This site checks its own CSRF token (below), the way many apps do."""

    def page(self, title: str, body: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(PAGE.format(title=html.escape(title), body=body))


class _Login(_Base):
    def get(self) -> None:
        csrf = self.get_cookie("csrftoken") or secrets.token_urlsafe(16)
        self.set_cookie("csrftoken", csrf, path="/", samesite="Lax")
        self.page("Sign in", FORM.format(error="", csrf=html.escape(csrf)))

    def post(self) -> None:
        cookie, field_ = self.get_cookie("csrftoken"), self.get_body_argument("csrf", "")
        if not cookie or not secrets.compare_digest(cookie, field_):
            self.set_status(403)
            return self.page("Forbidden", "<h1>403: CSRF check failed</h1>")
        user = self.get_body_argument("username", "")
        if USERS.get(user) != self.get_body_argument("password", ""):
            self.set_status(401)
            error = '<p class="error">Wrong user or password.</p>'
            return self.page("Sign in", FORM.format(error=error, csrf=html.escape(cookie)))
        sid = secrets.token_urlsafe(24)
        self.site.sessions[sid] = user
        self.set_cookie("session", sid, path="/", httponly=True, samesite="Lax")
        self.redirect("/account")


class _Account(_Base):
    def get(self) -> None:
        user = self.site.sessions.get(self.get_cookie("session") or "")
        if user is None:
            return self.redirect("/login")
        self.page("Account", f'<h1 id="welcome">Welcome, {html.escape(user)}</h1>')


class _Note(_Base):
    """A form whose answer is the page itself (no redirect after the post)."""

    def get(self) -> None:
        self.page(
            "Note",
            '<form method="post" action="/note"><input name="text">'
            '<button id="send" type="submit">Send</button></form>',
        )

    def post(self) -> None:
        text = html.escape(self.get_body_argument("text", ""))
        self.page("Noted", f'<p id="noted">Noted: {text}</p><a href="/account">Account</a>')


class _Framed(_Base):
    """A page with an inline (``srcdoc``) frame that shows the site's logo and fetches it again
    from a script, both by absolute URL; a slow script after the frame holds the page's parsing
    up, so the frame loads before parsing ends."""

    def get(self) -> None:
        logo = f"{self.request.protocol}://{self.request.host}/logo.svg"
        script = (
            f"fetch({json.dumps(logo + '?by=fetch')}).then(r => r.text())"
            ".then(t => { document.body.dataset.fetched = t.length; })"
        )
        inline = html.escape(
            f'<p>Inline frame</p><img id="logo" src="{html.escape(logo)}" alt="logo">'
            f"<script>{script}</script>"
        )
        body = f'<h1>Framed</h1><iframe id="inline" srcdoc="{inline}"></iframe>'
        self.page("Framed", body + '<script src="/slow.js"></script>')


class _Modules(_Base):
    """A page whose module script imports the site's module root-relatively and, dynamically,
    by its absolute URL (both would leave the proxy without an import map)."""

    def get(self) -> None:
        absolute = json.dumps(f"{self.request.protocol}://{self.request.host}/answer.js?by=import")
        script = (
            'import { answer } from "/answer.js";\n'
            f"const again = await import({absolute});\n"
            "document.body.dataset.answer = `${answer}:${again.answer}`;"
        )
        body = f'<h1>Modules</h1><script type="module">{script}</script>'
        lib = self.get_query_argument("lib", "")  # another site's module, which imports its own
        if lib:
            body += f'<script type="module" src="{html.escape(lib)}/lib.js"></script>'
        self.page("Modules", body)


class _Lib(_Base):
    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript")
        self.finish(
            'import { answer } from "/answer.js";\n'
            "document.body.dataset.lib = String(answer + 1);\n"
        )


class _Answer(_Base):
    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript")
        self.finish("export const answer = 42;\n")


class _Slow(_Base):
    async def get(self) -> None:
        await asyncio.sleep(1)
        self.set_header("Content-Type", "text/javascript")
        self.finish("// answered late\n")


class _Logo(_Base):
    def get(self) -> None:
        self.set_header("Content-Type", "image/svg+xml")
        self.finish(LOGO)


class _Home(_Base):
    def get(self) -> None:
        self.redirect("/login")


def _app(site: LoginSite) -> web.Application:
    kwargs = {"site": site}
    return web.Application(
        [
            (r"/", _Home, kwargs),
            (r"/login", _Login, kwargs),
            (r"/account", _Account, kwargs),
            (r"/note", _Note, kwargs),
            (r"/framed", _Framed, kwargs),
            (r"/logo.svg", _Logo, kwargs),
            (r"/slow.js", _Slow, kwargs),
            (r"/modules", _Modules, kwargs),
            (r"/answer.js", _Answer, kwargs),
            (r"/lib.js", _Lib, kwargs),
        ],
        log_function=lambda handler: None,
    )


@contextmanager
def serve_login_site(host: str = "127.0.0.2", port: int = 0) -> Iterator[LoginSite]:
    """Run the site on its own event loop in a daemon thread; stop it afterwards."""
    site = LoginSite()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    sock.setblocking(False)
    site.url = f"http://{host}:{sock.getsockname()[1]}"
    loop = asyncio.new_event_loop()
    started = threading.Event()
    servers: list[httpserver.HTTPServer] = []

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def start() -> None:
            server = httpserver.HTTPServer(_app(site))
            server.add_sockets([sock])
            servers.append(server)
            started.set()

        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield site
    finally:
        loop.call_soon_threadsafe(servers[0].stop)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


if __name__ == "__main__":
    with serve_login_site(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8002) as running:
        print(f"login site on {running.url}/login (alice / wonderland)", flush=True)
        threading.Event().wait()
