"""tcpnb.core.validate: every check names the parameter, the allowed values and what it got."""

from __future__ import annotations

import math

import pytest

from tcpnb import UsageError
from tcpnb.core import validate


@pytest.mark.parametrize("value", [True, "1", None, math.nan, math.inf, -0.1, 1.5, 10**400, [1]])
def test_number_refuses_what_is_not_a_finite_number_in_range(value: object) -> None:
    with pytest.raises(UsageError, match=r"^loss must be a (finite )?number in \[0, 1\], got "):
        validate.number("loss", value, 0.0, 1.0)


def test_number_accepts_the_ends_of_a_closed_range_and_returns_a_float() -> None:
    assert validate.number("loss", 0, 0.0, 1.0) == 0.0 and validate.number("loss", 1, 0, 1) == 1.0
    assert isinstance(validate.number("loss", 1, 0, 1), float)
    with pytest.raises(UsageError, match=r"cut must be a number in \(0, inf\]"):
        validate.number("cut", 0, 0.0, low_open=True)


def test_seconds_says_seconds() -> None:
    with pytest.raises(UsageError, match=r"^delay must be a number of seconds in \[0, inf\], got -1$"):
        validate.seconds("delay", -1)
    with pytest.raises(UsageError, match="delay must be a finite number of seconds"):
        validate.seconds("delay", math.nan)


@pytest.mark.parametrize("value", [True, 1.0, "3", -1, 2**70])
def test_whole_refuses_bools_floats_strings_and_out_of_range(value: object) -> None:
    with pytest.raises(UsageError, match=r"^runs must be a whole number in \[0, 1000\], got "):
        validate.whole("runs", value, 0, 1000)


def test_flag_choice_and_text() -> None:
    assert validate.flag("rfc1337", False) is False
    with pytest.raises(UsageError, match="rfc1337 must be True or False, got 1"):
        validate.flag("rfc1337", 1)
    assert validate.choice("isn", "clock", ("fixed", "clock")) == "clock"
    with pytest.raises(UsageError, match="isn must be one of 'fixed', 'clock', got 'random'"):
        validate.choice("isn", "random", ("fixed", "clock"))
    with pytest.raises(UsageError, match=r"name must be one of 'A', got \['A'\]"):
        validate.choice("name", ["A"], {"A"})  # unhashable: a clear error, not a TypeError
    with pytest.raises(UsageError, match="name must be a non-empty string, got ''"):
        validate.text("name", "")
