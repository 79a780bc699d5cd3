"""Real pages nobody here wrote, browsed through the widget by two users in real JupyterLab.

The Python documentation (Debian's python3-doc: Sphinx HTML, jQuery, chained CSS @imports, a
JS-built search page) and a small login site with a CSRF cookie, an HttpOnly session and a
redirect. Every request the browsers make is recorded: none may bypass the proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, Request, ViewportSize

from ..sites.login_app import LOGO, LoginSite, serve_login_site
from ..sites.static_site import PYTHON_DOCS, StaticSite, serve_directory
from ..waiting import poll
from .lab import (
    ARTIFACTS,
    Lab,
    go_to_address,
    proxied_frame,
    run_all_cells,
    running_lab,
    save,
    wait_for_address,
    write_notebook,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not PYTHON_DOCS.is_dir(), reason="needs Debian's python3-doc"),
]

ORIGIN_HOST = "127.0.0.2"  # Jupyter's cookies are set for 127.0.0.1; only the proxy could leak them
NOT_NETWORK = ("data:", "blob:", "about:")


@dataclass
class Seen:
    """One request the browser made, and where it came from."""

    url: str
    frame_url: str
    in_iframe: bool
    page_url: str


@dataclass
class User:
    """One person: a browser context with every request and page error it saw."""

    context: BrowserContext
    page: Page
    requests: list[Seen] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _user(browser: Browser, viewport: ViewportSize) -> User:
    context = browser.new_context(viewport=viewport)
    user = User(context, context.new_page())

    def on_request(request: Request) -> None:
        try:
            frame = request.frame
            seen = Seen(request.url, frame.url, frame.parent_frame is not None, frame.page.url)
        except Exception:  # service-worker requests have no frame
            seen = Seen(request.url, "", False, "")
        user.requests.append(seen)

    context.on("request", on_request)
    user.page.on("pageerror", lambda exc: user.errors.append(_where(exc)))
    return user


def _where(exc: Exception) -> str:
    """An uncaught page error with the script (upstream path) and line that threw it."""
    lines = (getattr(exc, "stack", None) or "").splitlines()
    frame = next((line.strip() for line in lines if line.strip().startswith("at ")), "")
    return f"{getattr(exc, 'message', exc)} {frame.split('/http/', 1)[-1]}"


@pytest.fixture(scope="module")
def docs() -> Iterator[StaticSite]:
    with serve_directory(PYTHON_DOCS, ORIGIN_HOST) as site:
        yield site


@pytest.fixture(scope="module")
def login_site() -> Iterator[LoginSite]:
    with serve_login_site(ORIGIN_HOST) as site:
        yield site


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory, docs: StaticSite, login_site: LoginSite
) -> Iterator[Lab]:
    notebooks = tmp_path_factory.mktemp("notebooks")
    cell = 'from cobrowse_widget import CoBrowser; cb = CoBrowser("{}", room="{}"); cb'
    paths = [
        write_notebook(
            notebooks / "docs.ipynb", cell.format(f"{docs.url}/tutorial/index.html", "docs")
        ),
        write_notebook(notebooks / "login.ipynb", cell.format(f"{login_site.url}/login", "login")),
    ]
    with running_lab(tmp_path_factory.mktemp("lab"), paths, [ORIGIN_HOST]) as server:
        yield server


@pytest.fixture(scope="module")
def users(browser: Browser, lab: Lab) -> Iterator[tuple[User, User]]:
    one = _user(browser, {"width": 1400, "height": 1000})
    two = _user(browser, {"width": 1100, "height": 900})
    yield one, two
    one.context.close()
    two.context.close()


def _shot(user: User, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    user.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _frame(user: User, origin: str, path: str) -> Frame:
    """The user's loaded proxied frame showing ``origin + path`` (exact)."""
    host = urlsplit(origin).netloc
    return proxied_frame(user.page, f"/http/{host}{path}", exact=True)


def _open_and_run(lab: Lab, one: User, two: User, notebook: str) -> None:
    """User 1 opens the notebook, runs it and saves it; user 2 then opens the same notebook."""
    workspace = notebook.split(".")[0]
    lab.open(one.page, f"user1-{workspace}", notebook)
    run_all_cells(one.page)
    save(one.page)
    lab.open(two.page, f"user2-{workspace}", notebook)


@pytest.fixture(scope="module")
def on_docs(users: tuple[User, User], lab: Lab, docs: StaticSite) -> tuple[User, User]:
    one, two = users
    _open_and_run(lab, one, two, "docs.ipynb")
    return one, two


