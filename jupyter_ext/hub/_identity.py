"""Who a hub user is in a room: their hub name, and whether their groups let them present."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..handlers._session import initials_of, user_color


def hub_participant(model: Mapping[str, Any]) -> dict[str, str]:
    """Who the hub user ``model`` (HubOAuth's user model) is to the others in a room: the name
    the hub knows them by, stamped by the room hub on their presence."""
    name = str(model["name"])
    return {
        "username": name,
        "name": name,
        "initials": initials_of(name.replace(".", " ").replace("-", " ")) or name[:1].upper(),
        "color": user_color(name),
    }


def may_lead(model: Mapping[str, Any], presenter_groups: Collection[str]) -> bool:
    """Whether the hub user ``model`` may start presenting: a member of one of
    ``presenter_groups``, or anyone when none is configured."""
    if not presenter_groups:
        return True
    groups = model.get("groups") or ()
    return any(group in presenter_groups for group in groups)
