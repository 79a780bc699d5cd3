"""The agent's client runtime: a proxied page's own scripts reach URLs through the proxy and get
stand-ins for what the sandbox forbids (cookies, storage, service workers)."""

import socketserver
import threading
from collections.abc import Callable
from typing import ClassVar
from urllib.parse import quote

import ada_url
import pytest
from playwright.sync_api import Browser, Frame, Page

from jupyter_ext.rewrite._urls import rewrite_url, to_proxy

from .agent_messages import messages, wait_for_message
from .conftest import PROXIED_SITE, PROXY_PREFIX, AgentSite

pytestmark = pytest.mark.browser

APP = PROXIED_SITE + "runtime/app.html"
P = PROXY_PREFIX
OpenPage = Callable[..., tuple[Page, Frame]]


def wait_for_requests(page: Page, site: AgentSite, expected: set[str]) -> set[str]:
    """Polls the recorded request paths until all of `expected` arrived (or 5 s passed)."""
    for _ in range(50):
        seen = set(site.paths())
        if expected <= seen:
            break
        page.wait_for_timeout(100)
    return seen


def open_app(open_page: OpenPage, agent_site: AgentSite) -> tuple[Page, Frame]:
    agent_site.requests.clear()
    page, frame = open_page(src=APP)
    frame.wait_for_function("window.done === true && window.workerSaid !== undefined")
    return page, frame


def test_js_requests_go_through_the_proxy(open_page: OpenPage, agent_site: AgentSite) -> None:
    page, frame = open_app(open_page, agent_site)
    expected = {
        f"{P}https/cdn.example.com/lib/data.json?x=1",  # fetch(absolute string)
        f"{P}https/api.example.com/v1/url-object",  # fetch(URL)
        f"{P}https/example.org/api/request-object",  # fetch(new Request(root-relative))
        f"{P}https/example.org/runtime/rel/data.json",  # relative: native, already right
        f"{P}https/example.org/api/xhr",  # XMLHttpRequest
        f"{P}ws/socket.example.com:8080/live",  # WebSocket ws://
        f"{P}wss/socket.example.com/secure",  # WebSocket wss://
        f"{P}https/example.org/events",  # EventSource
        f"{P}https/stats.example.com/beacon",  # sendBeacon
        f"{P}https/img.example.com/a.png",  # img.src setter
        f"{P}https/example.org/images/b.png",  # setAttribute('src')
        f"{P}https/example.org/images/c.png",  # innerHTML
        f"{P}https/img.example.com/d.png",  # insertAdjacentHTML
        f"{P}https/example.org/images/written.png",  # document.write
        f"{P}https/cdn.example.com/lib/e.js",  # appended script
        f"{P}https/img.example.com/s1.png",  # srcset (1x)
        f"{P}https/example.org/runtime/worker.js",  # new Worker(root-relative)
        f"{P}https/example.org/api/from-worker",  # the worker's own fetch
        f"{P}https/static.example.org/root-from-nested",  # nested frame, against its <base>
        f"{P}https/static.example.org/assets/rel-from-nested",
    }
    seen = wait_for_requests(page, agent_site, expected)
    assert expected - seen == set()
    # Nothing the page did left the proxy: every request is the stand-in widget or under the prefix.
    widget = ("/parent.html?", "/favicon.ico")
    assert [path for path in seen if not path.startswith((P, *widget))] == []

    requests = {(r["method"], r["path"]): r for r in agent_site.requests}
    beacon = requests[("POST", f"{P}https/stats.example.com/beacon")]
    assert beacon["body"] == "ping!"
    live = requests[("GET", f"{P}ws/socket.example.com:8080/live")]
    assert live["headers"]["upgrade"].lower() == "websocket"
    assert live["headers"]["sec-websocket-protocol"] == "chat, v2"  # subprotocols kept
    assert requests[("POST", f"{P}https/example.org/api/request-object")]["body"] == "r"

    host = agent_site.url.removeprefix("http://")
    state = frame.evaluate(
        """() => ({
          sockets: window.socketUrls, srcset: window.srcsetValue, link: window.linkValue,
          late: document.getElementById('late').getAttribute('href'),
          escaped: document.querySelector('#html a').getAttribute('href'),
          worker: window.workerSaid,
        })"""
    )
    assert state["sockets"] == [
        f"ws://{host}{P}ws/socket.example.com:8080/live",
        f"ws://{host}{P}wss/socket.example.com/secure",
    ]
    assert state["srcset"] == f"{P}https/img.example.com/s1.png 1x, {P}https/example.org/s2.png 2x"
    assert state["link"] == f"{P}https/other.example.net/page"
    assert state["late"] == f"{P}https/example.org/late"  # fixed by the MutationObserver
    assert state["escaped"] == f"{P}https/example.org/x?a=1&b=2"
    assert state["worker"] == "worker ran, importScripts is a function"


