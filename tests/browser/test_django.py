"""A real Django app's own protections work through the proxy, over http and https: its CSRF
check on a JSON post from page script (Django's AJAX pattern) and a bearer-token API call, in
real Chromium. Django still refuses the post that lacks the token, so the check is real."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator

import pytest
import trustme
from playwright.sync_api import Browser

from ..sites.django_app import serve_django
from .lab import Lab, running_lab

pytestmark = pytest.mark.browser

HOST = "127.0.0.2"  # not Jupyter's 127.0.0.1
CA = trustme.CA()


@pytest.fixture(scope="module")
def sites() -> Iterator[dict[str, str]]:
    """The app over http and over https (its certificate signed by a private authority)."""
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    CA.issue_cert(HOST).configure_cert(tls)
    with serve_django(HOST) as http, serve_django(HOST, tls=tls) as https:
        yield {"http": http, "https": https}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("django")
    ca = tmp / "ca.pem"
    CA.cert_pem.write_to_path(str(ca))
    with running_lab(tmp, [], [HOST], f"--CoBrowse.ca_certificates={ca}") as lab:
        yield lab


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_django_csrf_and_a_bearer_token(
    browser: Browser, lab: Lab, sites: dict[str, str], scheme: str
) -> None:
    context = browser.new_context()
    try:
        # The proxy session, as the widget opens it: the browser pass lands in this context.
        answer = context.request.post(
            f"{lab.url}/cobrowse/api/session",
            data=json.dumps({"room": f"django-{scheme}"}),
            headers={"Authorization": f"token {lab.token}"},
        )
        assert answer.ok, answer.text()
        prefix = answer.json()["prefix"]
        page = context.new_page()
        site = sites[scheme]
        page.goto(f"{lab.url}{prefix}{site.replace('://', '/', 1)}")
        page.wait_for_function("window.results !== undefined", timeout=15_000)
        results = page.evaluate("window.results")
        assert results == {
            "csrf": '200 {"saved": "hi"}',
            "forged": "403 text/html",  # Django's CSRF failure page: its check is on
            "challenge": '401 Bearer realm="notes"',
            "bearer": '200 {"user": "alice"}',
        }
    finally:
        context.close()
