"""Checks for arguments that a user passes in: each returns the value or raises a :class:`UsageError`.

Every message names the parameter, what is allowed and what was given, e.g.
``loss must be a number in [0, 1], got 1.5``.  ``True`` and ``False`` are not
numbers here, and neither are NaN or an infinity unless the range says so.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TypeVar

from .errors import UsageError

T = TypeVar("T")

#: The longest time, in seconds, that a delay, a timer or a moment of a run may be:
#: about 31 years, far beyond any TCP timer (and far from float overflow).
LONGEST = 1e9


_TOO_LARGE = object()


def _range(low: float, high: float, low_open: bool, high_open: bool) -> str:
    return f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def number(name: str, value: object, low: float = 0.0, high: float = math.inf, *,
           low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a float, if it is a finite number between ``low`` and ``high``.

    ``high=math.inf`` means "no upper limit" (the value itself must still be finite).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        as_float = math.nan
    else:
        try:
            as_float = float(value)
        except OverflowError:  # an int too large for a float, e.g. 10**400
            value = _TOO_LARGE
            as_float = math.inf
    if math.isfinite(as_float) and (low < as_float if low_open else low <= as_float) and (
            as_float < high if high_open else as_float <= high):
        return as_float  # the message below is only made when it is needed
    allowed = _range(low, high, low_open, high_open)
    got = "a number too large" if value is _TOO_LARGE else repr(value)
    kind = "a finite number" if isinstance(value, float) and not math.isfinite(value) \
        else "a number"
    raise UsageError(f"{name} must be {kind} in {allowed}, got {got}")


def seconds(name: str, value: object, low: float = 0.0, high: float = math.inf) -> float:
    """A time or a duration in seconds: :func:`number` with the unit in the message."""
    try:
        return number(name, value, low, high)
    except UsageError as error:
        raise UsageError(str(error).replace(" a number ", " a number of seconds ", 1)
                         .replace(" a finite number ", " a finite number of seconds ", 1)) from None


def whole(name: str, value: object, low: int = 0, high: int | None = None) -> int:
    """``value`` if it is an ``int`` (not a bool) with ``low <= value <= high``."""
    if type(value) is int and low <= value and (high is None or value <= high):
        return value  # the message below is only made when it is needed
    allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{name} must be a whole number {allowed}, got {value!r}")
    if value < low or (high is not None and value > high):
        shown = repr(value) if abs(value) < 10**15 else "a number that large"
        raise UsageError(f"{name} must be a whole number {allowed}, got {shown}")
    return value


def flag(name: str, value: object) -> bool:
    """``value`` if it is ``True`` or ``False``."""
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False, got {value!r}")
    return value


def choice(name: str, value: T, allowed: Collection[T]) -> T:
    """``value`` if it is one of ``allowed``; the message lists them."""
    try:
        ok = value in allowed
    except TypeError:  # unhashable, e.g. a list looked up in a set
        ok = False
    if not ok:
        listed = ", ".join(repr(a) for a in allowed)
        raise UsageError(f"{name} must be one of {listed}, got {value!r}")
    return value


def text(name: str, value: object) -> str:
    """``value`` if it is a non-empty string."""
    if not isinstance(value, str) or not value:
        raise UsageError(f"{name} must be a non-empty string, got {value!r}")
    return value
