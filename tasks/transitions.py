"""Limits of what a unit may enter, and the frame of every transition (tizhi.lib.transitions),
re-exported for the tasks app's modules."""

from decimal import Decimal

from tizhi.lib.transitions import (
    BEIJING,
    InvalidInput,
    InvalidState,
    LockedTransitions,
    NotAllowed,
    StaleVersion,
    TransitionError,
    WindowClosed,
    beijing_time,
    beijing_today,
)

MAX_AMOUNT = Decimal("99999999.99")  # 万元; the funding columns are below 100,000,000
MAX_QUANTITY = 100000
COMMENT_MAX = 500

__all__ = [
    "BEIJING",
    "COMMENT_MAX",
    "MAX_AMOUNT",
    "MAX_QUANTITY",
    "InvalidInput",
    "InvalidState",
    "LockedTransitions",
    "NotAllowed",
    "StaleVersion",
    "TransitionError",
    "WindowClosed",
    "beijing_time",
    "beijing_today",
]
