"""A reader (only "read" on the cobrowse resource, from an async Authorizer) watches and follows in
real JupyterLab: its controls are disabled and nothing it does moves the writer."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from .lab import (
    ARTIFACTS,
    Lab,
    go_to_address,
    kernel_eval,
    proxied_frame,
    run_all_cells,
    running_lab,
    save,
    wait_for_address,
    write_notebook,
    write_reader_config,
)

pytestmark = pytest.mark.browser

DEMO = "https://demo.cobrowse.invalid/"
TOUR = DEMO + "tour.html"
ABOUT = DEMO + "about.html"


@pytest.fixture(scope="module")
def users(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser
) -> Iterator[tuple[Page, Page]]:
    """The writer runs a widget and saves; the reader opens the same notebook."""
    tmp = tmp_path_factory.mktemp("readonly")
    writer_token, reader_token = secrets.token_hex(16), secrets.token_hex(16)
    write_reader_config(tmp, {writer_token: "writer", reader_token: "reader"})
    notebook = write_notebook(
        tmp / "notebooks" / "watch.ipynb",
        "from cobrowse_widget import DEMO_URL, CoBrowser\ncb = CoBrowser(DEMO_URL, height=360)\ncb",
    )
    with running_lab(tmp, [notebook], []) as lab:
        contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in "ab"]
        writer, reader = (context.new_page() for context in contexts)
        errors: list[str] = []
        for page in (writer, reader):
            page.on("pageerror", lambda exc: errors.append(str(exc)))
        _as(lab, writer_token).open(writer, "writer", notebook.name)
        run_all_cells(writer)
        proxied_frame(writer, "demo.cobrowse.invalid/", exact=True)
        save(writer)
        _as(lab, reader_token).open(reader, "reader", notebook.name)
        proxied_frame(reader, "demo.cobrowse.invalid/", exact=True)
        yield writer, reader
        for context in contexts:
            context.close()
        assert not errors, errors


def _as(lab: Lab, token: str) -> Lab:
    return dataclasses.replace(lab, token=token)


def _widget_state(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const root = document.querySelector('.cobrowse');
            const [back, forward] = root.querySelectorAll('.cobrowse-button');
            const address = root.querySelector('.cobrowse-address');
            return {
                readOnly: address.readOnly,
                back: back.disabled,
                forward: forward.disabled,
                watching: !root.querySelector('.cobrowse-watching').hidden,
                people: root.querySelectorAll('.cobrowse-person').length,
            };
        }"""
    )


def test_reader_follows_and_cannot_move_the_writer(users: tuple[Page, Page]) -> None:
    writer, reader = users
    go_to_address(writer, TOUR)
    proxied_frame(reader, "/tour.html", exact=True)
    wait_for_address(reader, TOUR)
    go_to_address(writer, ABOUT)
    wait_for_address(reader, ABOUT)
    assert _widget_state(writer) == {
        "readOnly": False,
        "back": False,
        "forward": True,
        "watching": False,
        "people": 2,  # the reader is present (awareness), not silent
    }
    assert _widget_state(reader) == {
        "readOnly": True,
        "back": True,
        "forward": True,
        "watching": True,
        "people": 2,
    }
    history = kernel_eval(writer, "cb.history")

    # Typing an address: the field is read-only; even a value put there and Enter do nothing.
    address = reader.locator(".cobrowse-address").first
    address.evaluate("(input, url) => { input.value = url; }", DEMO + "elsewhere.html")
    address.press("Enter")
    # A link click in the reader's own frame: its page moves, the room does not, and the reader
    # is brought back to the room's page.
    frame = proxied_frame(reader, "/about.html", exact=True)
    back = reader.expect_event("framenavigated", lambda f: f.url.endswith("/about.html"))
    away = reader.expect_event("framenavigated", lambda f: f.url.endswith("/tour.html"))
    with back, away:
        frame.locator("a[href='tour.html']").click()
    proxied_frame(reader, "/about.html", exact=True)
    wait_for_address(reader, ABOUT)
    assert kernel_eval(writer, "cb.history") == history
    assert kernel_eval(writer, "cb.url") == repr(ABOUT)
    assert writer.locator(".cobrowse-address").first.input_value() == ABOUT

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    reader.locator(".cobrowse").first.screenshot(path=str(ARTIFACTS / "read-only-widget.png"))
    reader.screenshot(path=str(ARTIFACTS / "read-only-lab.png"))
