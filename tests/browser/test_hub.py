"""A class on a real JupyterHub (loopback, dummy authenticator, local single-user servers): the
teacher (group instructors) and two students, each on their own server, open the course
notebook, whose widget joins the room web-101 on the co-browsing service. The teacher's cells
lead; both students' widgets follow; a student cannot present; the teacher reads a student's
answer from Python, then, in practice mode, each student's own."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from pycrdt import Doc

from cobrowse_widget import _schema

from ..waiting import poll
from .hub import Hub, running_hub
from .lab import ARTIFACTS, kernel_eval, proxied_frame, run_all_cells, write_notebook

pytestmark = pytest.mark.browser

DEMO = "demo.cobrowse.invalid"
COURSE = (
    'from cobrowse_widget import DEMO_URL, CoBrowser\ncb = CoBrowser(DEMO_URL, room="web-101")\ncb'
)
USERS = ("teacher", "ann", "ben")


@pytest.fixture(scope="module")
def classroom(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser
) -> Iterator[tuple[Hub, dict[str, Page]]]:
    """Each user logs in to the hub, gets their own server and runs the course notebook."""
    with running_hub(tmp_path_factory.mktemp("hub")) as hub:
        for user in USERS:
            write_notebook(hub.home(user) / "course.ipynb", COURSE)
        contexts = {
            user: browser.new_context(viewport={"width": 1100, "height": 900}) for user in USERS
        }
        pages = {user: context.new_page() for user, context in contexts.items()}
        for user, page in pages.items():  # the hub starts the three servers at once
            hub.log_in(page, user, "course.ipynb")
        for page in pages.values():
            hub.wait_for_lab(page)
            run_all_cells(page)
        for page in pages.values():
            proxied_frame(page, DEMO)
        yield hub, pages
        for context in contexts.values():
            context.close()


def _stored_room(db: Path, room: str) -> Doc:
    """The room's document as the service's store holds it."""
    doc: Doc = Doc()
    with sqlite3.connect(db) as conn:
        query = "SELECT yupdate FROM yupdates WHERE path = ? ORDER BY timestamp"
        for (update,) in conn.execute(query, (room,)):
            doc.apply_update(update)
    return doc


def _frame_prefix(page: Page) -> str:
    """The proxy prefix (the session) the widget's page loads under."""
    return str(page.locator(".cobrowse-frame").first.get_attribute("src")).split("/https/")[0]


def _step(page: Page) -> str:
    step = page.locator(".cobrowse-step").first
    return step.inner_text() if step.is_visible() else ""


def _roles(page: Page) -> str:
    return kernel_eval(page, "sorted((p['username'], p['role']) for p in cb.participants)")


