"""A small real Django app: CSRF-protected JSON posts from page script (Django's documented AJAX
pattern: the ``csrftoken`` cookie read by script and sent back as ``X-CSRFToken``) and an API
that wants a bearer token, served over http and https (a private authority signs its
certificate). Its page runs every call from script and shows what each answered.

Run it by hand with ``python -m tests.sites.django_app [port]`` (http on 127.0.0.2).
"""

from __future__ import annotations

import json
import ssl
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

TOKEN = "s3cret-api-token"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>notes</title></head>
<body><h1>Notes</h1><pre id="answers"></pre><script>
const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.slice(10);
const json = { "Content-Type": "application/json" };
async function call(name, url, options = {}) {
  const answer = await fetch(url, options);
  const type = answer.headers.get("Content-Type") ?? "";
  const body = type.startsWith("application/json") ? await answer.text() : type.split(";")[0];
  return [name, `${answer.status} ${answer.headers.get("WWW-Authenticate") ?? body}`];
}
Promise.all([
  call("csrf", "/api/notes", { method: "POST", body: '{"text": "hi"}',
    headers: { ...json, "X-CSRFToken": csrf, "X-Requested-With": "XMLHttpRequest" } }),
  call("forged", "/api/notes", { method: "POST", body: '{"text": "forged"}', headers: json }),
  call("challenge", "/api/me"),
  call("bearer", "/api/me", { headers: { Authorization: "Bearer %(token)s" } }),
]).then((results) => {
  window.results = Object.fromEntries(results);
  document.getElementById("answers").textContent = JSON.stringify(window.results, null, 1);
});
</script></body></html>""".replace("%(token)s", TOKEN)


@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


@require_POST
def notes(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"saved": json.loads(request.body)["text"]})


def me(request: HttpRequest) -> JsonResponse:
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        answer = JsonResponse({"error": "a bearer token is needed"}, status=401)
        answer["WWW-Authenticate"] = 'Bearer realm="notes"'
        return answer
    return JsonResponse({"user": "alice"})


urlpatterns = [path("", index), path("api/notes", notes), path("api/me", me)]


def application() -> Any:
    """The Django WSGI app (Django is configured once per process)."""
    if not settings.configured:
        settings.configure(
            SECRET_KEY="not-secret-test-only",
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF=__name__,
            MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
            INSTALLED_APPS=[],
            USE_TZ=True,
        )
        django.setup()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _Secure(_Quiet):
    def get_environ(self) -> dict[str, Any]:
        return {**super().get_environ(), "HTTPS": "on"}  # the request came over TLS


@contextmanager
def serve_django(
    host: str = "127.0.0.2", port: int = 0, tls: ssl.SSLContext | None = None
) -> Iterator[str]:
    """Serve the app from a daemon thread (over TLS with ``tls``); yields its base URL."""
    handler = _Secure if tls is not None else _Quiet
    server = make_server(host, port, application(), _Server, handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield f"{scheme}://{host}:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    with serve_django(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8000) as url:
        print(f"serving {url}")
        threading.Event().wait()
