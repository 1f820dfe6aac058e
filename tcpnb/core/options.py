"""The text options of the public API as ``Literal`` types: the names a user may write for a choice.

Each matches the set that the code interpreting it accepts; ``tests/test_options.py``
checks that they stay equal.
"""

from __future__ import annotations

from typing import Literal

#: A timing profile by name (:data:`tcpnb.core.profiles.PROFILES`).
ProfileName = Literal["rfc", "linux"]
#: An opening protocol by name: the values of :class:`tcpnb.core.endpoint.Handshake`.
HandshakeName = Literal["three-way", "two-way"]
#: Where the course's runs take their ISNs (:func:`tcpnb.core.isn.figure_pair`): the same
#: numbers in every connection, or RFC 9293's 4-microsecond clock (§3.4.1).
IsnKind = Literal["fixed", "clock"]
