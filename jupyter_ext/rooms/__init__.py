"""Rooms: the hub that keeps each room's shared document and presence, and the checks every
y-sync and awareness frame from a participant passes first."""

from ._collector import freeze_start_up
from ._control import Control, NotAllowed, read_control
from ._hub import Member, Peer, Refused, Room, RoomHub, RoomLimits
from ._passes import KernelPass, KernelPasses
from ._store import RoomStore, StoreFactory
from ._throttle import Throttle

__all__ = [
    "Control",
    "KernelPass",
    "KernelPasses",
    "Member",
    "NotAllowed",
    "Peer",
    "Refused",
    "Room",
    "RoomHub",
    "RoomLimits",
    "RoomStore",
    "StoreFactory",
    "Throttle",
    "freeze_start_up",
    "read_control",
]
