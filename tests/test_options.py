"""The Literal types of text options name exactly what the code that reads them accepts."""

from __future__ import annotations

from typing import get_args

import pytest

from tcpnb import UsageError, scenarios
from tcpnb.core import profiles
from tcpnb.core.endpoint import Handshake
from tcpnb.core.isn import figure_pair
from tcpnb.core.options import HandshakeName, IsnKind, ProfileName
from tcpnb.course import timewait


def test_profile_and_handshake_names_are_the_runtime_ones() -> None:
    assert get_args(ProfileName) == tuple(profiles.PROFILES)
    assert sorted(get_args(HandshakeName)) == sorted(h.value for h in Handshake)


def test_every_isn_kind_is_accepted_and_nothing_else() -> None:
    for kind in get_args(IsnKind):
        figure_pair(kind)
    with pytest.raises(UsageError, match="isn must be 'fixed' or 'clock'"):
        figure_pair("random")  # type: ignore[arg-type]


def test_course_literals_match_their_tables() -> None:
    assert get_args(timewait.Failure) == tuple(timewait.FAILURES)
    assert scenarios.LOSSES == get_args(scenarios.Loss)
    for ending in get_args(timewait.Ending):
        timewait.request_then(ending)


def test_view_names_are_the_panels_views() -> None:
    from tcpnb.widgets import scenario_panel

    assert get_args(scenario_panel.ViewName) == tuple(scenario_panel.VIEWS)