def test_page_using_everything_does_not_throw(open_page: OpenPage, agent_site: AgentSite) -> None:
    page, frame = open_app(open_page, agent_site)
    frame.wait_for_function("window.swError !== 'pending'")
    assert frame.evaluate("window.errors") == []
    assert frame.evaluate("window.swError").startswith(
        "SecurityError: cobrowse: service workers cannot run"
    )
    # The page's own connect attempts aside, the widget still got its hello.
    assert messages(page, "hello")[0]["url"] == "https://example.org/runtime/app.html"
    (nested,) = frame.child_frames
    nested.wait_for_function("window.done === true")
    assert nested.evaluate("window.cookieSeen") == "nested=1"
    assert nested.evaluate("Symbol.for('cobrowse-runtime') in window") is True


def test_cookie_stand_in(open_page: OpenPage, agent_site: AgentSite) -> None:
    page, frame = open_app(open_page, agent_site)
    endpoint = f"{P}_/cookie?url={quote('https://example.org/runtime/app.html', safe='')}"
    # The page's load-time assignment is already in the view and on its way to the jar.
    assert frame.evaluate("document.cookie") == "theme=dark; hint=abc; visited=yes"
    result = frame.evaluate(
        """() => {
          const seen = [];
          document.cookie = 'fresh=1; Path=/; SameSite=Lax';
          seen.push(document.cookie);
          document.cookie = 'theme=; Max-Age=0';
          seen.push(document.cookie);
          document.cookie = 'hint=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
          seen.push(document.cookie);
          document.cookie = 'fresh=2; max-age=0; expires=Fri, 01 Jan 2100 00:00:00 GMT';
          document.cookie = 'secret=1; HttpOnly';  // scripts cannot set HttpOnly cookies
          seen.push(document.cookie);
          return seen;
        }"""
    )
    assert result == [
        "theme=dark; hint=abc; visited=yes; fresh=1",
        "hint=abc; visited=yes; fresh=1",
        "visited=yes; fresh=1",
        "visited=yes",
    ]
    bodies = [
        "visited=yes; path=/",
        "fresh=1; Path=/; SameSite=Lax",
        "theme=; Max-Age=0",
        "hint=; expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "fresh=2; max-age=0; expires=Fri, 01 Jan 2100 00:00:00 GMT",
    ]
    for _ in range(50):
        sent = [r for r in list(agent_site.requests) if r["path"] == endpoint]
        if len(sent) >= len(bodies):
            break
        page.wait_for_timeout(100)
    assert [r["body"] for r in sent] == bodies
    assert all(r["method"] == "POST" for r in sent)
    assert all(r["headers"]["content-type"].startswith("text/plain") for r in sent)


def test_storage_stand_ins(open_page: OpenPage, agent_site: AgentSite) -> None:
    _, frame = open_app(open_page, agent_site)
    result = frame.evaluate(
        """() => {
          const out = {};
          out.loaded = [localStorage.getItem('seen'), sessionStorage.tab];
          localStorage.setItem('a', 1);
          localStorage.b = 'two';
          out.values = [localStorage.getItem('a'), localStorage.b, localStorage['missing'],
                        localStorage.getItem('missing')];
          out.keys = Object.keys(localStorage);
          out.length = localStorage.length;
          out.key0 = localStorage.key(0);
          out.has = ['a' in localStorage, 'nope' in localStorage];
          out.isStorage = localStorage instanceof Storage;
          localStorage.removeItem('a');
          delete localStorage.b;
          out.after = [localStorage.length, localStorage.getItem('a')];
          out.separate = sessionStorage.getItem('seen');
          sessionStorage.clear();
          out.cleared = sessionStorage.length;
          out.methods = typeof localStorage.getItem;
          return out;
        }"""
    )
    assert result == {
        "loaded": ["1", "one"],
        "values": ["1", "two", None, None],
        "keys": ["seen", "a", "b"],
        "length": 3,
        "key0": "seen",
        "has": [True, False],
        "isStorage": True,
        "after": [1, None],
        "separate": None,
        "cleared": 0,
        "methods": "function",
    }


