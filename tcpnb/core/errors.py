"""Every exception tcpnb raises, in one place.

Protocol events are never exceptions: the network may lose, delay or reset
anything, and the endpoints answer with segments and notices.  Exceptions are
for misuse of the API (:class:`UsageError`), files that are not what they
claim (:class:`CaptureError`), runs that would not end (:class:`BudgetExceeded`)
and bugs in tcpnb itself (:class:`IllegalTransition`).
"""

from __future__ import annotations


class UsageError(ValueError):
    """The API was called with a value or in an order it does not allow.

    A :class:`ValueError`, so ``except ValueError`` catches every bad-input error.
    The message names the parameter and what is allowed.
    """


class CaptureError(ValueError):
    """The file cannot be read as a capture of one TCP connection; the message says why."""


class BudgetExceeded(RuntimeError):
    """A simulation processed more events than its ``max_events`` budget allows."""


class IllegalTransition(RuntimeError):
    """The endpoint asked for a move the transition table does not have (a bug in tcpnb)."""
