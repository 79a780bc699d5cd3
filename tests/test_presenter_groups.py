"""Presenters by group (the hub service): a participant who may not lead never starts
presenting, whatever their client sends; while the teacher presents they cannot move the
room; the teacher may still hand them the lead, and take it back."""

from __future__ import annotations

import pytest
from pycrdt import Doc

from cobrowse_widget import _schema
from jupyter_ext.hub import hub_participant, may_lead
from jupyter_ext.rooms import Control, NotAllowed, Room, read_control

from ._room_client import Sink
from .test_control import Participant, set_control

TEACHER = hub_participant({"name": "teacher", "groups": ["instructors"]})
STUDENT = hub_participant({"name": "ann", "groups": ["students"]})


class Student(Participant):
    """A participant whose hub groups do not let them lead."""

    def __init__(self, room: Room, user: dict[str, str]) -> None:
        self.room, self.peer, self.doc = room, Sink(), Doc()
        self.doc.apply_update(room.doc.get_update())
        room.join(self.peer, user, lead=False)


@pytest.fixture
def classroom() -> tuple[Room, Participant, Student]:
    room = Room("web-101")
    teacher, student = Participant(room, TEACHER), Student(room, STUDENT)
    teacher.change(lambda doc: _schema.navigate(doc, "https://example.org/lesson"))
    return room, teacher, student


def test_groups_decide_who_may_lead() -> None:
    assert may_lead({"name": "t", "groups": ["instructors"]}, {"instructors"})
    assert not may_lead({"name": "s", "groups": ["students"]}, {"instructors"})
    assert not may_lead({"name": "s"}, {"instructors"})  # a model without groups
    assert may_lead({"name": "s", "groups": []}, ())  # no presenter groups: everyone leads


def test_a_student_cannot_start_presenting(classroom) -> None:
    room, _, student = classroom
    with pytest.raises(NotAllowed, match="only a presenter may start presenting"):
        student.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    assert not read_control(room.doc).presenting


def test_while_the_teacher_presents_a_student_cannot_move_the_room(classroom) -> None:
    room, teacher, student = classroom
    teacher.change(set_control(mode="presenter", presenter="teacher", owner="teacher"))
    sent = len(teacher.peer.sent)
    for edit in (
        lambda doc: _schema.navigate(doc, "https://evil.example/"),
        set_control(mode="free"),
        set_control(presenter="ann"),
        set_control(mode="presenter", presenter="ann", owner="ann"),
    ):
        with pytest.raises(NotAllowed):
            student.change(edit)
    assert _schema.current_url(room.doc) == "https://example.org/lesson"
    assert read_control(room.doc) == Control("presenter", "teacher", "teacher")
    assert len(teacher.peer.sent) == sent  # nothing refused reached anyone


def test_the_teacher_may_hand_a_student_the_lead_and_take_it_back(classroom) -> None:
    room, teacher, student = classroom
    teacher.change(set_control(mode="presenter", presenter="teacher", owner="teacher"))
    teacher.change(set_control(presenter="ann"))  # the student asked for control
    student.change(lambda doc: _schema.navigate(doc, "https://example.org/answer"))
    assert _schema.current_url(room.doc) == "https://example.org/answer"
    with pytest.raises(NotAllowed):  # given the lead is not owning the presentation
        student.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    teacher.change(set_control(presenter="teacher"))
    with pytest.raises(NotAllowed):
        student.change(lambda doc: _schema.navigate(doc, "https://example.org/again"))


def test_only_who_may_lead_starts_or_ends_practice(classroom) -> None:
    room, teacher, student = classroom
    with pytest.raises(NotAllowed, match="practice"):
        student.change(lambda doc: _schema.set_field_mode(doc, "individual"))
    teacher.change(lambda doc: _schema.set_field_mode(doc, "individual"))
    assert _schema.field_mode(room.doc) == "individual"
    with pytest.raises(NotAllowed, match="practice"):
        student.change(lambda doc: _schema.set_field_mode(doc, "shared"))