def test_same_document_navigation_is_reported(open_page: OpenPage, agent_site: AgentSite) -> None:
    page, frame = open_app(open_page, agent_site)
    active = frame.evaluate("navigator.userActivation.hasBeenActive")
    frame.evaluate("history.pushState({}, '', '/app/route?q=1'); document.title = 'Route'")
    wait_for_message(page, "navigated")
    # The pushState's report is the marker: a report of the page's load-time replaceState (which
    # kept its URL: nothing to report) would have come before it on the same port.
    assert messages(page, "navigated") == [
        {
            "type": "navigated",
            "url": "https://example.org/app/route?q=1",
            "title": "Route",
            "active": active,
        }
    ]
    assert frame.evaluate("location.pathname") == f"{P}https/example.org/app/route"

    frame.evaluate("location.hash = '#part'")
    wait_for_message(page, "navigated", 2)
    assert messages(page, "navigated")[-1]["url"] == "https://example.org/app/route?q=1#part"

    frame.evaluate("history.back()")
    wait_for_message(page, "navigated", 3)
    assert messages(page, "navigated")[-1]["url"] == "https://example.org/app/route?q=1"

    frame.evaluate("history.replaceState(null, '', 'https://example.org/absolute')")
    wait_for_message(page, "navigated", 4)
    assert messages(page, "navigated")[-1]["url"] == "https://example.org/absolute"


def test_runtime_when_opened_top_level(browser: Browser, agent_site: AgentSite) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(agent_site.url + APP)  # served with the proxy's CSP sandbox: an opaque origin
    page.wait_for_function("window.done === true")
    assert page.evaluate("origin") == "null"
    assert page.evaluate("window.errors") == []
    assert page.evaluate("Symbol.for('cobrowse-agent') in window") is False  # no widget here
    assert page.evaluate("[document.cookie, localStorage.getItem('seen')]") == [
        "theme=dark; hint=abc; visited=yes",
        "1",
    ]
    context.close()


