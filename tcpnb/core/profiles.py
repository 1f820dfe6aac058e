"""Timer and retry settings: what the RFCs say, and what Linux actually does.

Two profiles ship with tcpnb:

* :data:`RFC` follows the standards: MSL = 2 minutes (RFC 9293 §3.4.2), so
  TIME-WAIT lasts 2 x MSL = 4 minutes (§3.6.1, MUST-13); the retransmission
  timer follows RFC 6298 (initial RTO 1 s, minimum 1 s, doubling backoff).
* :data:`LINUX` is what a current Linux kernel does.  Each number names its
  source: the kernel's ``include/net/tcp.h`` and
  ``Documentation/networking/ip-sysctl.rst``, and captures of this machine's
  kernel in ``tcpnb/real/captures`` (see ``data/README.md``).

Every field can be overridden for one simulation: ``Simulation(msl=5.0)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, replace
from typing import Any

from . import validate
from .errors import UsageError
from .options import ProfileName


@dataclass(frozen=True, slots=True)
class Profile:
    """The knobs of a TCP implementation that matter for opening and closing."""

    name: str
    #: Maximum Segment Lifetime in seconds (RFC 9293 §3.4.2).
    msl: float
    #: Length of TIME-WAIT in seconds; ``None`` means 2 x MSL (RFC 9293 §3.6.1).
    time_wait: float | None
    #: RTO before any round-trip time is measured (RFC 6298 §2.1).
    rto_initial: float
    #: Smallest RTO allowed (RFC 6298 §2.4).
    rto_min: float
    #: Largest RTO allowed (RFC 6298 §2.5).
    rto_max: float
    #: Floor of the variance term in RTO = SRTT + max(floor, 4 x RTTVAR) (RFC 6298 §2.3: G).
    rto_variance_floor: float
    #: Retransmissions of a SYN before connect() gives up.
    syn_retries: int
    #: How many SYN retransmissions keep the initial RTO before backoff starts doubling it.
    syn_linear_timeouts: int
    #: Retransmissions of a SYN,ACK before the passive side forgets the connection.
    synack_retries: int
    #: Retransmissions of data or FIN before the connection is given up.
    data_retries: int
    #: Delay before a pure ACK of data is sent (0: acknowledge at once).
    delayed_ack: float
    #: Delay before the ACK of a FIN is sent; a FIN of our own sent meanwhile carries it.
    delayed_fin_ack: float
    #: Before the first retransmission timeout of data or FIN, send one probe and
    #: re-arm the timer without backing off (tail loss probe, RFC 8985 §7).
    tail_loss_probe: bool
    #: Answer a retransmitted SYN in SYN-RECEIVED with the SYN,ACK again (Linux)
    #: instead of the bare ACK that RFC 9293 §3.10.7.4's sequence check produces.
    synack_on_duplicate_syn: bool
    #: In a simultaneous open, let the peer's SYN,ACK complete the handshake in
    #: SYN-RECEIVED (and answer it with an ACK), as Linux does since 6.11 (commit
    #: 23e89e8ee7be, after RFC 9293's Figure 7).  RFC 9293 §3.10.7.4's first check
    #: drops that SYN,ACK (its SEQ is below RCV.NXT) and sends the same ACK; the
    #: handshake then completes when the peer's ACK arrives.
    synack_completes_simultaneous_open: bool
    #: Ignore RST in TIME-WAIT (RFC 1337 fix F1; Linux sysctl net.ipv4.tcp_rfc1337).
    rfc1337: bool
    #: RFC 5961's defences, optional in RFC 9293 (§3.10.7.4): a RST must carry exactly
    #: RCV.NXT and a SYN in a synchronized state is never a reset (both answered with a
    #: "challenge ACK", §3 and §4); an ACK outside [SND.UNA - window, SND.NXT] is
    #: dropped with a challenge ACK (§5, MAY-12).  Off: RFC 793's rules (an in-window
    #: RST resets, an in-window SYN is answered with a RST).
    rfc5961: bool
    #: Least time between two challenge ACKs (RFC 5961 §7: "an ACK throttling
    #: mechanism").
    challenge_ack_interval: float
    #: Least time between two ACKs sent in reply to unacceptable segments without
    #: data (bare ACKs, or a SYN): the first check of §3.10.7.4.  RFC 9293's text
    #: answers every one, so two ends that disagree on the sequence numbers ACK each
    #: other's ACKs for ever (an "ACK storm"; 0 shows it).  Linux limits these
    #: (net.ipv4.tcp_invalid_ratelimit; "Data packets without SYNs are not likely part
    #: of an ACK loop", tcp_oow_rate_limited()), counting them and challenge ACKs
    #: against one limit.  Segments with data or a FIN always get their ACK.
    invalid_ack_interval: float
    #: In TIME-WAIT, restart the 2 x MSL timer on any arriving segment with an ACK,
    #: acceptable or not (Linux: tcp_timewait_state_process()), not only on a
    #: retransmission of the peer's FIN (RFC 9293 §3.10.7.4).
    time_wait_restart_on_ack: bool
    #: Largest payload in one segment.
    mss: int
    #: Receive window each endpoint advertises (fixed: tcpnb has no flow control).
    window: int
    #: Two-way variant only (not TCP): seconds an idle, unconfirmed connection is held.
    idle_timeout: float

    @property
    def time_wait_length(self) -> float:
        """Seconds spent in TIME-WAIT."""
        return 2 * self.msl if self.time_wait is None else self.time_wait

    def replace(self, **overrides: Any) -> Profile:
        """A copy with some fields changed; unknown names and bad values raise ``ValueError``."""
        if not overrides:
            return self
        for key in overrides:
            if key not in _SETTINGS:
                raise UsageError(f"unknown profile setting {key!r}; allowed: "
                                 + ", ".join(sorted(_SETTINGS)))
        checked = tuple((key, _check_field(key, value)) for key, value in overrides.items())
        return _replaced(self, checked)


#: The fields a simulation may override (every one but the name).
_SETTINGS = frozenset(f.name for f in fields(Profile)) - {"name"}


@functools.lru_cache(maxsize=256)
def _replaced(profile: Profile, changes: tuple[tuple[str, Any], ...]) -> Profile:
    """``profile`` with ``changes``: made once per set of changes, as a Monte-Carlo
    experiment asks for the same profile in every run (profiles are immutable)."""
    return replace(profile, **dict(changes))


#: Whole-number settings and their allowed ranges.  A retry count above 1000 or a
#: window above 2**30 (RFC 7323's largest scaled window) is no TCP.
_INTS = {"syn_retries": (0, 1000), "synack_retries": (0, 1000), "data_retries": (0, 1000),
         "syn_linear_timeouts": (0, 1000), "mss": (1, 65495), "window": (1, 2**30)}
_BOOLS = {"synack_on_duplicate_syn", "rfc1337", "tail_loss_probe", "rfc5961",
          "time_wait_restart_on_ack", "synack_completes_simultaneous_open"}


def _check_field(key: str, value: Any) -> Any:
    """``value`` if it is allowed for setting ``key``; a UsageError naming the setting if not."""
    if key in _BOOLS:
        return validate.flag(key, value)
    if key in _INTS:
        return validate.whole(key, value, *_INTS[key])
    if key == "time_wait" and value is None:
        return None
    return validate.seconds(key, value, 0.0, validate.LONGEST)


#: The standards.  RTO per RFC 6298; retry limits per RFC 1122 §4.2.3.5, which asks
#: that a SYN be retried for at least 3 minutes and data for at least 100 s.  With
#: RTO 1 s doubling to at most 60 s, 7 SYN retransmissions (at 1, 3, 7, 15, 31, 63 and
#: 123 s) give up at 183 s; 6 data retransmissions give up 123 s after the first send.
RFC = Profile(
    name="RFC",
    msl=120.0,                  # RFC 9293 §3.4.2: "the MSL is taken to be 2 minutes"
    time_wait=None,             # RFC 9293 §3.6.1 MUST-13: 2 x MSL
    rto_initial=1.0,            # RFC 6298 §2.1
    rto_min=1.0,                # RFC 6298 §2.4
    rto_max=60.0,               # RFC 6298 §2.5: a maximum of at least 60 s may be placed
    rto_variance_floor=0.001,   # RFC 6298 §2.3: G, the clock granularity (1 ms here)
    syn_retries=7,
    syn_linear_timeouts=0,      # RFC 6298 §5.5: back off on every timeout
    synack_retries=7,
    data_retries=6,
    delayed_ack=0.0,            # the RFC figures show every ACK sent at once
    delayed_fin_ack=0.0,
    tail_loss_probe=False,
    synack_on_duplicate_syn=False,
    synack_completes_simultaneous_open=False,  # §3.10.7.4's first check, not Figure 7
    rfc1337=False,              # RFC 9293 §3.10.7.4: RST in TIME-WAIT closes
    # RFC 9293 §3.10.7.4 makes RFC 5961's checks optional ("For stacks implementing
    # the protection described in RFC 5961 ..."); on here because every current
    # stack has them, and because their throttled challenge ACKs (§7) are what ends
    # an ACK storm between two ends that disagree on the sequence numbers.
    rfc5961=True,
    challenge_ack_interval=0.5,  # RFC 5961 §7's example: at most 10 challenge ACKs in 5 s
    # Not RFC 9293, which has no limit here: the model's choice, after Linux, because
    # without it the soak test's seed 40048 (an old SYN opens a second TCB while the
    # first connection lives on) ACKs for ever.  Only ACKs that answer bare ACKs or
    # SYNs are limited; every data or FIN segment still gets its ACK.
    invalid_ack_interval=0.5,
    time_wait_restart_on_ack=False,
    mss=536,                    # RFC 9293 §3.7.1: default send MSS for IPv4
    window=65535,
    idle_timeout=300.0,         # like RFC 9293 §3.8.3's 5-minute user timeout
)

#: A current Linux kernel (numbers from include/net/tcp.h and ip-sysctl.rst defaults,
#: checked against this machine's kernel in tcpnb/real/captures).
LINUX = Profile(
    name="Linux",
    msl=30.0,                   # Linux has no MSL; TIME-WAIT is a fixed 60 s (below)
    time_wait=60.0,             # TCP_TIMEWAIT_LEN = 60 s, independent of msl
    rto_initial=1.0,            # TCP_TIMEOUT_INIT = 1 s (RFC 6298)
    rto_min=0.2,                # TCP_RTO_MIN = 200 ms
    rto_max=120.0,              # TCP_RTO_MAX = 120 s
    rto_variance_floor=0.2,     # Linux keeps RTTVAR >= TCP_RTO_MIN: RTO ~ SRTT + 200 ms
    # tcp_syn_retries = 6 is a time budget: connect() gives up once (2**7 - 1) s plus the
    # 4 linear timeouts = 131 s have passed, i.e. after 10 retransmissions at 1, 2, 3, 4, 5,
    # 7, 11, 19, 35, 67 s (captured: 11 SYNs, last at 69.7 s, ETIMEDOUT at 135.2 s).
    syn_retries=10,
    syn_linear_timeouts=4,      # net.ipv4.tcp_syn_linear_timeouts = 4 (captured: 5 gaps of 1 s)
    synack_retries=5,           # net.ipv4.tcp_synack_retries = 5 (captured gaps 1, 2, 4, 8 s)
    data_retries=15,            # net.ipv4.tcp_retries2 = 15
    delayed_ack=0.0,            # quick-ACK mode: data ACKed at once (captured: 4-20 us)
    delayed_fin_ack=0.04,       # TCP_DELACK_MIN: FIN ACKed after 40.3-42.0 ms (captured)
    tail_loss_probe=True,       # captured: FIN again after 205 ms, then RTO 212, 408, 832 ms
    synack_on_duplicate_syn=True,  # tcp_check_req(): a retransmitted SYN gets the SYN,ACK again
    synack_completes_simultaneous_open=True,  # captured: connect() returns on the SYN,ACK
    rfc1337=False,              # net.ipv4.tcp_rfc1337 = 0
    rfc5961=True,               # since Linux 3.6 (tcp_validate_incoming())
    challenge_ack_interval=0.5,  # per socket: net.ipv4.tcp_invalid_ratelimit = 500 ms
    invalid_ack_interval=0.5,   # the same limit, for ACKs to segments without data
    time_wait_restart_on_ack=True,  # tcp_timewait_state_process(): "if (paws_reject || th->ack)"
    mss=1460,                   # Ethernet MTU 1500 - 40 bytes of headers
    window=65535,
    idle_timeout=300.0,
)

PROFILES = {"rfc": RFC, "linux": LINUX}


def get(profile: Profile | ProfileName | str) -> Profile:
    """Return a profile given itself or its name (``"rfc"`` or ``"linux"``, any case)."""
    if isinstance(profile, Profile):
        return profile
    if isinstance(profile, str) and profile.lower() in PROFILES:
        return PROFILES[profile.lower()]
    raise UsageError(f"profile: unknown profile {profile!r}; allowed: 'rfc', 'linux' "
                     "or a tcpnb.profiles.Profile")
