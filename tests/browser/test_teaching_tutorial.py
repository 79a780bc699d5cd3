"""notebooks/teaching-tutorial.ipynb taught in JupyterLab: the teacher's kernel runs the
lesson's own cells one by one, and a student, in a notebook of their own in the same room,
sees each step, its page and what it outlines; the student's answer reaches the teacher's
``wait_for`` and ``fields``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Browser, Page

from ..waiting import poll
from .agent_messages import OVERLAY_HOOK
from .lab import (
    ARTIFACTS,
    Lab,
    kernel_eval,
    proxied_frame,
    run_all_cells,
    running_lab,
    write_notebook,
)

pytestmark = pytest.mark.browser

TUTORIAL = Path(__file__).resolve().parents[2] / "notebooks" / "teaching-tutorial.ipynb"
DEMO = "demo.cobrowse.invalid"


def _lesson_cells() -> list[str]:
    return [
        cell.source
        for cell in nbformat.read(TUTORIAL, as_version=4).cells
        if cell.cell_type == "code"
    ]


@pytest.fixture(scope="module")
def classroom(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser
) -> Iterator[tuple[Page, Page]]:
    """The teacher runs the lesson's first cell (the widget); a student runs a notebook of
    their own that joins the lesson's room."""
    with running_lab(tmp_path_factory.mktemp("lab"), [], []) as lab:
        write_notebook(lab.root / "teacher.ipynb", _lesson_cells()[0])
        write_notebook(
            lab.root / "student.ipynb",
            'from cobrowse_widget import DEMO_URL, CoBrowser\nCoBrowser(DEMO_URL, room="web-101")',
        )
        contexts = [browser.new_context(viewport={"width": 1200, "height": 1000}) for _ in "ts"]
        contexts[1].add_init_script(OVERLAY_HOOK)
        teacher, student = (context.new_page() for context in contexts)
        _open(lab, teacher, "teacher")
        _open(lab, student, "student")
        yield teacher, student
        for context in contexts:
            context.close()


def _open(lab: Lab, page: Page, who: str) -> None:
    lab.open(page, who, f"{who}.ipynb")
    run_all_cells(page)
    proxied_frame(page, DEMO)


def _step(page: Page) -> str:
    step = page.locator(".cobrowse-step").first
    return step.inner_text() if step.is_visible() else ""


def _outlined(page: Page, path: str) -> str | None:
    """What is outlined on the student's page at ``path``: the id of the element under the
    highlight's box (found by position, not by the selector the teacher gave), or None."""
    frame = proxied_frame(page, f"{DEMO}/{path}", exact=True)
    return frame.evaluate(
        """() => {
            const mark = window.cobrowseOverlayRoot?.querySelector('.highlight');
            if (!mark || mark.hidden) return null;
            const box = mark.getBoundingClientRect();
            const hit = document.elementsFromPoint(box.left + 12, box.top + 12)
                .find((e) => e.id && e.tagName !== 'COBROWSE-OVERLAY');
            return hit ? hit.closest('[id]').id : null;
        }"""
    )


def test_a_lesson_taught_from_the_notebook_reaches_the_student(
    classroom: tuple[Page, Page],
) -> None:
    teacher, student = classroom
    cells = _lesson_cells()
    kernel_eval(teacher, cells[1])  # step 1: the proxy
    poll(lambda: "1. The proxy" in _step(student), student, 15_000)
    poll(lambda: _outlined(student, "tour.html") == "proxy", student, 15_000)
    kernel_eval(teacher, cells[2])  # step 2: the sandbox, scrolled to and outlined
    poll(lambda: "2. The sandbox" in _step(student), student, 15_000)
    top = "() => Math.round(document.querySelector('#sandbox').getBoundingClientRect().top)"
    frame = proxied_frame(student, f"{DEMO}/tour.html", exact=True)
    poll(lambda: frame.evaluate(top) == 0, student, 15_000)
    kernel_eval(teacher, cells[3])  # step 3: the form
    poll(lambda: "3. Your turn" in _step(student), student, 15_000)
    form = proxied_frame(student, f"{DEMO}/form.html", exact=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    student.locator(".cobrowse").first.screenshot(path=str(ARTIFACTS / "lesson-student.png"))
    form.locator("#name").press_sequentially("Ada")
    form.locator("#answer").press_sequentially("every URL")
    # The teacher's wait returns (nothing printed) and, once the last keystroke has
    # reached the kernel, the answers are the student's whole text.
    answers = "{'#name': 'Ada', '#answer': 'every URL'}"
    poll(lambda: kernel_eval(teacher, cells[4]) == answers, student, 15_000)
    people = kernel_eval(teacher, cells[5])
    assert people.count("participant") == 2 and "form.html" in people, people
    assert kernel_eval(teacher, cells[6]) == "3"  # the three outlines taken away
    poll(lambda: _step(student) == "", student, 15_000)