def test_a_class_on_jupyterhub_follows_the_teacher(classroom) -> None:
    hub, pages = classroom
    teacher, ann, ben = (pages[user] for user in USERS)
    # Everyone is in one room of the service, by their hub names, each from their own server.
    prefixes = set()
    for page in (teacher, ann, ben):
        assert page.url.startswith(f"{hub.url}/user/")
        frame = proxied_frame(page, DEMO).url
        assert frame.startswith(f"{hub.url}/services/cobrowse/cobrowse/proxy/")
        prefixes.add(frame.split("/https/")[0])
    assert len(prefixes) == 1  # one proxy session (one cookie jar, one set of kept results)
    poll(lambda: _roles(teacher).count("'participant'") == 3, teacher, 20_000)

    # A student's Present button is not there, and the room refuses a student's presenting.
    assert ann.get_by_role("button", name="Present").count() == 0
    assert teacher.get_by_role("button", name="Present").count() == 1
    kernel_eval(ann, "cb.follow_me()")  # nobody presents: the widget lets it go to the room
    poll(lambda: "'presenter'" not in _roles(ann), ann, 15_000)  # refused: taken back
    assert "'presenter'" not in _roles(teacher)

    # The service's session needs its XSRF token besides the cookie (a page of the hub's
    # origin cannot take one without reading the service's sign-in page).
    forged = """() => fetch('/services/cobrowse/cobrowse/api/session', {method: 'POST',
        credentials: 'same-origin', body: JSON.stringify({room: 'web-101'})}).then(r => r.status)"""
    assert ann.evaluate(forged) == 403

    # The teacher's cells lead: presenting, a step on a page with an outline.
    kernel_eval(teacher, "cb.follow_me()")
    kernel_eval(
        teacher,
        'cb.step("1. The proxy", "Read the first section.", url=DEMO_URL + "tour.html",'
        ' highlight="#proxy")',
    )
    for student in (ann, ben):
        poll(lambda student=student: "1. The proxy" in _step(student), student, 20_000)
        proxied_frame(student, f"{DEMO}/tour.html", exact=True)
    poll(lambda: "('teacher', 'presenter')" in _roles(ben), ben, 15_000)
    # While the teacher presents, a student's cell cannot move the room.
    refused = kernel_eval(ben, 'cb.goto(DEMO_URL + "about.html")')
    assert refused == "ERROR: teacher is presenting: only they can move the room"

    kernel_eval(
        teacher,
        'cb.step("2. Your turn", "Answer the question.", url=DEMO_URL + "form.html",'
        ' highlight="#answer")',
    )
    forms = {}
    for student in (ann, ben):
        poll(lambda student=student: "2. Your turn" in _step(student), student, 20_000)
        forms[student] = proxied_frame(student, f"{DEMO}/form.html", exact=True)
    forms[ann].locator("#answer").press_sequentially("every URL")
    poll(lambda: kernel_eval(teacher, "cb.fields.get('#answer')") == "'every URL'", teacher, 20_000)
    poll(lambda: forms[ben].locator("#answer").input_value() == "every URL", ben, 15_000)

    # The kernels synced on their own sockets to the service (participants come only on
    # those), and no capability token reached the hub's log (the service writes to it).
    assert re.search(r"cobrowse/proxy/[A-Za-z0-9_-]{16,}", hub.log.read_text()) is None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for user, page in pages.items():
        page.locator(".cobrowse").first.screenshot(path=str(ARTIFACTS / f"hub-{user}.png"))

    # Practice: each student's answer is their own (their own session of the room on the
    # service), and the teacher reads both from Python, by the students' hub names.
    shared = _frame_prefix(ann)
    kernel_eval(teacher, 'cb.mode = "individual"')
    for student, text in ((ann, "a proxy"), (ben, "a sandbox")):
        poll(lambda student=student: _frame_prefix(student) != shared, student, 20_000)
        form = proxied_frame(student, f"{DEMO}/form.html", exact=True)
        form.locator("#answer").fill("")
        form.locator("#answer").press_sequentially(text)
    answers = (
        "sorted((u, f.get('#answer')) for u, f in cb.fields_by_participant.items()"  # answered
    )
    answers += " if f.get('#answer'))"
    expected = "[('ann', 'a proxy'), ('ben', 'a sandbox')]"
    poll(lambda: kernel_eval(teacher, answers) == expected, teacher, 20_000)
    ann.locator(".cobrowse").first.screenshot(path=str(ARTIFACTS / "hub-ann-practice.png"))


def test_the_class_carries_on_after_the_service_restarts(classroom) -> None:
    """The service stops (its rooms written to SQLite) and the hub starts it again: every
    widget reconnects with the cookie it had (the service keeps its cookie secret), the room
    comes back from the store, and the teacher leads on."""
    hub, pages = classroom
    teacher, ann, ben = (pages[user] for user in USERS)
    hub.stop_service()
    kept = _stored_room(hub.room_store, "web-101")  # written as the service stopped
    assert _schema.presenter(kept) == "teacher" and _schema.current_url(kept).endswith("form.html")
    kernel_eval(teacher, "cb.goto(DEMO_URL)")  # to the room when it is back (held until then)
    for student in (ann, ben):
        # the hub polls its service every 30 s; then the widget's socket reconnects (backoff)
        proxied_frame(student, f"{DEMO}/", timeout_ms=75_000, exact=True)
        assert "2. Your turn" in _step(student)  # restored, with the teacher still presenting
    kernel_eval(teacher, 'cb.step("3. Thanks", "That was the lesson.")')
    for student in (ann, ben):
        poll(lambda student=student: "3. Thanks" in _step(student), student, 20_000)
    poll(lambda: "('teacher', 'presenter')" in _roles(ann), ann, 20_000)
