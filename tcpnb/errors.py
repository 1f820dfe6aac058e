"""Exceptions tcpnb raises.  Protocol events are never exceptions: the network
may lose, delay or reset anything, and the endpoints answer with segments and
notices.  Exceptions are for misuse of the API.
"""

from __future__ import annotations


class UsageError(ValueError):
    """The API was called with a value or in an order it does not allow.

    A :class:`ValueError`, so ``except ValueError`` catches every bad-input error.
    """


class BudgetExceeded(RuntimeError):
    """A simulation processed more events than its ``max_events`` budget allows."""