def test_url_mapping(browser: Browser, site: str) -> None:
    page = browser.new_page()
    page.goto(f"{site}/runtime/units.html")
    page.wait_for_function("window.units")
    result = page.evaluate(
        """(site) => {
          const { proxyMapper, upstreamMapper, mapSrcset, rewriteHtml, valueMapper,
                  parseCookie } = window.units;
          const root = `${site}/cobrowse/proxy/tok/`;
          const toProxy = proxyMapper({
            root,
            upstreamBase: () => 'https://example.org/docs/a/page.html',
            nativeBase: () => `${root}https/example.org/docs/a/page.html`,
          });
          const cases = [
            'https://cdn.example.com/x.js', 'http://example.org:8080/p?q#f', '//cdn.example.com/y',
            '/root', 'rel/img.png', '../up.css', '?q=2', '#frag', '', 'HTTPS://Example.ORG/Case',
            'data:text/plain,hi', 'blob:null/1234', 'javascript:void(0)', 'about:blank',
            'mailto:a@example.org', 'tel:123', '/cobrowse/proxy/tok/https/example.org/already',
            `${root}https/example.org/absolute-already`, `${site}/built/from/location?x=1`,
            'ws://socket.example.com/a', 'wss://socket.example.com:444/b', ' /spaced ',
            'https://user:pw@example.org/secret',
          ];
          const mapped = Object.fromEntries(cases.map((url) => [url, toProxy(url)]));
          const ws = ['/socket', 'https://example.org/s', `ws://${location.host}/from-location`]
            .map((url) => toProxy(url, true));
          const idempotent = cases.every((url) => toProxy(toProxy(url)) === toProxy(url));
          const back = upstreamMapper('/cobrowse/proxy/tok/', location.href);
          const mapValue = valueMapper(toProxy);
          return {
            mapped, ws, idempotent,
            backWs: back(`ws://${location.host}/cobrowse/proxy/tok/wss/socket.example.com/b`),
            srcset: mapSrcset(
              'data:image/png;base64,AA,BB 1x,/big.png 2x, small.png (max-width: 1px) 100w',
              toProxy),
            html: rewriteHtml(
              `<p title="src=/no">x</p><IMG SRC='/a&amp;b.png' alt=x><a href=/y>`
              + '<iframe srcdoc="<img src=/in-srcdoc>"></iframe>'
              + '<div data-src="/keep" href="/keep">',
              mapValue),
            plain: rewriteHtml('<b>no urls here</b>', mapValue),
            cookies: ['a=1', 'b=2; Max-Age=-1', 'c=3; Expires=Wed, 21 Oct 2015 07:28:00 GMT',
                      'd=4; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Max-Age=0', 'e=5; max-age=10',
                      'f=6; HttpOnly', 'bare', '=; x'].map(parseCookie),
          };
        }""",
        site,
    )
    host = site.removeprefix("http://")
    assert result["mapped"] == {
        "https://cdn.example.com/x.js": f"{P}https/cdn.example.com/x.js",
        "http://example.org:8080/p?q#f": f"{P}http/example.org:8080/p?q#f",
        "//cdn.example.com/y": f"{P}https/cdn.example.com/y",
        "/root": f"{P}https/example.org/root",
        "rel/img.png": "rel/img.png",  # relative URLs already resolve under the prefix
        "../up.css": "../up.css",
        "?q=2": "?q=2",
        "#frag": "#frag",
        "": "",
        "HTTPS://Example.ORG/Case": f"{P}https/example.org/Case",
        "data:text/plain,hi": "data:text/plain,hi",
        "blob:null/1234": "blob:null/1234",
        "javascript:void(0)": "javascript:void(0)",
        "about:blank": "about:blank",
        "mailto:a@example.org": "mailto:a@example.org",
        "tel:123": "tel:123",
        f"{P}https/example.org/already": f"{P}https/example.org/already",
        f"{site}{P}https/example.org/absolute-already": (
            f"{site}{P}https/example.org/absolute-already"
        ),
        f"{site}/built/from/location?x=1": f"{P}https/example.org/built/from/location?x=1",
        "ws://socket.example.com/a": f"ws://{host}{P}ws/socket.example.com/a",
        "wss://socket.example.com:444/b": f"ws://{host}{P}wss/socket.example.com:444/b",
        " /spaced ": f"{P}https/example.org/spaced",
        "https://user:pw@example.org/secret": f"{P}https/example.org/secret",
    }
    assert result["ws"] == [
        f"ws://{host}{P}wss/example.org/socket",
        f"ws://{host}{P}wss/example.org/s",
        f"ws://{host}{P}wss/example.org/from-location",
    ]
    assert result["idempotent"] is True
    assert result["backWs"] == "wss://socket.example.com/b"
    assert result["srcset"] == (
        f"data:image/png;base64,AA,BB 1x,{P}https/example.org/big.png 2x,"
        " small.png (max-width: 1px) 100w"
    )
    assert result["html"] == (
        f'<p title="src=/no">x</p><IMG SRC="{P}https/example.org/a&amp;b.png" alt=x>'
        f'<a href="{P}https/example.org/y">'
        f'<iframe srcdoc="<img src=&quot;{P}https/example.org/in-srcdoc&quot;>"></iframe>'
        '<div data-src="/keep" href="/keep">'
    )
    assert result["plain"] == "<b>no urls here</b>"
    assert result["cookies"] == [
        {"name": "a", "value": "1", "expired": False},
        {"name": "b", "value": "2", "expired": True},
        {"name": "c", "value": "3", "expired": True},
        {"name": "d", "value": "4", "expired": True},
        {"name": "e", "value": "5", "expired": False},
        None,
        {"name": "", "value": "bare", "expired": False},
        None,
    ]
    page.close()


# URLs a browser reads as another site or above the site's root (see tests/test_rewrite.py).
HOSTILE_URLS = [
    "\\\\evil.example\\x.png",
    "/\\evil.example/x.png",
    "\\/evil.example/x.png",
    "https:\\\\evil.example/x.png",
    "https:/\\evil.example/x.png",
    "http:evil.example/x.png",
    "https:same-site.png",
    "///evil.example/x.png",
    "../../../../../api/kernels",
    "%2e%2e/%2e%2e/%2E%2E/%2e./api/kernels",
    "..\\..\\..\\..\\..\\api\\kernels",
    "/cobrowse/proxy/tok/https/example.org/../../../../api/kernels",
    "../sibling/x.png",
    "../../../../other.example/x",
]


