from __future__ import annotations

import pytest

from tcpnb import profiles


def test_rfc_and_linux_differ_where_linux_differs() -> None:
    assert profiles.RFC.time_wait_length == 240.0          # 2 x MSL, MSL = 2 min
    assert profiles.LINUX.time_wait_length == 60.0         # TCP_TIMEWAIT_LEN
    assert profiles.RFC.rto_initial == profiles.LINUX.rto_initial == 1.0
    assert profiles.LINUX.rto_min == 0.2 and profiles.RFC.rto_min == 1.0


def test_override_msl_changes_time_wait_only_where_it_is_derived() -> None:
    assert profiles.RFC.replace(msl=5.0).time_wait_length == 10.0
    assert profiles.LINUX.replace(msl=5.0).time_wait_length == 60.0


def test_lookup_by_name_and_bad_names() -> None:
    assert profiles.get("Linux") is profiles.LINUX
    with pytest.raises(ValueError, match="profile: unknown profile 'bsd'"):
        profiles.get("bsd")
    with pytest.raises(ValueError, match="unknown profile setting 'mls'"):
        profiles.RFC.replace(mls=3)


@pytest.mark.parametrize("key, value", [("msl", -1.0), ("msl", float("nan")), ("rto_min", "1"),
                                        ("syn_retries", 1.5), ("rfc1337", 1), ("mss", 0)])
def test_bad_values_name_the_setting(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=key):
        profiles.RFC.replace(**{key: value})
