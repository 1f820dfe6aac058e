"""The retransmission timeout estimator of RFC 6298.

Kept apart from the endpoint because it is pure arithmetic: feed it round-trip
samples, ask it for the current RTO, double it on each timeout.
"""

from __future__ import annotations

from .profiles import Profile


class RtoEstimator:
    """SRTT, RTTVAR and RTO as in RFC 6298 §2, with exponential backoff (§5.5)."""

    ALPHA = 1 / 8
    BETA = 1 / 4

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.srtt: float | None = None
        self.rttvar = 0.0
        self.rto = profile.rto_initial

    def sample(self, rtt: float) -> None:
        """Take one round-trip measurement (never from a retransmitted segment: Karn)."""
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2            # RFC 6298 §2.2
        else:
            self.rttvar = (1 - self.BETA) * self.rttvar + self.BETA * abs(self.srtt - rtt)
            self.srtt = (1 - self.ALPHA) * self.srtt + self.ALPHA * rtt  # §2.3
        p = self.profile
        rto = self.srtt + max(p.rto_variance_floor, 4 * self.rttvar)
        self.rto = min(max(rto, p.rto_min), p.rto_max)    # §2.4, §2.5

    def back_off(self) -> None:
        """Double the RTO after a timeout, up to the maximum (RFC 6298 §5.5)."""
        self.rto = min(2 * self.rto, self.profile.rto_max)
