"""Real TCP: captures of a Linux kernel, the simulation that mirrors each, and how they compare.

``tcpnb/real/captures`` holds 17 captures of this project's Linux kernel (see
``data/README.md``).  For each one, :data:`RUNS` has a function that builds
the same situation in the simulator with :data:`tcpnb.profiles.LINUX`: the
same application calls at the same moments, the same segments dropped.
:func:`compare` lines the two runs up segment by segment, and allows only the
differences that :data:`DIFFERENCES` and :data:`EVERYWHERE` list.

    from tcpnb import real
    result = real.compare("final_ack_lost")
    result.ok, result.worst()
    print(result.table())

This package's front gathers the names; the work is done in five modules:

* :mod:`tcpnb.real.pcapfile` -- read the TCP segments of a pcap or pcapng file;
* :mod:`tcpnb.real.capture` -- one connection of a capture file as a trace;
* :mod:`tcpnb.real.mirror` -- the captures and the simulation that mirrors each;
* :mod:`tcpnb.real.compare` -- the comparison, what must match and what may differ;
* :mod:`tcpnb.real.together` -- both runs in one trace, for one ladder.
"""

from __future__ import annotations

from .compare import (
    DIFFERENCES,
    EVERYWHERE,
    NOTES,
    Comparison,
    Difference,
    Row,
    Seen,
    compare,
    seen,
    slot,
    tolerance,
)
from .mirror import (
    RUNS,
    VANTAGE,
    captures_dir,
    event_time,
    is_subsequence,
    kernel,
    simulate,
    ss_states,
    summary,
)
from .together import together

__all__ = [
    "DIFFERENCES", "EVERYWHERE", "NOTES", "RUNS", "VANTAGE", "Comparison", "Difference", "Row",
    "Seen", "captures_dir", "compare", "event_time", "is_subsequence", "kernel", "seen",
    "simulate", "slot", "ss_states", "summary", "together", "tolerance",
]
