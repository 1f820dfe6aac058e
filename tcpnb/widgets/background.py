"""Work done a moment later on the kernel's event loop: coalesced redraws and refinement in slices.

A notebook kernel runs an asyncio event loop: ipykernel's on the main thread,
and the Pyodide kernel's (JupyterLite), which ``setTimeout`` drives and which
``asyncio.get_running_loop()`` returns at any time.  Slider moves arrive as
messages on that loop.  Two things keep a panel responsive:

* :class:`Soon` runs a redraw a few milliseconds after it is asked for, however
  often it is asked for in between.  Moves queued behind a slow redraw (a held
  arrow key) are read first, and only the latest values are drawn.
* :class:`Slices` runs a long job as a chain of short calls, with a pause after
  each in which the loop reads new messages; it can be cancelled between slices.
  There are no threads, so this works where there are none (Pyodide).

Without a running loop (plain Python, tests) :meth:`Soon.ask` calls its action
at once, and :meth:`Slices.start` schedules nothing: the caller finishes the job
itself, synchronously.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

#: Seconds a redraw waits for further moves; seconds the loop gets between two slices.
#: Both stay above 2 ms: Pyodide runs a callback due within 2 ms at once (through a
#: ``MessageChannel``), and a chain of those kept a slider's message waiting 1-3 s.
COALESCE = 0.005
PAUSE = 0.006


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's event loop, or ``None`` in plain Python."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Soon:
    """Call ``action`` once, shortly, however often :meth:`ask` is called before then."""

    def __init__(self, action: Callable[[], Any], delay: float = COALESCE) -> None:
        self.action, self.delay = action, delay
        self._handle: asyncio.TimerHandle | None = None

    @property
    def pending(self) -> bool:
        """Asked for and not yet run."""
        return self._handle is not None

    def ask(self) -> None:
        """Run ``action`` soon on the event loop (at once if there is none)."""
        loop = running_loop()
        if loop is None:
            self.action()
        elif self._handle is None:
            self._handle = loop.call_later(self.delay, self._run)

    def flush(self) -> None:
        """If a run is pending, do it now."""
        if self.cancel():
            self.action()

    def cancel(self) -> bool:
        """Forget a pending run; say whether there was one."""
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()
        return handle is not None

    def _run(self) -> None:
        self._handle = None
        self.action()


class Slices:
    """Call ``step()`` again and again on the event loop until it returns ``False``.

    Each call should take a few tens of milliseconds; between two calls the loop
    reads messages (slider moves), so :meth:`cancel` takes effect at the next slice.
    """

    def __init__(self, step: Callable[[], bool], pause: float = PAUSE) -> None:
        self.step, self.pause = step, pause
        self.done = False
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Schedule the slices on the running event loop; without one, wait for :meth:`finish`."""
        loop = running_loop()
        if loop is not None and not self.done:
            self._handle = loop.call_later(self.pause, self._run)

    def cancel(self) -> None:
        """Run no further slice."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.done = True

    def _run(self) -> None:
        self._handle = None
        if self.done:
            return
        self.done = not self.step()
        self.start()