def test_docs_render_with_their_css(on_docs: tuple[User, User], docs: StaticSite) -> None:
    one, _ = on_docs
    frame = _frame(one, docs.url, "/tutorial/index.html")
    frame.wait_for_function("() => getComputedStyle(document.body).marginLeft !== '8px'")
    style = frame.evaluate(
        """() => {
            const css = (selector, prop) => {
                const el = document.querySelector(selector);
                return el ? getComputedStyle(el)[prop] : null;
            };
            return {
                title: document.querySelector('h1').textContent,
                // pydoctheme.css, linked from the page
                documentDisplay: css('div.document', 'display'),
                // ... and its media queries: a narrow frame gets the 40px mobile bar
                wide: innerWidth >= 1024,
                mobileNav: css('.mobile-nav', 'display'),
                mobileNavHeight: css('.mobile-nav', 'height'),
                // classic.css, reached through pydoctheme.css -> default.css -> classic.css
                headingFont: css('div.body h1', 'fontFamily'),
                // basic.css, one more @import down
                headerlink: css('a.headerlink', 'visibility'),
                images: Array.from(document.images).map(img => img.naturalWidth > 0),
            };
        }"""
    )
    assert style["title"].startswith("The Python Tutorial")
    assert style["documentDisplay"] == "flex"
    if style["wide"]:
        assert style["mobileNav"] == "none"
    else:
        assert style["mobileNavHeight"] == "40px"
    assert "sans-serif" in style["headingFont"]
    assert style["headerlink"] == "hidden"
    assert style["images"] and all(style["images"]), style["images"]
    wait_for_address(one.page, f"{docs.url}/tutorial/index.html")


def test_docs_link_click_navigates_both_users(on_docs: tuple[User, User], docs: StaticSite) -> None:
    one, two = on_docs
    _frame(two, docs.url, "/tutorial/index.html")  # user 2 sees the page user 1 ran
    _frame(one, docs.url, "/tutorial/index.html").locator(
        "div.body a[href='appetite.html']"
    ).first.click()
    appetite = f"{docs.url}/tutorial/appetite.html"
    for user in (one, two):
        frame = _frame(user, docs.url, "/tutorial/appetite.html")
        assert "Whetting Your Appetite" in frame.evaluate("() => document.title")
        wait_for_address(user.page, appetite)


def test_docs_search_page_runs_its_scripts(on_docs: tuple[User, User], docs: StaticSite) -> None:
    """jQuery's $.getJSON of the glossary (a script's own relative request) works for both."""
    one, two = on_docs
    go_to_address(one.page, f"{docs.url}/search.html?q=list")
    for user in (one, two):
        frame = _frame(user, docs.url, "/search.html?q=list")
        glossary = frame.locator("#glossary-result .glossary-title")
        glossary.wait_for(state="visible", timeout=15_000)
        assert glossary.inner_text() == "Glossary: list"
        wait_for_address(user.page, f"{docs.url}/search.html?q=list")


def test_docs_sphinx_search_finds_results(on_docs: tuple[User, User], docs: StaticSite) -> None:
    """Sphinx builds the result list in JS from searchindex.js."""
    results = "() => document.querySelectorAll('#search-results ul.search li a').length"
    for index, user in enumerate(on_docs, 1):
        frame = _frame(user, docs.url, "/search.html?q=list")
        try:
            frame.wait_for_function(f"() => ({results})() > 5", timeout=10_000)
        finally:
            _shot(user, f"docs-search-user{index}")
        titles = frame.locator("#search-results ul.search li a").all_inner_texts()
        assert any("list" in title.lower() for title in titles), titles


def test_docs_no_request_bypasses_the_proxy(
    on_docs: tuple[User, User], lab: Lab, docs: StaticSite
) -> None:
    proxy = f"{lab.url}/cobrowse/proxy/"
    for user in on_docs:
        proxied = [r for r in user.requests if r.url.startswith(proxy)]
        assert len(proxied) > 30, "the docs pages were not loaded through the proxy"
        leaks = [
            r
            for r in user.requests
            if not r.url.startswith(NOT_NETWORK)
            and not r.url.startswith(proxy)
            and (
                r.in_iframe
                or "/cobrowse/proxy/" in r.frame_url + r.page_url
                or not r.url.startswith(f"{lab.url}/")
            )
        ]
        assert not leaks, leaks
        assert not [r for r in user.requests if urlsplit(r.url).hostname == ORIGIN_HOST]
    # What reached the origin came from the proxy: no browser fetch metadata, no cookies.
    assert docs.requests
    assert not [r for r in docs.requests if "sec-fetch-mode" in r or "cookie" in r]


def test_docs_pages_raise_no_script_errors(on_docs: tuple[User, User]) -> None:
    for user in on_docs:
        assert not user.errors, "\n".join(sorted(set(user.errors)))


