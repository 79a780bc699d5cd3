"""Locators across two copies of an app page (issue 9: a pointer on a Gradio page both users had
was labelled "not on your page").

Each case is a pair of pages under agent_pages/copies/ that differ the way two participants'
copies of an app do; agent_pages/locator-pair.html describes every element marked ``data-case``
in copy A, sends the locator through JSON and resolves it in copy B.
"""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Frame, Page

from .agent_messages import messages, wait_for_message

pytestmark = pytest.mark.browser


def pair(browser: Browser, site: str, case: str) -> dict[str, Any]:
    """``{data-case: {"locator": ..., "found": data-case of the element resolved in B}}``."""
    page = browser.new_page()
    page.goto(f"{site}/locator-pair.html?case={case}")
    page.wait_for_function("window.pairResults")
    results: dict[str, Any] = page.evaluate("pairResults()")
    page.close()
    return results


def found(results: dict[str, Any]) -> dict[str, str | None]:
    return {case: result["found"] for case, result in results.items()}


def test_generated_ids_that_name_other_elements_are_not_identity(
    browser: Browser, site: str
) -> None:
    results = pair(browser, site, "ids")
    # Copy B rendered in another order: `:r1:` is the password there, `component-3` another block.
    assert found(results) == {
        "email": "email",
        "password": "password",
        "alpha": "alpha",
        "beta": "beta",
        "save": "save",
    }
    assert results["email"]["locator"]["attrs"] == {"placeholder": "Email"}


def test_inserted_wrappers_toasts_and_tooltips(browser: Browser, site: str) -> None:
    # Text-less icons, a canvas and an empty panel, under a toast, a portal and a wrapper.
    assert found(pair(browser, site, "wrappers")) == {
        "copy": "copy",
        "clear": "clear",
        "canvas": "canvas",
        "panel": "panel",
    }


def test_hashed_class_names(browser: Browser, site: str) -> None:
    results = pair(browser, site, "classes")
    assert found(results) == {"star": "star", "heart": "heart"}
    # Only what survives a rebuild is sent: the CSS module's name, not its hash or svelte's.
    assert results["star"]["locator"]["classes"] == "Icon_star"


def test_elements_in_open_shadow_roots(browser: Browser, site: str) -> None:
    results = pair(browser, site, "shadow")
    assert found(results) == {"like": "like", "comment": "comment"}
    assert ["#shadow-root", 0] in results["like"]["locator"]["path"]


def test_text_less_inputs_by_their_label(browser: Browser, site: str) -> None:
    results = pair(browser, site, "inputs")
    assert found(results) == {"name": "name", "notes": "notes"}
    assert results["name"]["locator"]["label"] == "Name"


def test_containers_whose_content_differs(browser: Browser, site: str) -> None:
    # The Gradio case: one participant's open dropdown changed the text of the blocks around it.
    assert found(pair(browser, site, "state")) == {
        "column": "column",
        "dropdown": "dropdown",
        "output": "output",
    }


def test_what_is_not_there_is_not_found(browser: Browser, site: str) -> None:
    page = browser.new_page()
    page.goto(f"{site}/locator-pair.html?case=state")
    page.wait_for_function("window.pairResults")
    missing = page.evaluate(
        """async () => {
          const { describe, resolve } = await import('/src/agent/locator.js');
          const [a, b] = [...document.querySelectorAll('iframe')].map((f) => f.contentDocument);
          const option = a.querySelector('li');  // the open dropdown's option: only in copy A
          const checkbox = a.querySelector('input[type=checkbox]');
          const locator = JSON.parse(JSON.stringify(describe(checkbox)));
          b.querySelector('input[type=checkbox]').parentElement.remove();
          return {
            option: resolve(describe(option), b),
            checkbox: resolve(locator, b)?.outerHTML ?? null,
          };
        }"""
    )
    page.close()
    assert missing == {"option": None, "checkbox": None}


def test_a_pointer_over_a_web_component_names_the_element_inside(
    open_page: Callable[..., tuple[Page, Frame]],
) -> None:
    """The document's elementFromPoint stops at the shadow host; the pointer describes the
    button inside the component, which the other copy resolves."""
    page, frame = open_page(src="shadow-pointer.html")
    box = frame.evaluate(
        "() => { const r = document.querySelector('my-card').shadowRoot"
        ".querySelector('button').getBoundingClientRect();"
        " return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; }"
    )
    page.mouse.move(box["x"], box["y"] + 24)  # the iframe sits under the 24px toolbar
    wait_for_message(page, "pointer")
    locator = messages(page, "pointer")[-1]["pointer"]["locator"]
    assert ["#shadow-root", 0] in locator["path"] and locator["path"][-1][0] == "button"
    assert locator["text"] == "Like"