def test_url_mapping_agrees_with_the_server(browser: Browser, site: str) -> None:
    """Scripts' URLs land where the server's rewriter sends the same URL in markup: the proxied
    form of what they mean upstream, never another host or Jupyter's own paths."""
    page = browser.new_page()
    page.goto(f"{site}/runtime/units.html")
    page.wait_for_function("window.units")
    upstream = "https://example.org/docs/a/page.html"
    native = f"{site}/cobrowse/proxy/tok/https/example.org/docs/a/page.html"
    loaded = page.evaluate(
        """([site, upstream, native, urls]) => {
          const toProxy = window.units.proxyMapper({
            root: `${site}/cobrowse/proxy/tok/`,
            upstreamBase: () => upstream,
            nativeBase: () => native,
          });
          return urls.map((url) => new URL(toProxy(url), native).href);
        }""",
        [site, upstream, native, HOSTILE_URLS],
    )
    prefix = "/cobrowse/proxy/tok/"
    server = [ada_url.join_url(native, rewrite_url(url, upstream, prefix)) for url in HOSTILE_URLS]
    meant = [site + to_proxy(ada_url.join_url(upstream, url), prefix) for url in HOSTILE_URLS]
    assert dict(zip(HOSTILE_URLS, loaded, strict=True)) == dict(
        zip(HOSTILE_URLS, meant, strict=True)
    )
    assert server == meant
    page.close()


class _RawAnswers(socketserver.BaseRequestHandler):
    """Answers every request with the proxy's security headers plus the Content-Type lines
    the path names (`/none`, `/comma`, `/two-lines`, `/junk`) and a page whose script says it
    ran."""

    TYPES: ClassVar[dict[str, list[str]]] = {
        "/none": [],
        "/comma": ["image/png, text/html"],
        "/two-lines": ["image/png", "text/html"],
        "/junk": ["nonsense"],
    }

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.request.recv(4096)
        path = head.split(b" ", 2)[1].decode()
        body = b"<!DOCTYPE html><html><body><script>window.ran = true</script></body></html>"
        lines = [
            "HTTP/1.1 200 OK",
            f"Content-Length: {len(body)}",
            "Connection: close",
            "X-Content-Type-Options: nosniff",
            "Content-Security-Policy: sandbox allow-scripts",
            *(f"Content-Type: {value}" for value in self.TYPES.get(path, [])),
        ]
        self.request.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def test_what_chromium_renders_as_html(browser: Browser) -> None:
    """The facts the proxy's Content-Type rule rests on (jupyter_ext/rewrite/_mime.py): of
    several types the last valid one wins, and under nosniff a body of no valid type is never
    HTML."""
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RawAnswers) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        page = browser.new_page()
        seen = {}
        for path in _RawAnswers.TYPES:
            page.goto(f"http://127.0.0.1:{server.server_address[1]}{path}")
            seen[path] = page.evaluate("[document.contentType, window.ran === true]")
        page.close()
        server.shutdown()
    assert seen == {
        "/none": ["text/plain", False],
        "/comma": ["text/html", True],
        "/two-lines": ["text/html", True],
        "/junk": ["text/plain", False],
    }


def test_a_scripts_authorization_travels_renamed(
    open_page: OpenPage, agent_site: AgentSite
) -> None:
    """The proxy leaves behind the Authorization the browser attaches for Jupyter's origin, so
    a page script's own (fetch, Request, Headers, XMLHttpRequest, a worker) travels renamed;
    the proxy restores it for the site (tests/test_header_rules.py)."""
    agent_site.requests.clear()
    _, frame = open_page(src=PROXIED_SITE + "runtime/authorization.html")
    frame.wait_for_function("window.settled !== undefined")
    settled = frame.evaluate("window.settled")
    assert settled == ["fetch", "request", "mutated", "headers", "plain", "xhr", "worker"]
    sent = {
        r["path"].rsplit("/", 1)[-1]: r["headers"]
        for r in agent_site.requests
        if "/api/auth-" in r["path"] and r["method"] != "OPTIONS"
    }
    renamed = {name: headers.get("x-cobrowse-authorization") for name, headers in sent.items()}
    assert renamed == {
        "auth-fetch": "Bearer f", "auth-request": "Bearer r", "auth-mutated": "Bearer m",
        "auth-headers": "Bearer h", "auth-none": None, "auth-xhr": "Bearer x",
        "auth-worker": "Bearer w",
    }  # fmt: skip
    assert not any("authorization" in headers for headers in sent.values())
    assert sent["auth-headers"]["x-other"] == sent["auth-none"]["x-other"] == "kept"