@pytest.fixture(scope="module")
def on_login(
    on_docs: tuple[User, User], lab: Lab, login_site: LoginSite
) -> Iterator[tuple[User, User]]:
    one, two = on_docs
    _open_and_run(lab, one, two, "login.ipynb")
    yield one, two
    _shot(one, "login-user1")
    _shot(two, "login-user2")


def test_login_by_one_user_logs_in_the_room(
    on_login: tuple[User, User], login_site: LoginSite
) -> None:
    one, two = on_login
    form = _frame(one, login_site.url, "/login")
    _frame(two, login_site.url, "/login")
    form.fill("input[name=username]", "alice")
    form.fill("input[name=password]", "wonderland")
    form.click("#sign-in")
    for user in (one, two):
        account = _frame(user, login_site.url, "/account")
        account.wait_for_selector("#welcome", timeout=10_000)
        assert account.inner_text("#welcome") == "Welcome, alice"
        wait_for_address(user.page, f"{login_site.url}/account")
    assert list(login_site.sessions.values()) == ["alice"], "one login, shared by the room"
    posts = [r for r in login_site.requests if r[0] == "POST"]
    assert len(posts) == 1, "the form was submitted once"
    names = {name for _, _, cookies in login_site.requests for name in cookies}
    assert names <= {"csrftoken", "session"}, f"the site received foreign cookies: {names}"
    for user in on_login:
        assert not [r for r in user.requests if urlsplit(r.url).hostname == ORIGIN_HOST]


def test_followers_see_a_form_result_without_posting_again(
    on_login: tuple[User, User], login_site: LoginSite
) -> None:
    """The note form answers its POST with a page of its own: user 2 is shown the result the
    proxy kept for the room, and the site gets one POST."""
    one, two = on_login
    go_to_address(one.page, f"{login_site.url}/note")
    form = _frame(one, login_site.url, "/note")
    _frame(two, login_site.url, "/note")
    form.fill("input[name=text]", "hello room")
    form.click("#send")
    for user in (one, two):
        frame = _frame(user, login_site.url, "/note")
        frame.wait_for_selector("#noted", timeout=10_000)
        assert frame.inner_text("#noted") == "Noted: hello room"
    assert "/_/result/" in _frame(two, login_site.url, "/note").url
    posts = [r for r in login_site.requests if r[:2] == ("POST", "/note")]
    assert len(posts) == 1, "the form was posted once, by user 1"


def test_inline_frames_load_through_the_proxy(
    on_login: tuple[User, User], lab: Lab, login_site: LoginSite
) -> None:
    """An ``<iframe srcdoc>`` document was rewritten by the proxy and runs the agent's runtime:
    its image and its script's fetch (absolute URLs of the site) go through the proxy, the image
    on the first load of the frame."""
    one, _ = on_login
    go_to_address(one.page, f"{login_site.url}/framed")
    page = _frame(one, login_site.url, "/framed")
    inline = poll(
        lambda: next((f for f in page.child_frames if f.url == "about:srcdoc"), None),
        one.page,
        5000,
    )
    inline.wait_for_function(
        "() => { const img = document.getElementById('logo'); return img && img.complete"
        " && img.naturalWidth === 40 && document.body.dataset.fetched; }",
        timeout=10_000,
    )
    assert inline.evaluate("() => document.body.dataset.fetched") == str(len(LOGO))
    src = inline.evaluate("() => document.getElementById('logo').getAttribute('src')")
    assert src.startswith("/cobrowse/proxy/"), src
    logos = [r for r in one.requests if "/logo.svg" in r.url]
    assert len(logos) == 2, logos  # the image once (the agent did not reload it), the fetch once
    assert all(r.url.startswith(f"{lab.url}/cobrowse/proxy/") for r in logos), logos


def test_module_imports_go_through_the_proxy(
    on_login: tuple[User, User], lab: Lab, login_site: LoginSite
) -> None:
    """A module's root-relative static import and absolute dynamic import are sent through the
    proxy by the import map it adds to pages with module scripts; a module of another site (a
    CDN, say) imports root-relatively from its own site."""
    one, _ = on_login
    with serve_login_site(ORIGIN_HOST) as other:
        go_to_address(one.page, f"{login_site.url}/modules?lib={other.url}")
        page = _frame(one, login_site.url, f"/modules?lib={other.url}")
        page.wait_for_function("() => document.body.dataset.lib", timeout=10_000)
        assert page.evaluate("() => document.body.dataset.answer") == "42:42"
        assert page.evaluate("() => document.body.dataset.lib") == "43"
        assert {r[1] for r in other.requests} == {"/lib.js", "/answer.js"}  # both users
    answers = [r for r in one.requests if "/answer.js" in r.url]
    assert len(answers) == 3, answers
    assert all(r.url.startswith(f"{lab.url}/cobrowse/proxy/") for r in answers), answers
